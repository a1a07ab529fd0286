package httpapi_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

type requestJSON struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"`
	State    string    `json:"state"`
	Received time.Time `json:"received"`
	Due      time.Time `json:"due"`
	Closed   time.Time `json:"closed"`
}

type erasureJSON struct {
	Request requestJSON `json:"request"`
	Report  *struct {
		Changed bool `json:"changed"`
		Items   []struct {
			Category string   `json:"category"`
			ID       string   `json:"id"`
			Outcome  string   `json:"outcome"`
			Matters  []string `json:"matters"`
			Masked   []string `json:"masked"`
		} `json:"items"`
		Withdrawn []string `json:"withdrawn"`
	} `json:"report"`
	Text string `json:"text"`
}

// follow resolves a Location against the URL it answered, as a client does.
func (w *world) follow(t testing.TB, from, location string) string {
	t.Helper()
	base, err := url.Parse(w.srv.URL + "/privacy" + from)
	require.NoError(t, err)
	ref, err := url.Parse(location)
	require.NoError(t, err)
	u := base.ResolveReference(ref)
	require.Equal(t, "/privacy/v1/requests/", u.Path[:len("/privacy/v1/requests/")], "Location resolves under the host's mount point")
	return u.Path[len("/privacy"):]
}

func TestErasureRequestWithinTheRequest(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h-1", Matter: "claim 7", Ground: retention.GroundLegalClaim,
		Scope: retention.RecordScope(privacy.Ref{Category: "order", ID: "o-alice"}), PlacedBy: "legal"})
	require.NoError(t, err)
	a := w.do(t, call{method: "PUT", path: "/v1/consents/newsletter", as: "alice", body: `{}`})
	require.Equal(t, http.StatusOK, a.status)

	a = w.do(t, call{method: "POST", path: "/v1/erasure", as: "alice", body: `{}`, header: lang("nl")})
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	assert.Equal(t, "nl", a.header.Get("Content-Language"))
	var e erasureJSON
	a.json(t, &e)
	assert.Equal(t, "erasure", e.Request.Kind)
	assert.Equal(t, "completed", e.Request.State)
	assert.True(t, e.Request.Due.Equal(day(2024, 4, 2)), "due by the end of 1 April: %s", e.Request.Due)
	require.NotNil(t, e.Report)
	assert.True(t, e.Report.Changed)
	outcomes := map[string]string{}
	for _, it := range e.Report.Items {
		outcomes[it.ID] = it.Outcome
	}
	assert.Equal(t, map[string]string{"c-alice": "deleted", "inv-alice": "minimised", "o-alice": "kept_held"}, outcomes)
	assert.Equal(t, []string{"newsletter"}, e.Report.Withdrawn)
	assert.Contains(t, e.Text, "Verwijdering van uw persoonsgegevens")

	loc := a.header.Get("Location")
	assert.Equal(t, "requests/"+e.Request.ID, loc)
	path := w.follow(t, "/v1/erasure", loc)
	a = w.do(t, call{method: "GET", path: path, as: "alice"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var r requestJSON
	a.json(t, &r)
	assert.Equal(t, e.Request.ID, r.ID)
	assert.Equal(t, "completed", r.State)
	assert.False(t, r.Closed.IsZero())

	_, ok := w.recordOf(t, "contact", "c-alice")
	assert.False(t, ok, "alice's contact details are gone")
	_, ok = w.recordOf(t, "contact", "c-bob")
	assert.True(t, ok, "bob's are not")

	a = w.do(t, call{method: "GET", path: "/v1/requests/req-000000000000000000000000", as: "alice"})
	require.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, httpapi.ProblemNotFound, a.problem(t).Type)
	a = w.do(t, call{method: "POST", path: "/v1/erasure", as: "alice", body: `{"confirm":true}`})
	require.Equal(t, http.StatusBadRequest, a.status, "the body takes no members")
}

func TestErasureRequestInTheBackground(t *testing.T) {
	w := newWorld(t, &worldOptions{api: httpapi.Options{Background: context.Background}})
	a := w.do(t, call{method: "POST", path: "/v1/erasure", as: "alice", body: `{}`})
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	var e erasureJSON
	a.json(t, &e)
	assert.Equal(t, "received", e.Request.State, "the answer does not wait for the erasure")
	assert.Nil(t, e.Report)
	w.h.Wait()
	a = w.do(t, call{method: "GET", path: w.follow(t, "/v1/erasure", a.header.Get("Location")), as: "alice"})
	require.Equal(t, http.StatusOK, a.status)
	var r requestJSON
	a.json(t, &r)
	assert.Equal(t, "completed", r.State)
	_, ok := w.recordOf(t, "contact", "c-alice")
	assert.False(t, ok)
}

func TestErasureThatFailsLeavesTheRequestInProgress(t *testing.T) {
	w := newWorld(t, &worldOptions{records: func(m *retention.MemoryStore) steward.Records {
		return failingRecords{MemoryStore: m, after: 1, err: errors.New("disk full")}
	}})
	a := w.do(t, call{method: "POST", path: "/v1/erasure", as: "alice", body: `{}`})
	require.Equal(t, http.StatusAccepted, a.status, "%s", a.body)
	var e erasureJSON
	a.json(t, &e)
	assert.Equal(t, "in_progress", e.Request.State, "the request stands, due by its date")
	assert.Nil(t, e.Report)
	assert.NotContains(t, string(a.body), "disk")
	assert.Contains(t, w.logs.String(), "erasure request not completed")
	assert.Contains(t, w.logs.String(), e.Request.ID, "the log names the request")
	assert.NotContains(t, w.logs.String(), "alice", "and never the subject")
}
