package httpapi_test

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

var loadFor = flag.Duration("load", 2*time.Second, "how long TestLoad runs its clients (go test ./httpapi -run TestLoad -v -args -load=10s)")

const (
	loadClients      = 50
	loadMaxPerClient = 200_000 // a bound on requests besides the time
)

// loadResult is what one client saw.
type loadResult struct {
	subject   privacy.SubjectID
	latencies map[string][]time.Duration // by operation
	seqs      []uint64                   // of the consent events its requests recorded
	states    []consent.State
	failures  []string
}

// TestLoad runs 50 clients on loopback for -load (2 s by default), each
// giving and withdrawing consent to the newsletter and reading its access
// report in turn, and logs throughput and latency percentiles. Afterwards
// each subject's consent history must hold every event a request recorded,
// exactly once, and nothing else.
func TestLoad(t *testing.T) {
	d := *loadFor
	if testing.Short() {
		d = min(d, 500*time.Millisecond)
	}
	w := newWorld(t, &worldOptions{clients: loadClients})
	tr := w.srv.Client().Transport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = loadClients
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	defer tr.CloseIdleConnections()

	results := make([]*loadResult, loadClients)
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range loadClients {
		res := &loadResult{subject: privacy.SubjectID("client-" + strconv.Itoa(i)), latencies: map[string][]time.Duration{}}
		results[i] = res
		wg.Go(func() { runClient(client, w.srv.URL, res, deadline) })
	}
	wg.Wait()
	elapsed := time.Since(start)

	all := map[string][]time.Duration{}
	total := 0
	for _, res := range results {
		for _, f := range res.failures {
			t.Errorf("%s: %s", res.subject, f)
		}
		for op, ls := range res.latencies {
			all[op] = append(all[op], ls...)
			all["all"] = append(all["all"], ls...)
			total += len(ls)
		}
	}
	require.Positive(t, total)
	t.Logf("%d clients for %v: %d requests, %.0f requests/s", loadClients, elapsed.Round(time.Millisecond), total, float64(total)/elapsed.Seconds())
	for _, op := range []string{"give", "withdraw", "access", "all"} {
		ls := all[op]
		slices.Sort(ls)
		t.Logf("%-8s n=%-7d p50=%-10v p99=%-10v max=%v", op, len(ls), pct(ls, 50), pct(ls, 99), ls[len(ls)-1])
	}

	// Every event the requests recorded is in the history exactly once, in
	// the order recorded, and the history holds nothing else; the audit log
	// has one entry per event.
	audited := map[privacy.SubjectID]int{}
	for e, err := range w.audit.Events(w.ctx, 0) {
		require.NoError(t, err)
		if e.Action == privacy.ActionConsentGiven || e.Action == privacy.ActionConsentWithdrawn {
			audited[e.Subject]++
		}
	}
	for _, res := range results {
		var seqs []uint64
		var states []consent.State
		for _, e := range w.history(t, res.subject) {
			seqs = append(seqs, e.Seq)
			states = append(states, e.State)
		}
		assert.Equal(t, res.seqs, seqs, "%s: history holds exactly the events recorded", res.subject)
		assert.Equal(t, res.states, states, res.subject)
		assert.Equal(t, len(res.seqs), audited[res.subject], "%s: one audit entry per event", res.subject)
	}
}

// runClient gives consent, reads the access report, withdraws consent and
// reads the report again, until the deadline or the request bound.
func runClient(client *http.Client, base string, res *loadResult, deadline time.Time) {
	ops := []struct{ name, method, path string }{
		{"give", "PUT", "/privacy/v1/consents/newsletter"},
		{"access", "GET", "/privacy/v1/access"},
		{"withdraw", "DELETE", "/privacy/v1/consents/newsletter"},
		{"access", "GET", "/privacy/v1/access"},
	}
	for i := 0; i < loadMaxPerClient && time.Now().Before(deadline); i++ {
		op := ops[i%len(ops)]
		var body io.Reader
		if op.name == "give" {
			body = strings.NewReader(`{"method":"app"}`)
		}
		req, err := http.NewRequest(op.method, base+op.path, body)
		if err != nil {
			res.failures = append(res.failures, err.Error())
			return
		}
		req.Header.Set(sessionHeader, string(res.subject))
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		began := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			res.failures = append(res.failures, op.name+": "+err.Error())
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		res.latencies[op.name] = append(res.latencies[op.name], time.Since(began))
		if err != nil || resp.StatusCode != http.StatusOK {
			res.failures = append(res.failures, fmt.Sprintf("%s: %d %v %s", op.name, resp.StatusCode, err, b))
			return
		}
		if op.name == "give" || op.name == "withdraw" {
			var e struct {
				Seq   uint64        `json:"seq"`
				State consent.State `json:"state"`
			}
			if err := json.Unmarshal(b, &e); err != nil {
				res.failures = append(res.failures, err.Error())
				return
			}
			res.seqs = append(res.seqs, e.Seq)
			res.states = append(res.states, e.State)
		}
	}
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)-1)*p/100].Round(time.Microsecond)
}
