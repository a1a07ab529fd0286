package main

import (
	"context"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A work is one line of DESIGN.md's performance table: the same job done by
// several contenders over the same data, one of them the baseline.
type work struct {
	name string
	// needs names what the work cannot run without ("postgres"); the work is
	// skipped with a note when it is missing.
	needs string
	// setup builds the work's data and returns its contenders, their
	// targets and what to do when the work is done. It is not timed.
	setup func(ctx context.Context, cfg *config) (*workRun, error)
}

type workRun struct {
	contenders []contender
	targets    []target
	cleanup    func()
	// check, if set, is called after each repetition with the outcomes of
	// the contenders in order, to make sure they did the same job.
	check func(outs []outcome) error
}

// A contender is one way of doing a work.
type contender struct {
	name     string
	baseline bool
	// prepare puts the data back as the work needs it before a repetition
	// (untimed) and returns the timed run.
	prepare func(ctx context.Context) (run func(ctx context.Context) (outcome, error), err error)
}

// outcome is what one timed run did.
type outcome struct {
	records int64 // records handled, for records/s
	// elapsed, if not zero, is the time that counts, for runs that do
	// untimed work in between (putting an erased subject back).
	elapsed time.Duration
	// latencies of single operations, for p50 and p99.
	latencies []time.Duration
	// done is what the run achieved that every contender must agree on
	// (records disposed of, bytes is not one of them).
	done  int64
	bytes int64 // bytes written, for export
	calls int64 // calls on the writer, for export
}

// sample is one measured repetition of one contender.
type sample struct {
	elapsed   time.Duration
	out       outcome
	allocs    uint64  // heap allocations during the run
	heapMiB   float64 // peak live heap, sampled
	rssMiB    float64 // peak resident set of the process; -1 where unknown
	rssGrowth float64 // that peak less the resident set when the run began
}

func (s sample) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.out.records) / s.elapsed.Seconds()
}

// measure runs one repetition of c: it prepares, collects garbage, resets
// the memory high-water marks, and times the run.
func measure(ctx context.Context, c contender) (sample, error) {
	run, err := c.prepare(ctx)
	if err != nil {
		return sample{}, err
	}
	debug.FreeOSMemory() // a GC, and the pages of earlier runs go back to the OS
	rss := resetPeakRSS()
	allocs := []metrics.Sample{{Name: "/gc/heap/allocs:objects"}}
	metrics.Read(allocs)
	before := allocs[0].Value.Uint64()
	stop := sampleHeap()

	start := time.Now()
	out, err := run(ctx)
	elapsed := time.Since(start)

	heap := stop()
	metrics.Read(allocs)
	if err != nil {
		return sample{}, err
	}
	s := sample{elapsed: elapsed, out: out, allocs: allocs[0].Value.Uint64() - before, heapMiB: heap}
	if out.elapsed > 0 {
		s.elapsed = out.elapsed
	}
	s.rssMiB, s.rssGrowth = rss()
	return s, nil
}

// sampleHeap reads the live heap every two milliseconds until stop is
// called, and stop returns the highest value seen, in MiB.
func sampleHeap() (stop func() float64) {
	m := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(m)
			peak = max(peak, m[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		return float64(peak) / (1 << 20)
	}
}

// resetPeakRSS resets the process's peak resident set (Linux: writing 5 to
// /proc/self/clear_refs) and returns a function that reads the peak since and
// how much it grew over the resident set at the reset, in MiB; -1 where
// /proc is not there.
func resetPeakRSS() func() (peak, growth float64) {
	if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil {
		return func() (float64, float64) { return -1, -1 }
	}
	before := procStatusMiB("VmRSS")
	return func() (float64, float64) {
		peak := procStatusMiB("VmHWM")
		if peak < 0 || before < 0 {
			return -1, -1
		}
		return peak, peak - before
	}
}

// procStatusMiB reads a memory figure of this process from /proc/self/status,
// in MiB; -1 where there is none.
func procStatusMiB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			if err != nil {
				return -1
			}
			return float64(kb) / 1024
		}
	}
	return -1
}

