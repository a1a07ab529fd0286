// Command bench measures steward against the baselines and peers of
// DESIGN.md's performance table, on the same data for every contender, and
// prints one table: work, contender, records/s (the median of the
// repetitions, with min and max), the ratio to the work's baseline,
// allocations per record and peak memory, followed by each target of
// DESIGN.md marked met or not met.
//
//	go -C bench run .                         # every work, 1M records, 3 repetitions
//	go -C bench run . -n 2000 -reps 1         # the smoke run
//	go -C bench run . -rows 'csv,ndjson,xml'  # some works
//	go -C bench run . -json                   # for machines
//
// PostgreSQL works run when -dsn (default $STEWARD_POSTGRES_DSN) names a
// server, in a schema of their own that is dropped afterwards; without one
// they are skipped with a note. Progress goes to stderr, the table to stdout.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

type config struct {
	n       int
	reps    int
	dsn     string
	tmp     string // a directory of the run's own, removed at the end
	verbose bool
}

func (c *config) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
}

// works are the lines of the table, in the order they run. The export works
// come first, so that the CSV encoder's memory is measured in a process that
// has not yet grown.
func works() []work {
	return []work{
		{name: "csv", setup: setupCSV},
		{name: "ndjson", setup: setupNDJSON},
		{name: "xml", setup: setupXML},
		{name: "xlsx", setup: setupXLSX},
		{name: "resolve", setup: setupResolve},
		{name: "sweep-sqlite", setup: setupSweepSQLite},
		{name: "sweep-postgres", needs: "postgres", setup: setupSweepPostgres},
		{name: "erase-sqlite", setup: setupEraseSQLite},
		{name: "erase-postgres", needs: "postgres", setup: setupErasePostgres},
		{name: "aggregate", setup: setupAggregate},
		{name: "aggregate-dp", setup: setupAggregateDP},
	}
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	// A flag set of its own: a peer's dependency (glog, under Google's DP
	// library) registers flags on the default set.
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	cfg := &config{}
	fs.IntVar(&cfg.n, "n", 1_000_000, "records per work")
	rows := fs.String("rows", "", "works to run: a comma-separated list of names or regular expressions matching whole names (default all): "+names())
	fs.IntVar(&cfg.reps, "reps", 3, "repetitions of each contender; the median is shown")
	asJSON := fs.Bool("json", false, "print the results as one JSON document instead of the table")
	fs.StringVar(&cfg.dsn, "dsn", os.Getenv("STEWARD_POSTGRES_DSN"), "PostgreSQL DSN for the PostgreSQL works (default $STEWARD_POSTGRES_DSN); empty skips them")
	fs.BoolVar(&cfg.verbose, "v", false, "print the query plans of the hand-written statements to stderr")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to this file (go tool pprof reads it)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.n < 1000 {
		return fmt.Errorf("-n %d: at least 1000 records", cfg.n)
	}
	if cfg.reps < 1 {
		return fmt.Errorf("-reps %d: at least 1", cfg.reps)
	}
	selected, err := selectWorks(*rows)
	if err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "steward-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	cfg.tmp = tmp

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	defer closeDatabases()

	res := &results{N: cfg.n, Reps: cfg.reps, Go: runtime.Version(), CPUs: runtime.NumCPU(), Started: time.Now().UTC().Format(time.RFC3339),
		LoadBefore: loadAverage()}
	for _, w := range selected {
		if err := ctx.Err(); err != nil {
			return err
		}
		if w.needs == "postgres" && cfg.dsn == "" {
			cfg.logf("%s: skipped: no PostgreSQL DSN (set -dsn or STEWARD_POSTGRES_DSN)", w.name)
			res.Rows = append(res.Rows, row{Work: w.name, Skipped: "no PostgreSQL DSN (set -dsn or STEWARD_POSTGRES_DSN)"})
			continue
		}
		rows, targets, err := runWork(ctx, cfg, w)
		if err != nil {
			if errors.Is(err, context.Canceled) {
				return err
			}
			return fmt.Errorf("%s: %w", w.name, err)
		}
		res.Rows = append(res.Rows, rows...)
		res.Targets = append(res.Targets, targets...)
	}
	res.LoadAfter = loadAverage()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	return res.print(stdout)
}

// loadAverage returns the one-minute load average; -1 where /proc/loadavg
// is not there.
func loadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	first, _, _ := strings.Cut(string(b), " ")
	v, err := strconv.ParseFloat(first, 64)
	if err != nil {
		return -1
	}
	return v
}

func names() string {
	var s []string
	for _, w := range works() {
		s = append(s, w.name)
	}
	return strings.Join(s, ",")
}

