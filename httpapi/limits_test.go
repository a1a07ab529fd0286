package httpapi_test

import (
	"context"
	"iter"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

func TestBodiesAreCappedAndStrict(t *testing.T) {
	w := newWorld(t, &worldOptions{api: httpapi.Options{MaxBody: 1 << 10}})
	long := `{"recipients":["` + strings.Repeat("r", 2<<10) + `"]}`
	for _, c := range []struct {
		name   string
		call   call
		status int
		typ    string
	}{
		{"a body over the cap is too large", call{body: long}, 413, httpapi.ProblemTooLarge},
		{"a body over the cap is too large even as trailing data", call{body: `{}` + strings.Repeat(" ", 2<<10) + `{}`}, 413, httpapi.ProblemTooLarge},
		{"an unknown member is refused", call{body: `{"state":"given","valid_for":"ever"}`}, 400, httpapi.ProblemMalformed},
		{"a second JSON value is refused", call{body: `{}{}`}, 400, httpapi.ProblemMalformed},
		{"trailing garbage is refused", call{body: `{} and more`}, 400, httpapi.ProblemMalformed},
		{"broken JSON is refused", call{body: `{"state":`}, 400, httpapi.ProblemMalformed},
		{"a member of the wrong type is refused", call{body: `{"version":"one"}`}, 400, httpapi.ProblemMalformed},
		{"an array where an object belongs is refused", call{body: `[]`}, 400, httpapi.ProblemMalformed},
		{"a body that is not JSON is refused", call{body: `state=given`, ctype: "application/x-www-form-urlencoded"}, 415, httpapi.ProblemUnsupportedMediaType},
		{"a JSON body labelled text is refused", call{body: `{}`, ctype: "text/plain"}, 415, httpapi.ProblemUnsupportedMediaType},
		{"a +json media type is JSON", call{body: `{}`, ctype: "application/merge-patch+json"}, 200, ""},
		{"a body just under the cap passes", call{body: `{"recipients":["` + strings.Repeat("r", 200) + `"]}`}, 200, ""},
		{"no body at all is an empty decision", call{}, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.call.method, c.call.path, c.call.as = "PUT", "/v1/consents/newsletter", "alice"
			a := w.do(t, c.call)
			require.Equal(t, c.status, a.status, "%s", a.body)
			if c.typ != "" {
				assert.Equal(t, c.typ, a.problem(t).Type)
			}
		})
	}
	t.Run("a body without Content-Type is refused", func(t *testing.T) {
		req, err := http.NewRequest("PUT", w.srv.URL+"/privacy/v1/consents/newsletter", strings.NewReader(`{}`))
		require.NoError(t, err)
		req.Header.Set(sessionHeader, "alice")
		resp, err := w.srv.Client().Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnsupportedMediaType, resp.StatusCode)
	})
}

// slowRecords is a store that answers only when the caller's context ends,
// as a database would that is stuck behind a lock.
type slowRecords struct{ *retention.MemoryStore }

func (s slowRecords) BySubject(ctx context.Context, _ privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		<-ctx.Done()
		yield(privacy.Record{}, ctx.Err())
	}
}