// row is what the table prints for one contender: its repetitions summed up.
type row struct {
	Work        string  `json:"work"`
	Contender   string  `json:"contender"`
	Baseline    bool    `json:"baseline"`
	Reps        int     `json:"reps"`
	Records     int64   `json:"records"`
	RecordsPerS float64 `json:"records_per_s"` // median
	MinPerS     float64 `json:"min_records_per_s"`
	MaxPerS     float64 `json:"max_records_per_s"`
	NsPerRecord float64 `json:"ns_per_record"` // of the median
	// Ratio is records/s over the baseline's, medians both; 0 for the
	// baseline itself and for works without one.
	Ratio          float64 `json:"ratio,omitempty"`
	AllocsPerRec   float64 `json:"allocs_per_record"` // median
	PeakHeapMiB    float64 `json:"peak_heap_mib"`     // highest over the repetitions
	PeakRSSMiB     float64 `json:"peak_rss_mib"`      // highest over the repetitions; -1 unknown
	RSSGrowthMiB   float64 `json:"rss_growth_mib"`    // highest over the repetitions; -1 unknown
	P50ms          float64 `json:"p50_ms,omitempty"`
	P99ms          float64 `json:"p99_ms,omitempty"`
	BytesPerRecord float64 `json:"bytes_per_record,omitempty"`
	WritesPerKRec  float64 `json:"writes_per_1000_records,omitempty"`
	Skipped        string  `json:"skipped,omitempty"`
}

func summarise(workName string, c contender, samples []sample) row {
	r := row{Work: workName, Contender: c.name, Baseline: c.baseline, Reps: len(samples)}
	if len(samples) == 0 {
		return r
	}
	bySpeed := slices.Clone(samples)
	slices.SortFunc(bySpeed, func(a, b sample) int {
		switch {
		case a.rate() < b.rate():
			return -1
		case a.rate() > b.rate():
			return 1
		}
		return 0
	})
	med := bySpeed[len(bySpeed)/2]
	r.Records = med.out.records
	r.RecordsPerS = med.rate()
	r.MinPerS = bySpeed[0].rate()
	r.MaxPerS = bySpeed[len(bySpeed)-1].rate()
	if med.out.records > 0 {
		r.NsPerRecord = float64(med.elapsed.Nanoseconds()) / float64(med.out.records)
		r.BytesPerRecord = float64(med.out.bytes) / float64(med.out.records)
		r.WritesPerKRec = float64(med.out.calls) * 1000 / float64(med.out.records)
	}
	var allocs []float64
	r.PeakRSSMiB, r.RSSGrowthMiB = -1, -1
	var lat []time.Duration
	for _, s := range samples {
		if s.out.records > 0 {
			allocs = append(allocs, float64(s.allocs)/float64(s.out.records))
		}
		r.PeakHeapMiB = max(r.PeakHeapMiB, s.heapMiB)
		r.PeakRSSMiB = max(r.PeakRSSMiB, s.rssMiB)
		r.RSSGrowthMiB = max(r.RSSGrowthMiB, s.rssGrowth)
		lat = append(lat, s.out.latencies...)
	}
	if len(allocs) > 0 {
		slices.Sort(allocs)
		r.AllocsPerRec = allocs[len(allocs)/2]
	}
	if len(lat) > 0 {
		slices.Sort(lat)
		r.P50ms = ms(percentile(lat, 50))
		r.P99ms = ms(percentile(lat, 99))
	}
	return r
}

// percentile returns the p-th percentile of sorted durations, nearest rank.
func percentile(sorted []time.Duration, p int) time.Duration {
	i := (len(sorted)*p + 99) / 100
	return sorted[max(0, min(len(sorted)-1, i-1))]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// target is one target of DESIGN.md, checked against the table.
type target struct {
	Work string `json:"work"`
	What string `json:"target"`
	// check returns the measured value as text and whether it meets the
	// target; rows are the work's rows by contender name.
	check func(rows map[string]*row) (string, bool)
	// Filled in when checked:
	Measured string `json:"measured"`
	Met      bool   `json:"met"`
	// Info marks a figure shown for comparison, with nothing to meet.
	Info bool `json:"info,omitempty"`
}

func info(t target) target {
	t.Info = true
	return t
}

// atLeast is a target on a contender's records/s ratio to another
// contender of the work (the baseline unless named).
func atLeast(contender, over string, want float64, what string) target {
	return target{What: what, check: func(rows map[string]*row) (string, bool) {
		a, b := rows[contender], rows[over]
		if a == nil || b == nil || b.RecordsPerS == 0 {
			return "n/a", false
		}
		ratio := a.RecordsPerS / b.RecordsPerS
		return strconv.FormatFloat(ratio, 'f', 2, 64) + "×", ratio >= want
	}}
}

// timeAtMost is a target on a contender's time as a multiple of another's:
// time ≤ want × the other's time, which is records/s ≥ 1/want of it.
func timeAtMost(contender, over string, want float64, what string) target {
	return target{What: what, check: func(rows map[string]*row) (string, bool) {
		a, b := rows[contender], rows[over]
		if a == nil || b == nil || a.RecordsPerS == 0 {
			return "n/a", false
		}
		times := b.RecordsPerS / a.RecordsPerS
		return strconv.FormatFloat(times, 'f', 2, 64) + "× its time", times <= want
	}}
}

// gcNow collects garbage so that one work's leftovers do not count in the
// next one's heap.
func gcNow() { runtime.GC() }
