package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
)

type holdJSON struct {
	ID     string `json:"id"`
	Matter string `json:"matter"`
	Ground string `json:"ground"`
	Scope  struct {
		Kind    string `json:"kind"`
		Subject string `json:"subject"`
		Record  *struct {
			Category string `json:"category"`
			ID       string `json:"id"`
		} `json:"record"`
	} `json:"scope"`
	Active     bool      `json:"active"`
	PlacedBy   string    `json:"placed_by"`
	PlacedAt   time.Time `json:"placed_at"`
	ReleasedBy string    `json:"released_by"`
}

func TestOperatorPlacesAndReleasesHolds(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "POST", path: "/v1/holds", staff: "legal-anna",
		body: `{"id":"h-claim-7","matter":"claim 7","ground":"legal_claim","scope":{"kind":"record","record":{"category":"invoice","id":"inv-alice"}}}`})
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)
	assert.Equal(t, "holds/h-claim-7", a.header.Get("Location"))
	var h holdJSON
	a.json(t, &h)
	assert.Equal(t, "legal-anna", h.PlacedBy, "the actor is the operator the host authorized")
	assert.True(t, h.Active)
	require.NotNil(t, h.Scope.Record)
	assert.Equal(t, "inv-alice", h.Scope.Record.ID)

	a = w.do(t, call{method: "POST", path: "/v1/holds", staff: "legal-anna",
		body: `{"id":"h-subject","matter":"court order 12","ground":"court_order","scope":{"kind":"subject","subject":"bob"}}`})
	require.Equal(t, http.StatusCreated, a.status, "%s", a.body)

	var list struct{ Holds []holdJSON }
	a = w.do(t, call{method: "GET", path: "/v1/holds", staff: "legal-anna"})
	require.Equal(t, http.StatusOK, a.status)
	a.json(t, &list)
	require.Len(t, list.Holds, 2)
	assert.Equal(t, "bob", list.Holds[1].Scope.Subject)

	a = w.do(t, call{method: "GET", path: "/v1/holds/h-claim-7", staff: "legal-ben"})
	require.Equal(t, http.StatusOK, a.status)

	a = w.do(t, call{method: "POST", path: "/v1/holds/h-claim-7/release", body: `{}`, staff: "legal-ben"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	a.json(t, &h)
	assert.False(t, h.Active)
	assert.Equal(t, "legal-ben", h.ReleasedBy)

	var released, placed bool
	for e, err := range w.audit.Events(w.ctx, 0) {
		require.NoError(t, err)
		if e.Object == "h-claim-7" {
			placed = placed || (e.Action == privacy.ActionHoldPlaced && e.Actor == "legal-anna")
			released = released || (e.Action == privacy.ActionHoldReleased && e.Actor == "legal-ben")
		}
	}
	assert.True(t, placed && released, "both audited with the operator as actor")

	for _, c := range []struct {
		name   string
		call   call
		status int
		typ    string
	}{
		{"releasing a released hold is a conflict", call{method: "POST", path: "/v1/holds/h-claim-7/release", body: `{}`}, 409, httpapi.ProblemConflict},
		{"an unknown hold is not found", call{method: "GET", path: "/v1/holds/h-none"}, 404, httpapi.ProblemNotFound},
		{"releasing an unknown hold is not found", call{method: "POST", path: "/v1/holds/h-none/release", body: `{}`}, 404, httpapi.ProblemNotFound},
		{"a hold ID in use is a conflict", call{method: "POST", path: "/v1/holds", body: `{"id":"h-subject","matter":"m","ground":"law","scope":{"kind":"category","category":"invoice"}}`}, 409, httpapi.ProblemConflict},
		{"an unknown ground is invalid", call{method: "POST", path: "/v1/holds", body: `{"id":"h-2","matter":"m","ground":"whim","scope":{"kind":"category","category":"invoice"}}`}, 422, httpapi.ProblemInvalid},
		{"an unknown scope kind is invalid", call{method: "POST", path: "/v1/holds", body: `{"id":"h-2","matter":"m","ground":"law","scope":{"kind":"planet"}}`}, 422, httpapi.ProblemInvalid},
		{"a scope with two targets is invalid", call{method: "POST", path: "/v1/holds", body: `{"id":"h-2","matter":"m","ground":"law","scope":{"kind":"subject","subject":"bob","category":"invoice"}}`}, 422, httpapi.ProblemInvalid},
		{"the body cannot name who placed it", call{method: "POST", path: "/v1/holds", body: `{"id":"h-2","matter":"m","ground":"law","scope":{"kind":"category","category":"invoice"},"placed_by":"someone-else"}`}, 400, httpapi.ProblemMalformed},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.call.staff = "legal-anna"
			a := w.do(t, c.call)
			require.Equal(t, c.status, a.status, "%s", a.body)
			assert.Equal(t, c.typ, a.problem(t).Type)
		})
	}
}

func TestArchiveIsReadOnlyByTheAppointedAdministrator(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.s.Archive(w.ctx, "alice", "accountant-jansen", day(2030, 1, 1))
	require.NoError(t, err)

	a := w.do(t, call{method: "GET", path: "/v1/archives/alice/records", staff: "accountant-jansen"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var out struct {
		Subject string `json:"subject"`
		Records []struct {
			ID     string      `json:"id"`
			Fields []fieldJSON `json:"fields"`
		} `json:"records"`
	}
	a.json(t, &out)
	assert.Equal(t, "alice", out.Subject)
	require.Len(t, out.Records, 3)
	assert.Equal(t, "c-alice", out.Records[0].ID)

	a = w.do(t, call{method: "GET", path: "/v1/archives/alice/records", staff: "operator-piet"})
	require.Equal(t, http.StatusForbidden, a.status, "%s", a.body)
	assert.Equal(t, httpapi.ProblemNoConsent, a.problem(t).Type, "another operator is not the appointed administrator")

	a = w.do(t, call{method: "GET", path: "/v1/archives/bob/records", staff: "accountant-jansen"})
	require.Equal(t, http.StatusNotFound, a.status, "bob has no archive")

	reads := map[string]string{}
	for e, err := range w.audit.Events(w.ctx, 0) {
		require.NoError(t, err)
		if e.Action == privacy.ActionArchiveRead {
			reads[e.Actor] = e.Reason
		}
	}
	assert.Equal(t, map[string]string{"accountant-jansen": "accounting_consultation", "operator-piet": "refused"}, reads, "every read is audited, refused ones too")
}
