//go:build unix

// Command pairs times two commands as whole processes, in turn, and prints
// the medians of their wall and CPU times and of the ratios A/B taken pair
// by pair (pairing keeps a ratio meaningful while a shared machine's speed
// drifts). CPU is user + system time of the finished child, as the kernel
// accounts it (what /usr/bin/time -v prints). For bench/read-speed.sh.
//
//	go run ./bench/pairs [-n PAIRS] [-reps R] [-label L] -- A [ARG...] -- B [ARG...]
//
// Each measurement of A or B is R runs of it, one after the other, and
// counts per run: a process of a few milliseconds is timed over many.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 15, "pairs")
	reps := flag.Int("reps", 1, "runs of each command per measurement")
	label := flag.String("label", "", "label of the line printed")
	flag.Parse()
	args := flag.Args() // (flag.Parse consumes the first "--")
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	i := slices.Index(args, "--")
	if i <= 0 || i == len(args)-1 {
		usage()
	}
	a, b := args[:i], args[i+1:]
	var aw, ac, bw, bc, rw, rc []float64
	for range *n {
		w1, c1 := measure(a, *reps)
		w2, c2 := measure(b, *reps)
		aw, ac, bw, bc = append(aw, w1), append(ac, c1), append(bw, w2), append(bc, c2)
		rw, rc = append(rw, w1/w2), append(rc, c1/c2)
	}
	fmt.Printf("%-10s A/B wall %.2f (A %.4f s, B %.4f s)   cpu %.2f (A %.4f s, B %.4f s)   %d pairs\n",
		*label, median(rw), median(aw), median(bw), median(rc), median(ac), median(bc), *n)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: pairs [-n PAIRS] [-reps R] [-label L] -- A [ARG...] -- B [ARG...]")
	os.Exit(2)
}

// measure runs argv reps times and returns the wall and CPU seconds per run.
func measure(argv []string, reps int) (wall, cpu float64) {
	for range reps {
		cmd := exec.Command(argv[0], argv[1:]...)
		start := time.Now()
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "pairs:", err)
			os.Exit(1)
		}
		_ = cmd.Wait() // a command's own failure is its output's business
		wall += time.Since(start).Seconds()
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			cpu += time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
		}
	}
	return wall / float64(reps), cpu / float64(reps)
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
