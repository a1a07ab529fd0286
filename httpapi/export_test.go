package httpapi_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// archiveOf opens an export archive and returns its manifest and files.
func archiveOf(t testing.TB, b []byte) (export.Manifest, map[string]string) {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	files := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		c, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		files[f.Name] = string(c)
	}
	var m export.Manifest
	require.NoError(t, json.Unmarshal([]byte(files["manifest.json"]), &m))
	return m, files
}

func TestExportStreamsTheSubjectsArchive(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/export?format=csv,JSON&format=csv", as: "alice", header: lang("nl")})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "application/zip", a.header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="export.zip"`, a.header.Get("Content-Disposition"))
	assert.Equal(t, "nl", a.header.Get("Content-Language"))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	m, files := archiveOf(t, a.body)
	assert.True(t, m.Complete)
	assert.Equal(t, privacy.SubjectID("alice"), m.Subject)
	assert.Equal(t, "nl", m.Language)
	var paths []string
	for _, f := range m.Files {
		paths = append(paths, f.Path)
	}
	assert.Equal(t, []string{"data/contact.csv", "data/contact.json", "data/invoice.csv", "data/invoice.json", "data/order.csv", "data/order.json"}, paths,
		"the formats asked for, each once, in the order asked")
	for name, content := range files {
		assert.NotContains(t, content, "bob", "%s holds only alice's data", name)
	}
	assert.Contains(t, files["index.html"], "lang=\"nl\"")

	a = w.do(t, call{method: "HEAD", path: "/v1/export", as: "alice"})
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "application/zip", a.header.Get("Content-Type"))
	assert.Empty(t, a.body)

	a = w.do(t, call{method: "GET", path: "/v1/export?format=csv,pdf", as: "alice"})
	require.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, httpapi.ProblemMalformed, a.problem(t).Type)
	a = w.do(t, call{method: "GET", path: "/v1/export?recipient=not-a-key", as: "alice"})
	require.Equal(t, http.StatusBadRequest, a.status)
}

func TestExportEncryptedToTheSubjectsKey(t *testing.T) {
	w := newWorld(t, nil)
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	a := w.do(t, call{method: "GET", path: "/v1/export?format=ndjson&recipient=" + id.Recipient().String(), as: "alice"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "application/octet-stream", a.header.Get("Content-Type"))
	assert.Equal(t, `attachment; filename="export.zip.age"`, a.header.Get("Content-Disposition"))
	assert.False(t, bytes.Contains(a.body, []byte("alice@example.nl")), "nothing readable without the key")
	r, err := age.Decrypt(bytes.NewReader(a.body), id)
	require.NoError(t, err)
	plain, err := io.ReadAll(r)
	require.NoError(t, err)
	m, files := archiveOf(t, plain)
	assert.True(t, m.Complete)
	assert.Contains(t, files["data/contact.ndjson"], "alice@example.nl")
}

// failingRecords is the memory store whose BySubject fails after yielding
// some records.
type failingRecords struct {
	*retention.MemoryStore
	after int
	err   error
}

func (f failingRecords) BySubject(ctx context.Context, s privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		n := 0
		for r, err := range f.MemoryStore.BySubject(ctx, s) {
			if n == f.after || err != nil {
				break
			}
			if !yield(r, nil) {
				return
			}
			n++
		}
		yield(privacy.Record{}, f.err)
	}
}

func TestExportFailingBeforeTheFirstByteIsAProblem(t *testing.T) {
	w := newWorld(t, &worldOptions{records: func(m *retention.MemoryStore) steward.Records {
		return failingRecords{MemoryStore: m, after: 0, err: errors.New("disk on fire at /var/lib/clients/alice")}
	}})
	a := w.do(t, call{method: "GET", path: "/v1/export", as: "alice"})
	require.Equal(t, http.StatusInternalServerError, a.status)
	p := a.problem(t)
	assert.Equal(t, httpapi.ProblemInternal, p.Type)
	assert.Empty(t, p.Reason, "an internal error is never described")
	assert.NotContains(t, string(a.body), "disk")
	assert.Empty(t, a.header.Get("Content-Disposition"))
}

func TestExportFailingMidStreamIsNeverAWholeDownload(t *testing.T) {
	w := newWorld(t, &worldOptions{records: func(m *retention.MemoryStore) steward.Records {
		return failingRecords{MemoryStore: m, after: 2, err: errors.New("connection reset")}
	}})

	t.Run("the client sees a broken transfer", func(t *testing.T) {
		req, err := http.NewRequest("GET", w.srv.URL+"/privacy/v1/export", nil)
		require.NoError(t, err)
		req.Header.Set(sessionHeader, "alice")
		resp, err := w.srv.Client().Do(req)
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		require.Error(t, err, "a failed export must not read as a complete response")
	})

	t.Run("the handler aborts, and what it wrote says incomplete", func(t *testing.T) {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", "/v1/export?format=json", nil)
		req.Header.Set(sessionHeader, "alice")
		func() {
			defer func() {
				assert.Equal(t, http.ErrAbortHandler, recover(), "the connection is aborted")
			}()
			w.h.ServeHTTP(rec, req)
		}()
		assert.Empty(t, rec.Header().Get("Content-Length"))
		m, _ := archiveOf(t, rec.Body.Bytes())
		assert.False(t, m.Complete)
		assert.NotEmpty(t, m.Failure)
	})
}

func TestExportTakesNoSubjectFromTheQuery(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/export?subject=bob&format=csv", as: "alice"})
	require.Equal(t, http.StatusOK, a.status)
	m, files := archiveOf(t, a.body)
	assert.Equal(t, privacy.SubjectID("alice"), m.Subject)
	assert.False(t, strings.Contains(files["data/contact.csv"], "bob"))
}
