package cmdutil

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"
)

func TestContextReader(t *testing.T) {
	// reads pass through
	got, err := io.ReadAll(ContextReader(context.Background(), strings.NewReader(strings.Repeat("abc", 10000))))
	if err != nil || string(got) != strings.Repeat("abc", 10000) {
		t.Fatalf("read %d bytes, %v", len(got), err)
	}
	// a Read blocked on a pipe returns when the context ends
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	r := ContextReader(ctx, pr)
	go pw.Write([]byte("first"))
	buf := make([]byte, 10)
	if n, err := r.Read(buf); err != nil || string(buf[:n]) != "first" {
		t.Fatalf("read %q, %v", buf[:n], err)
	}
	done := make(chan error, 1)
	go func() { _, err := r.Read(buf); done <- err }()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked after cancel")
	}
	if _, err := r.Read(buf); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
}
