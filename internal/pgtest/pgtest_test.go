package pgtest

import (
	"os/exec"
	"strings"
	"testing"
)

func TestStart(t *testing.T) {
	s := Start(t)
	psql, err := s.Psql()
	if err != nil {
		t.Skip("psql not found")
	}
	out, err := exec.Command(psql, append(s.PsqlArgs("postgres"), "-Atc", "select 40+2")...).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Fatalf("psql: %v: %s", err, out)
	}
}