// selectWorks returns the works that one of the comma-separated patterns
// matches in full; an empty list selects all.
func selectWorks(list string) ([]work, error) {
	all := works()
	if strings.TrimSpace(list) == "" {
		return all, nil
	}
	var res []*regexp.Regexp
	for p := range strings.SplitSeq(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("-rows: %v", err)
		}
		res = append(res, re)
	}
	var out []work
	for _, w := range all {
		for _, re := range res {
			if re.MatchString(w.name) {
				out = append(out, w)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-rows %q matches no work; the works are %s", list, names())
	}
	return out, nil
}

// runWork sets a work up and runs its contenders -reps times, one
// repetition of each in turn, so that load from elsewhere on the machine
// falls on all of them alike.
func runWork(ctx context.Context, cfg *config, w work) ([]row, []target, error) {
	gcNow()
	cfg.logf("%s: setting up %d records", w.name, cfg.n)
	start := time.Now()
	wr, err := w.setup(ctx, cfg)
	if err != nil {
		var skip skipError
		if errors.As(err, &skip) {
			cfg.logf("%s: skipped: %s", w.name, skip.why)
			return []row{{Work: w.name, Skipped: skip.why}}, nil, nil
		}
		return nil, nil, err
	}
	if wr.cleanup != nil {
		defer wr.cleanup()
	}
	cfg.logf("%s: set up in %v", w.name, time.Since(start).Round(time.Millisecond))
	samples := make([][]sample, len(wr.contenders))
	for rep := range cfg.reps {
		outs := make([]outcome, len(wr.contenders))
		for i, c := range wr.contenders {
			s, err := measure(ctx, c)
			if err != nil {
				return nil, nil, fmt.Errorf("%s: %w", c.name, err)
			}
			cfg.logf("%s: %-24s rep %d: %s records/s (%v)", w.name, c.name, rep+1, human(s.rate()), s.elapsed.Round(time.Microsecond))
			samples[i] = append(samples[i], s)
			outs[i] = s.out
		}
		if wr.check != nil {
			if err := wr.check(outs); err != nil {
				return nil, nil, err
			}
		}
	}
	rows := make([]row, len(wr.contenders))
	byName := map[string]*row{}
	var base *row
	for i, c := range wr.contenders {
		rows[i] = summarise(w.name, c, samples[i])
		byName[c.name] = &rows[i]
		if c.baseline {
			base = &rows[i]
		}
	}
	if base != nil && base.RecordsPerS > 0 {
		for i := range rows {
			if !rows[i].Baseline {
				rows[i].Ratio = rows[i].RecordsPerS / base.RecordsPerS
			}
		}
	}
	for i := range wr.targets {
		t := &wr.targets[i]
		t.Work = w.name
		t.Measured, t.Met = t.check(byName)
		if t.Info {
			t.Met = false
		}
	}
	return rows, wr.targets, nil
}

// skipError skips a work with a reason, as a missing DSN does.
type skipError struct{ why string }

func (e skipError) Error() string { return "skipped: " + e.why }

type results struct {
	N       int    `json:"n"`
	Reps    int    `json:"reps"`
	Go      string `json:"go"`
	CPUs    int    `json:"cpus"`
	Started string `json:"started"`
	// LoadBefore and LoadAfter are the machine's one-minute load average
	// when the run began and ended (Linux; -1 elsewhere): other work on the
	// machine widens the min–max range.
	LoadBefore float64  `json:"load_before"`
	LoadAfter  float64  `json:"load_after"`
	Rows       []row    `json:"rows"`
	Targets    []target `json:"targets"`
}

// print writes the results as Markdown tables, padded to read in a
// terminal as well.
func (r *results) print(out io.Writer) error {
	fmt.Fprintf(out, "steward bench: %d records per work, median of %d repetitions (min, max), %s, %d CPUs, load average %.1f before, %.1f after\n\n",
		r.N, r.Reps, r.Go, r.CPUs, r.LoadBefore, r.LoadAfter)
	tw := tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	line := func(cells ...string) { fmt.Fprintln(tw, "| "+strings.Join(cells, "\t| ")+"\t|") }
	line("work", "contender", "records/s", "min", "max", "ratio", "ns/rec", "allocs/rec", "heap MiB", "RSS MiB", "note")
	line("---", "---", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "--:", "---")
	for _, x := range r.Rows {
		if x.Skipped != "" {
			line(x.Work, "—", "", "", "", "", "", "", "", "", "skipped: "+x.Skipped)
			continue
		}
		ratio := "baseline"
		if !x.Baseline {
			ratio = "—"
			if x.Ratio > 0 {
				ratio = fmt.Sprintf("%.2f×", x.Ratio)
			}
		}
		rss := "—"
		if x.PeakRSSMiB >= 0 {
			rss = fmt.Sprintf("%.0f (+%.0f)", x.PeakRSSMiB, x.RSSGrowthMiB)
		}
		line(x.Work, x.Contender, human(x.RecordsPerS), human(x.MinPerS), human(x.MaxPerS), ratio,
			nsText(x.NsPerRecord), fmt.Sprintf("%.2f", x.AllocsPerRec), fmt.Sprintf("%.1f", x.PeakHeapMiB), rss, note(&x))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(out, "\nratio: records/s over the baseline's, medians both. heap: peak live heap. RSS: peak resident set of the bench process (growth during the run).")
	if len(r.Targets) == 0 {
		return nil
	}
	fmt.Fprint(out, "\ntargets of DESIGN.md:\n\n")
	tw = tabwriter.NewWriter(out, 0, 0, 1, ' ', 0)
	line("work", "target", "measured", "verdict")
	line("---", "---", "---", "---")
	for _, t := range r.Targets {
		verdict := "not met"
		switch {
		case t.Info:
			verdict = "(for comparison)"
		case t.Met:
			verdict = "met"
		}
		line(t.Work, t.What, t.Measured, verdict)
	}
	return tw.Flush()
}

func note(x *row) string {
	var parts []string
	if x.P50ms > 0 {
		parts = append(parts, fmt.Sprintf("p50 %.2f ms, p99 %.2f ms", x.P50ms, x.P99ms))
	}
	if x.BytesPerRecord > 0 {
		parts = append(parts, fmt.Sprintf("%.0f B/rec, %.1f writes/1k rec", x.BytesPerRecord, x.WritesPerKRec))
	}
	return strings.Join(parts, "; ")
}

// human prints a rate with three significant digits and a k or M.
func human(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.3gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.3gk", v/1e3)
	}
	return fmt.Sprintf("%.3g", v)
}

func nsText(ns float64) string {
	switch {
	case ns >= 1e6:
		return fmt.Sprintf("%.3gms", ns/1e6)
	case ns >= 1e4:
		return fmt.Sprintf("%.3gµs", ns/1e3)
	}
	return fmt.Sprintf("%.0f", ns)
}
