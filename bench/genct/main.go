// Command genct writes N CloudTrail records as NDJSON for bench/hunt.sh:
// copies of the shared CloudTrail sample (../shared/data, else a built-in
// record) with fresh ids and times, a share of them changed toward the
// SigmaHQ CloudTrail rules (internal/ctgen).
//
//	go run ./bench/genct -n 1000000 -o bench/out/cloudtrail.ndjson
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/auditctl/auditctl/internal/ctgen"
)

func main() {
	n := flag.Int("n", 1000000, "records")
	out := flag.String("o", "", "output file (default stdout)")
	mutate := flag.Float64("mutate", 0.02, "share of records changed toward the rules")
	seed := flag.Uint64("seed", 1, "random seed")
	templates := flag.String("templates", "../shared/data/cloudtrail/invictus-aws", "directory of CloudTrail files to copy records from (built-in record when absent)")
	flag.Parse()
	opt := ctgen.Options{N: *n, Seed: *seed, Mutate: *mutate}
	if tpl, err := ctgen.LoadTemplates(*templates); err == nil {
		opt.Templates = tpl
	} else {
		fmt.Fprintf(os.Stderr, "genct: %v: using the built-in record\n", err)
	}
	w := os.Stdout
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			fmt.Fprintln(os.Stderr, "genct:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	if err := ctgen.Write(w, opt); err != nil {
		fmt.Fprintln(os.Stderr, "genct:", err)
		os.Exit(1)
	}
}
