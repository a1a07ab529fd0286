package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
)

// bobsData is everything of bob's the store, the ledger and the requests
// hold, to compare before and after alice's attempts.
type bobsData struct {
	Records  []privacy.Record
	History  []consent.Event
	Requests []string
}

func (w *world) bobsData(t *testing.T, requestIDs ...string) bobsData {
	t.Helper()
	var d bobsData
	for r, err := range w.store.BySubject(w.ctx, "bob") {
		require.NoError(t, err)
		d.Records = append(d.Records, r)
	}
	d.History = w.history(t, "bob")
	for _, id := range requestIDs {
		r, err := w.s.Request(w.ctx, "bob", id)
		require.NoError(t, err)
		d.Requests = append(d.Requests, r.ID+":"+string(r.State))
	}
	return d
}

func TestSubjectCanNeverReachAnotherSubjectsData(t *testing.T) {
	w := newWorld(t, nil)
	_, err := w.ledger.Give(w.ctx, consent.Choice{Subject: "bob", Purpose: "newsletter", Method: consent.MethodWeb})
	require.NoError(t, err)
	bobsRequest, err := w.s.Receive(w.ctx, "bob", privacy.RequestAccess)
	require.NoError(t, err)
	_, err = w.s.Archive(w.ctx, "bob", "accountant-jansen", day(2030, 1, 1))
	require.NoError(t, err)
	before := w.bobsData(t, bobsRequest.ID)

	rq := bobsRequest.ID
	// Every attempt is made with alice's session. Whatever she names, she
	// reaches her own data or nothing.
	attempts := []struct {
		name   string
		call   call
		status int
	}{
		{"read the report naming bob in the query", call{method: "GET", path: "/v1/access?subject=bob"}, 200},
		{"read the report as text naming bob", call{method: "GET", path: "/v1/access?subject=bob&as=bob", header: http.Header{"Accept": {"text/plain"}}}, 200},
		{"read bob's consent naming him in the query", call{method: "GET", path: "/v1/consents/newsletter?subject=bob"}, 200},
		{"list consents naming bob", call{method: "GET", path: "/v1/consents?subject=bob"}, 200},
		{"read cookies naming bob", call{method: "GET", path: "/v1/cookies?subject=bob"}, 200},
		{"rectify bob's record by its ID", call{method: "PATCH", path: "/v1/records/contact/c-bob", body: `{"fields":[{"name":"email","value":"mallory@example.nl"}]}`}, 404},
		{"rectify bob's record naming him in the query", call{method: "PATCH", path: "/v1/records/contact/c-bob?subject=bob", body: `{"fields":[{"name":"email","value":"mallory@example.nl"}]}`}, 404},
		{"rectify bob's record through an escaped path", call{method: "PATCH", path: "/v1/records/contact/..%2Fc-bob", body: `{"fields":[{"name":"email","value":"mallory@example.nl"}]}`}, 404},
		{"rectify bob's invoice by its ID", call{method: "PATCH", path: "/v1/records/invoice/inv-bob", body: `{"fields":[{"name":"client_name","value":"Mallory"}]}`}, 404},
		{"rectify naming bob in the body", call{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"subject":"bob","fields":[{"name":"email","value":"mallory@example.nl"}]}`}, 400},
		{"give consent naming bob in the body", call{method: "PUT", path: "/v1/consents/newsletter", body: `{"subject":"bob","state":"refused"}`}, 400},
		{"withdraw consent naming bob in the query", call{method: "DELETE", path: "/v1/consents/newsletter?subject=bob"}, 404},
		{"withdraw consent naming bob in the body", call{method: "DELETE", path: "/v1/consents/newsletter", body: `{"subject":"bob"}`}, 400},
		{"set cookies naming bob in the body", call{method: "PUT", path: "/v1/cookies", body: `{"allow":[],"subject":"bob"}`}, 400},
		{"read bob's request by its ID", call{method: "GET", path: "/v1/requests/" + rq}, 404},
		{"read bob's request naming him", call{method: "GET", path: "/v1/requests/" + rq + "?subject=bob"}, 404},
		{"erase naming bob in the body", call{method: "POST", path: "/v1/erasure", body: `{"subject":"bob"}`}, 400},
		{"read bob's archive as a subject", call{method: "GET", path: "/v1/archives/bob/records"}, 403},
		{"place a hold on bob as a subject", call{method: "POST", path: "/v1/holds", body: `{"id":"h","matter":"m","ground":"law","scope":{"kind":"subject","subject":"bob"}}`}, 403},
		{"export naming bob in the query", call{method: "GET", path: "/v1/export?subject=bob&format=json"}, 200},
	}
	for _, c := range attempts {
		t.Run(c.name, func(t *testing.T) {
			c.call.as = "alice"
			a := w.do(t, c.call)
			require.Equal(t, c.status, a.status, "%s", a.body)
			if strings.HasPrefix(c.call.path, "/v1/export") {
				m, files := archiveOf(t, a.body)
				assert.Equal(t, privacy.SubjectID("alice"), m.Subject)
				for name, content := range files {
					assert.NotContains(t, content, "bob", name)
				}
				return
			}
			assert.NotContains(t, string(a.body), "bob", "nothing of bob's, not even his name, comes back")
		})
	}
	// The same 404 for bob's record as for one that does not exist.
	theirs := w.do(t, call{method: "PATCH", path: "/v1/records/contact/c-bob", as: "alice", body: `{"fields":[{"name":"email","value":"x"}]}`})
	none := w.do(t, call{method: "PATCH", path: "/v1/records/contact/c-nobody", as: "alice", body: `{"fields":[{"name":"email","value":"x"}]}`})
	assert.Equal(t, string(none.body), string(theirs.body), "another's record cannot be told from no record")

	assert.Empty(t, cmp.Diff(before, w.bobsData(t, bobsRequest.ID)), "bob's data is as it was")

	// Last, the one attempt that changes anything: erasure naming bob
	// erases alice.
	a := w.do(t, call{method: "POST", path: "/v1/erasure?subject=bob", as: "alice", body: `{}`})
	require.Equal(t, http.StatusAccepted, a.status)
	_, ok := w.recordOf(t, "contact", "c-alice")
	assert.False(t, ok, "alice erased herself")
	assert.Empty(t, cmp.Diff(before, w.bobsData(t, bobsRequest.ID)), "bob's data is still as it was")
}

func TestEverySubjectRouteNeedsAuthentication(t *testing.T) {
	w := newWorld(t, nil)
	for _, rt := range httpapi.Routes() {
		if rt.Access != httpapi.AccessSubject {
			continue
		}
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			// A body that would be refused as malformed: authentication comes first.
			a := w.do(t, call{method: rt.Method, path: samplePath(rt.Path), body: `{"fields":`, header: lang("nl")})
			require.Equal(t, http.StatusUnauthorized, a.status, "%s", a.body)
			p := a.problem(t)
			assert.Equal(t, httpapi.ProblemUnauthenticated, p.Type)
			assert.Equal(t, "Niet aangemeld", p.Title)
			assert.Equal(t, "nl", a.header.Get("Content-Language"))
			assert.Equal(t, `Bearer realm="steward"`, a.header.Get("WWW-Authenticate"))
		})
	}
}

func TestEveryOperatorRouteRefusesNonOperators(t *testing.T) {
	w := newWorld(t, nil)
	var operators int
	for _, rt := range httpapi.Routes() {
		if rt.Access != httpapi.AccessOperator {
			continue
		}
		operators++
		t.Run(rt.Method+" "+rt.Path, func(t *testing.T) {
			body := `{"id":"h","matter":"m","ground":"law","scope":{"kind":"subject","subject":"alice"}}`
			a := w.do(t, call{method: rt.Method, path: samplePath(rt.Path), as: "alice", body: body})
			require.Equal(t, http.StatusForbidden, a.status, "a subject is no operator: %s", a.body)
			assert.Equal(t, httpapi.ProblemForbidden, a.problem(t).Type)

			a = w.do(t, call{method: rt.Method, path: samplePath(rt.Path), body: body})
			require.Equal(t, http.StatusUnauthorized, a.status, "the authorizer said: not signed in")
			assert.Equal(t, httpapi.ProblemUnauthenticated, a.problem(t).Type)
		})
	}
	require.Equal(t, 5, operators)
	activeHolds := 0
	for _, err := range w.s.Holds().Active(w.ctx) {
		require.NoError(t, err)
		activeHolds++
	}
	assert.Zero(t, activeHolds, "no refused request placed a hold")
}

func TestOperatorRoutesWithoutAnAuthorizerAreRefused(t *testing.T) {
	w := newWorld(t, &worldOptions{noOperator: true})
	a := w.do(t, call{method: "GET", path: "/v1/holds", staff: "legal-anna"})
	require.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, httpapi.ProblemForbidden, a.problem(t).Type)

	w = newWorld(t, &worldOptions{api: httpapi.Options{Operator: func(*http.Request) (string, error) { return "", errors.New("not staff") }}})
	a = w.do(t, call{method: "GET", path: "/v1/holds", staff: "legal-anna"})
	require.Equal(t, http.StatusForbidden, a.status)
}

func TestSubjectAuthorizerMayForbid(t *testing.T) {
	w := newWorld(t, &worldOptions{api: httpapi.Options{Subject: func(*http.Request) (privacy.SubjectID, error) {
		return "", httpapi.ErrForbidden // a suspended account, say
	}}})
	a := w.do(t, call{method: "GET", path: "/v1/access", as: "alice"})
	require.Equal(t, http.StatusForbidden, a.status)
	assert.Equal(t, httpapi.ProblemForbidden, a.problem(t).Type)
}

// samplePath fills a route's wildcards with sample values.
func samplePath(p string) string {
	for {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			return p
		}
		j := strings.IndexByte(p[i:], '}')
		p = p[:i] + "sample" + p[i+j+1:]
	}
}
