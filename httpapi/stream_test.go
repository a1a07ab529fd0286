package httpapi_test

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// manyRecords is a host's store that makes a subject's records as they are
// read, as a database cursor does: none is held once yielded.
type manyRecords struct {
	subject            privacy.SubjectID
	invoices, contacts int
	// halfway, if set, is called before the record in the middle.
	halfway func()
}

func (m manyRecords) BySubject(ctx context.Context, s privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		if s != m.subject {
			return
		}
		made := time.Date(2022, 1, 1, 9, 0, 0, 0, time.UTC)
		n := 0
		emit := func(i int, r privacy.Record) bool {
			if n++; n == (m.invoices+m.contacts)/2 && m.halfway != nil {
				m.halfway()
			}
			if i%1024 == 0 {
				if err := ctx.Err(); err != nil {
					yield(privacy.Record{}, err)
					return false
				}
			}
			return yield(r, nil)
		}
		for i := range m.contacts {
			if !emit(i, privacy.Record{Ref: privacy.Ref{Category: "contact", ID: fmt.Sprintf("c-%07d", i)}, Subject: s, Created: made.Add(time.Duration(i) * time.Minute),
				Fields: []privacy.Field{
					{Name: "email", Value: fmt.Sprintf("client%d@example.nl", i), Class: privacy.Personal},
					{Name: "phone", Value: "+31 20 123 4567", Class: privacy.Personal},
					{Name: "segment", Value: "=small business"},
				}}) {
				return
			}
		}
		for i := range m.invoices {
			if !emit(i, privacy.Record{Ref: privacy.Ref{Category: "invoice", ID: fmt.Sprintf("inv-%07d", i)}, Subject: s, Created: made.Add(time.Duration(i) * time.Minute),
				Fields: []privacy.Field{
					{Name: "number", Value: fmt.Sprintf("2022-%07d", i)},
					{Name: "amount", Value: int64(12100 + i)},
					{Name: "vat", Value: 0.21},
					{Name: "paid", Value: i%3 == 0},
					{Name: "client_name", Value: "Jan de Vries", Class: privacy.Personal},
				}}) {
				return
			}
		}
	}
}

func (manyRecords) Update(context.Context, privacy.Record, retention.Check, privacy.Event) error {
	return privacy.ErrUnimplemented
}

func (manyRecords) Dispose(context.Context, privacy.Ref, retention.Check, privacy.Event) error {
	return privacy.ErrUnimplemented
}

// heapPeak samples the heap every millisecond until stop is called, and
// returns the highest value seen: live objects and garbage not yet swept,
// which is what the process holds.
func heapPeak() (stop func() uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak
	}
}

func heapNow() uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(sample)
	return sample[0].Value.Uint64()
}

// TestExportOf100000RecordsStreamsInBoundedMemory downloads an export of
// 100,000 records (10,000 under the race detector) through the handler and
// an HTTP connection into a file, sampling the heap of the whole process —
// handler, Steward, encoders, server and client — as it goes.
func TestExportOf100000RecordsStreamsInBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("streams 100,000 records; skipped with -short")
	}
	n := 100_000
	if raceEnabled {
		n = 10_000
	}
	contacts := n / 4
	// Halfway through the records the store waits until the client has
	// received the first bytes: a handler that buffered the archive would
	// have sent none, and the wait would time out.
	received := make(chan struct{})
	var streamed atomic.Bool
	halfway := func() {
		select {
		case <-received:
			streamed.Store(true)
		case <-time.After(10 * time.Second):
		}
	}
	w := newWorld(t, &worldOptions{records: func(*retention.MemoryStore) steward.Records {
		return manyRecords{subject: "alice", invoices: n - contacts, contacts: contacts, halfway: halfway}
	}})
	dir := t.TempDir()
	w.h = nil // the handler is reached over HTTP only
	out, err := os.Create(filepath.Join(dir, "export.zip"))
	require.NoError(t, err)
	defer out.Close()

	req, err := http.NewRequest("GET", w.srv.URL+"/privacy/v1/export?format=csv,json", nil)
	require.NoError(t, err)
	req.Header.Set(sessionHeader, "alice")
	runtime.GC()
	base := heapNow()
	stop := heapPeak()
	start := time.Now()
	resp, err := w.srv.Client().Do(req)
	require.NoError(t, err)
	size, err := io.Copy(&signalWriter{w: out, after: 16 << 10, signal: received}, resp.Body)
	resp.Body.Close()
	elapsed := time.Since(start)
	peak := stop()
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(-1), resp.ContentLength, "streamed: no Content-Length")
	assert.Equal(t, []string{"chunked"}, resp.TransferEncoding)
	assert.True(t, streamed.Load(), "the client had bytes before the handler had read half the records")

	t.Logf("export of %d records, %.1f MiB zip, in %v (%.0f records/s): heap %.1f MiB before, peak %.1f MiB, peak above before %.1f MiB",
		n, float64(size)/(1<<20), elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(),
		mib(base), mib(peak), mib(peak-min(base, peak)))

	zr, err := zip.OpenReader(out.Name())
	require.NoError(t, err)
	defer zr.Close()
	var m export.Manifest
	var records int64
	sums := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		if f.Name == "manifest.json" {
			require.NoError(t, json.NewDecoder(rc).Decode(&m))
		} else {
			h := sha256.New()
			_, err = io.Copy(h, rc)
			require.NoError(t, err)
			sums[f.Name] = hex.EncodeToString(h.Sum(nil))
		}
		rc.Close()
	}
	require.True(t, m.Complete)
	for _, f := range m.Files {
		assert.Equal(t, f.SHA256, sums[f.Path], f.Path)
		if f.Format == export.CSV {
			records += f.Records
		}
	}
	assert.Equal(t, int64(n), records)
	// The bound is generous: besides the encoders' and HTTP's buffers and
	// garbage not yet swept, Steward.Export keeps one index.html line per
	// record (some 200 bytes each, live until the archive closes), which is
	// most of the peak. Records held in memory would be several times more.
	assert.Less(t, peak-min(base, peak), uint64(64<<20), "the export is streamed, not buffered")
}

// signalWriter closes signal once more than after bytes went through.
type signalWriter struct {
	w      io.Writer
	n      int
	after  int
	signal chan struct{}
}

func (s *signalWriter) Write(p []byte) (int, error) {
	s.n += len(p)
	if s.n > s.after && s.signal != nil {
		close(s.signal)
		s.signal = nil
	}
	return s.w.Write(p)
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }
