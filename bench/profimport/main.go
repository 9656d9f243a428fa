// Command profimport profiles auditctl's import and export paths on a file,
// for finding where the time goes (see docs/performance.md):
//
//	go run ./bench/profimport import events.ndjson cache.db cpu.prof
//	go run ./bench/profimport export cache.db out.csv cpu.prof
//	go run ./bench/profimport text events.ndjson text.txt -
//	go tool pprof -top -cum cpu.prof
//
// text writes what the full-text index holds for each event (source, id and
// its tokens, separated by 0x1f, each record ended by 0x1e: the sqlite3
// shell's .mode ascii), for bench/ingest.sh; its PROF is ignored.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/importer"
	"github.com/auditctl/auditctl/pkg/output"
	"github.com/auditctl/auditctl/pkg/store/sqlite"
)

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: profimport import FILE DB PROF | export DB OUT PROF | text FILE OUT -")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2], os.Args[3], os.Args[4]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(mode, a, b, prof string) error {
	if mode == "text" {
		return text(a, b)
	}
	pf, err := os.Create(prof)
	if err != nil {
		return err
	}
	defer pf.Close()
	ctx := context.Background()
	t0 := time.Now()
	switch mode {
	case "import":
		f, err := os.Open(a)
		if err != nil {
			return err
		}
		defer f.Close()
		db, err := sqlite.Open(ctx, b)
		if err != nil {
			return err
		}
		defer db.Close()
		r, _, err := importer.Open(a, f, importer.FormatAuto)
		if err != nil {
			return err
		}
		pprof.StartCPUProfile(pf)
		res, err := db.Import(ctx, r, sqlite.ImportOptions{})
		pprof.StopCPUProfile()
		if err != nil {
			return err
		}
		fmt.Printf("imported %d of %d in %s\n", res.Inserted, res.Read, time.Since(t0))
	case "export":
		db, err := sqlite.Open(ctx, a)
		if err != nil {
			return err
		}
		defer db.Close()
		out, err := os.Create(b)
		if err != nil {
			return err
		}
		defer out.Close()
		bw := bufio.NewWriterSize(out, 1<<20)
		direct, err := output.NewEventWriter(bw, output.FormatCSV, output.Options{})
		if err != nil {
			return err
		}
		ew := output.Pipe(direct)
		n := 0
		pprof.StartCPUProfile(pf)
		err = db.EachEvent(ctx, audit.Filter{}, audit.Page{Sort: []audit.SortKey{{Field: audit.FieldTime}}}, func(e *audit.Event) error {
			n++
			return ew.Write(e)
		})
		if err == nil {
			err = ew.Close()
		}
		pprof.StopCPUProfile()
		if err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		fmt.Printf("exported %d in %s\n", n, time.Since(t0))
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	return nil
}

// text writes source, id and indexed text of every event in file to out.
func text(file, out string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	r, _, err := importer.Open(file, f, importer.FormatAuto)
	if err != nil {
		return err
	}
	o, err := os.Create(out)
	if err != nil {
		return err
	}
	defer o.Close()
	w := bufio.NewWriterSize(o, 1<<20)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\x1f%s\x1f%s\x1e", e.Source, e.ID, sqlite.IndexedText(e))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	return o.Close()
}