func TestTimeOutsComeThroughTheRequestContext(t *testing.T) {
	w := newWorld(t, &worldOptions{
		records: func(m *retention.MemoryStore) steward.Records { return slowRecords{m} },
		wrap: func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				ctx, cancel := context.WithTimeout(r.Context(), 20*time.Millisecond)
				defer cancel()
				next.ServeHTTP(rw, r.WithContext(ctx))
			})
		},
	})
	for _, c := range []call{
		{method: "GET", path: "/v1/access"},
		{method: "GET", path: "/v1/export"},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"email","value":"x"}]}`},
	} {
		t.Run(c.method+" "+c.path, func(t *testing.T) {
			c.as = "alice"
			a := w.do(t, c)
			require.Equal(t, http.StatusServiceUnavailable, a.status, "%s", a.body)
			assert.Equal(t, httpapi.ProblemUnavailable, a.problem(t).Type)
		})
	}
}

func TestUnknownRoutesAndMethodsAreProblems(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/nothing-here", as: "alice"})
	require.Equal(t, http.StatusNotFound, a.status)
	assert.Equal(t, httpapi.ProblemNotFound, a.problem(t).Type)

	a = w.do(t, call{method: "DELETE", path: "/v1/access", as: "alice", header: lang("nl")})
	require.Equal(t, http.StatusMethodNotAllowed, a.status)
	p := a.problem(t)
	assert.Equal(t, httpapi.ProblemMethodNotAllowed, p.Type)
	assert.Equal(t, "Methode niet toegestaan", p.Title)
	assert.Equal(t, "GET, HEAD", a.header.Get("Allow"))
}

func TestNoRequestValueIsEverEchoed(t *testing.T) {
	w := newWorld(t, nil)
	const probe = "PROBE-jan.devries@example.nl"
	for _, c := range []call{
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"` + probe + `":1}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"state":"` + probe + `"}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"method":"` + probe + `"}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"language":"` + probe + `"}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"recipients":["` + probe + `","` + probe + `"]}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"version":"` + probe + `"}`},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"state":"given"} ` + probe},
		{method: "PUT", path: "/v1/consents/newsletter", body: `{"state":"` + probe},
		{method: "PUT", path: "/v1/cookies", body: `{"allow":["` + probe + `"]}`},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"email","type":"int","value":"` + probe + `"}]}`},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"email","type":"time","value":"` + probe + `"}]}`},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"segment","value":"` + probe + `"}]}`},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"email","value":"` + probe + `"},{"name":"email","value":"` + probe + `"}]}`},
		{method: "PATCH", path: "/v1/records/contact/c-alice", body: `{"fields":[{"name":"email","value":"` + "\xff" + probe + `"}]}`},
		{method: "PATCH", path: "/v1/records/contact/c-bob", body: `{"fields":[{"name":"email","value":"` + probe + `"}]}`},
		{method: "GET", path: "/v1/export?format=" + probe},
		{method: "GET", path: "/v1/export?recipient=" + probe},
		{method: "GET", path: "/v1/notices/privacy?version=" + probe},
		{method: "GET", path: "/v1/requests/" + probe},
	} {
		t.Run(c.method+" "+c.path+" "+c.body, func(t *testing.T) {
			c.as = "alice"
			a := w.do(t, c)
			require.GreaterOrEqual(t, a.status, 400, "%s", a.body)
			a.problem(t)
			assert.NotContains(t, string(a.body), "PROBE")
			assert.NotContains(t, string(a.body), "jan.devries")
		})
	}
	assert.NotContains(t, w.logs.String(), "PROBE", "nor logged")
}

// A browser sends a cross-site form, or a fetch without CORS, with the
// user's cookies but never with Content-Type application/json. Every POST
// takes a JSON body, so no other site can make a signed-in browser erase an
// account or release a hold. (PUT and DELETE cannot be sent cross-site
// without CORS at all.)
func TestCrossSiteRequestsCannotChangeAnything(t *testing.T) {
	w := newWorld(t, nil)
	for _, c := range []struct {
		name  string
		call  call
		typ   string
		ctype string
	}{
		{"an erasure form", call{method: "POST", path: "/v1/erasure", as: "alice", body: "confirm=yes", ctype: "application/x-www-form-urlencoded"}, httpapi.ProblemUnsupportedMediaType, ""},
		{"an erasure as text", call{method: "POST", path: "/v1/erasure", as: "alice", body: "{}", ctype: "text/plain"}, httpapi.ProblemUnsupportedMediaType, ""},
		{"an erasure without a body", call{method: "POST", path: "/v1/erasure", as: "alice"}, httpapi.ProblemMalformed, ""},
		{"a release without a body", call{method: "POST", path: "/v1/holds/h/release", staff: "legal"}, httpapi.ProblemMalformed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := w.do(t, c.call)
			require.GreaterOrEqual(t, a.status, 400)
			assert.Equal(t, c.typ, a.problem(t).Type)
		})
	}
	_, ok := w.recordOf(t, "contact", "c-alice")
	assert.True(t, ok, "nothing was erased")
}
