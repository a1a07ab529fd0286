// Command rss exports n invoice records as CSV with steward's encoder, in a
// process that does nothing else, and prints the process's peak resident
// set in KiB. The bench runs it for the CSV target of DESIGN.md ("peak RSS ≤
// 16 MiB"): the bench's own process carries the code of every contender and
// database driver, which says nothing about what an export costs a host.
//
//	go -C bench run ./rss -n 1000000
//
// With -n 0 it exports nothing: the resident set of the program alone.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/smartbooqing/steward/bench/internal/invoices"
	"github.com/smartbooqing/steward/export"
)

type discard struct{ n int64 }

func (d *discard) Write(p []byte) (int, error) {
	d.n += int64(len(p))
	return len(p), nil
}

func main() {
	n := flag.Int("n", 1_000_000, "records to export")
	flag.Parse()
	enc, err := export.NewEncoder(nil)
	if err != nil {
		fail(err)
	}
	if *n > 0 {
		w := &discard{}
		sum, err := enc.Encode(context.Background(), w, export.CSV, "invoice", invoices.Cycle(invoices.Records(), *n))
		if err != nil {
			fail(err)
		}
		if sum.Records != int64(*n) {
			fail(fmt.Errorf("%d records written, want %d", sum.Records, *n))
		}
	}
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		fail(err)
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				fail(err)
			}
			fmt.Println(kb)
			return
		}
	}
	fail(fmt.Errorf("no VmHWM in /proc/self/status"))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "rss:", err)
	os.Exit(1)
}
