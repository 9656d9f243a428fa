package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/auditctl/auditctl/pkg/audit"
)

func TestRun(t *testing.T) {
	dir := t.TempDir()
	nd, cs := filepath.Join(dir, "out.ndjson"), filepath.Join(dir, "out.csv")
	var stderr bytes.Buffer
	args := []string{"-n", "5000", "-ndjson", nd, "-csv", cs, "-now", "2026-03-01T00:00:00Z", "-seed", "7"}
	if err := run(args, &bytes.Buffer{}, &stderr); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "5000 events") {
		t.Errorf("summary: %q", stderr.String())
	}

	f, err := os.Open(nd)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var evs []audit.Event
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("line %d: %v", len(evs)+1, err)
		}
		evs = append(evs, e)
	}
	if len(evs) != 5000 {
		t.Fatalf("%d NDJSON lines", len(evs))
	}

	cf, err := os.Open(cs)
	if err != nil {
		t.Fatal(err)
	}
	defer cf.Close()
	rows, err := csv.NewReader(cf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5001 || !slices.Equal(rows[0], audit.Columns) {
		t.Fatalf("%d CSV rows, header %v", len(rows), rows[0])
	}
	for i, e := range evs {
		for j, col := range audit.Columns {
			if got, want := rows[i+1][j], e.Value(col); got != want {
				t.Fatalf("row %d column %s: %q != %q", i+1, col, got, want)
			}
		}
	}

	// same flags, same bytes
	nd2 := filepath.Join(dir, "again.ndjson")
	args = []string{"-n", "5000", "-ndjson", nd2, "-now", "2026-03-01T00:00:00Z", "-seed", "7"}
	if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(nd)
	b, _ := os.ReadFile(nd2)
	if !bytes.Equal(a, b) {
		t.Fatal("NDJSON differs between runs")
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-now", "yesterday"}, {"-ndjson", "-", "-csv", "-"}, {"extra"}} {
		if err := run(args, &bytes.Buffer{}, &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", args)
		}
	}
}
