// Command gen writes the demo events (pkg/demo) as benchmark input:
//
//	go run ./bench/gen -n 1000000 -ndjson out.ndjson -csv out.csv [-now RFC3339] [-days 30] [-seed 1]
//
// NDJSON is one compact JSON audit.Event per line (HTML escaping off). CSV is
// auditctl's export layout: a header of audit.Columns, then e.Value(col) per
// column through encoding/csv. Unlike `auditctl logs export`, cells are not
// neutralized against formula injection: this is input data for the
// benchmarks and must re-import byte for byte. Either output may be left
// out; "-" means stdout. A one-line summary goes to stderr.
package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"sync"
	"time"

	"github.com/auditctl/auditctl/pkg/audit"
	"github.com/auditctl/auditctl/pkg/demo"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	n := fs.Int("n", 20000, "number of events")
	ndjsonPath := fs.String("ndjson", "", "write NDJSON to this file (- for stdout)")
	csvPath := fs.String("csv", "", "write CSV to this file (- for stdout)")
	nowStr := fs.String("now", "", "anchor time, RFC 3339 (default: demo.DefaultNow, for reproducible data)")
	days := fs.Int("days", 30, "width of the time window in days")
	seed := fs.Int64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if *ndjsonPath == "-" && *csvPath == "-" {
		return errors.New("-ndjson and -csv cannot both be stdout")
	}
	opt := demo.Options{Count: *n, Days: *days, Seed: *seed}
	if *nowStr != "" {
		t, err := time.Parse(time.RFC3339Nano, *nowStr)
		if err != nil {
			return fmt.Errorf("-now: %w", err)
		}
		opt.Now = t
	}

	open := func(path string) (*bufio.Writer, func() error, error) {
		if path == "" {
			return nil, func() error { return nil }, nil
		}
		if path == "-" {
			w := bufio.NewWriterSize(stdout, 1<<20)
			return w, w.Flush, nil
		}
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		return w, func() error {
			if err := w.Flush(); err != nil {
				f.Close()
				return err
			}
			return f.Close()
		}, nil
	}
	jw, closeJ, err := open(*ndjsonPath)
	if err != nil {
		return err
	}
	cw, closeC, err := open(*csvPath)
	if err != nil {
		closeJ()
		return err
	}

	start := time.Now()
	var jout, cout io.Writer // stay nil interfaces when the output is off
	if jw != nil {
		jout = jw
	}
	if cw != nil {
		cout = cw
	}
	count, first, last, err := pipeline(demo.Events(opt), jout, cout)
	if err != nil {
		closeJ()
		closeC()
		return err
	}
	if err := closeJ(); err != nil {
		return err
	}
	if err := closeC(); err != nil {
		return err
	}
	el := time.Since(start)
	rate := float64(count) / el.Seconds()
	fmt.Fprintf(stderr, "gen: %d events from %s to %s (seed %d) in %s (%.0f events/s)\n",
		count, audit.FormatTime(first), audit.FormatTime(last), opt.Seed, el.Round(time.Millisecond), rate)
	return nil
}

const batchSize = 2048

type batch struct {
	evs  []*audit.Event
	j, c bytes.Buffer
	err  error
	done chan struct{}
}

// pipeline generates events on this goroutine, encodes batches of them on
// GOMAXPROCS workers, and writes the batches in order. Encoding (not
// generation) is the expensive part: encoding/json re-validates every
// json.RawMessage.
func pipeline(r audit.EventReader, jw, cw io.Writer) (count int, first, last time.Time, err error) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan *batch, workers*2)
	order := make(chan *batch, workers*4)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range work {
				b.err = encode(b, jw != nil, cw != nil)
				close(b.done)
			}
		}()
	}
	writeErr := make(chan error, 1)
	go func() {
		var err error
		if cw != nil {
			var hdr bytes.Buffer
			w := csv.NewWriter(&hdr)
			w.Write(audit.Columns)
			w.Flush()
			_, err = cw.Write(hdr.Bytes())
		}
		for b := range order {
			<-b.done
			if err == nil {
				err = b.err
			}
			if err == nil && jw != nil {
				_, err = jw.Write(b.j.Bytes())
			}
			if err == nil && cw != nil {
				_, err = cw.Write(b.c.Bytes())
			}
		}
		writeErr <- err
	}()

	var genErr error
	for genErr == nil {
		b := &batch{evs: make([]*audit.Event, 0, batchSize), done: make(chan struct{})}
		for len(b.evs) < batchSize {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				genErr = err
				break
			}
			if count == 0 {
				first = e.Time
			}
			last = e.Time
			count++
			b.evs = append(b.evs, e)
		}
		if len(b.evs) == 0 {
			break
		}
		order <- b
		work <- b
		if len(b.evs) < batchSize {
			break
		}
	}
	close(work)
	close(order)
	wg.Wait()
	err = <-writeErr
	if genErr != nil {
		err = genErr
	}
	return
}

func encode(b *batch, doJSON, doCSV bool) error {
	if doJSON {
		enc := json.NewEncoder(&b.j)
		enc.SetEscapeHTML(false)
		for _, e := range b.evs {
			if err := enc.Encode(e); err != nil {
				return err
			}
		}
	}
	if doCSV {
		w := csv.NewWriter(&b.c)
		row := make([]string, len(audit.Columns))
		for _, e := range b.evs {
			for i, col := range audit.Columns {
				row[i] = e.Value(col)
			}
			if err := w.Write(row); err != nil {
				return err
			}
		}
		w.Flush()
		return w.Error()
	}
	return nil
}
