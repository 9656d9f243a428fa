// Command jcserver serves a local JumpCloud Directory Insights API seeded
// with generated events, for trying `auditctl sync jumpcloud` and
// `--remote jumpcloud` without a tenant:
//
//	JUMPCLOUD_API_KEY=test-key go run ./internal/jcserver/cmd -events 50000
//	export JUMPCLOUD_API_URL=http://127.0.0.1:8089 JUMPCLOUD_API_KEY=test-key
//	auditctl sync jumpcloud --since 30d
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/auditctl/auditctl/internal/jcserver"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8089", "listen address (loopback)")
	n := flag.Int("events", 50000, "about how many events to generate")
	days := flag.Int("days", 30, "spread them over this many days before now")
	seed := flag.Int64("seed", 1, "generator seed")
	chaos := flag.Float64("chaos", 0, "fraction of requests that fail (429, 503, resets, slow pages…)")
	dump := flag.String("dump", "", "also write the events, as the API returns them, to this NDJSON file (the same events from a file: bench/read-speed.sh)")
	flag.Parse()
	key := os.Getenv("JUMPCLOUD_API_KEY")
	if key == "" {
		log.Fatal("jcserver: set JUMPCLOUD_API_KEY to the key the server should accept")
	}
	srv := jcserver.New(key)
	srv.SlowDelay = 2 * time.Minute
	evs, err := jcserver.Generate(*n, time.Now().UTC().Truncate(time.Millisecond), *days, *seed)
	if err != nil {
		log.Fatal(err)
	}
	srv.AddEvents(evs...)
	if *dump != "" {
		if err := writeNDJSON(*dump, evs); err != nil {
			log.Fatal(err)
		}
	}
	if *chaos > 0 {
		srv.Chaos(*chaos, uint64(*seed))
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintf(os.Stderr, "jcserver: %d events; export JUMPCLOUD_API_URL=http://%s\n", len(evs), ln.Addr())
	log.Fatal(http.Serve(ln, srv))
}

// writeNDJSON writes each event's document on a line of its own.
func writeNDJSON(path string, evs []*jcserver.Event) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for _, e := range evs {
		w.Write(e.Raw)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
