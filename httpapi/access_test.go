package httpapi_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

type fieldJSON struct {
	Name  string `json:"name"`
	Class string `json:"class"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type accessJSON struct {
	Time    time.Time `json:"time"`
	Records []struct {
		Category   string      `json:"category"`
		ID         string      `json:"id"`
		Restricted bool        `json:"restricted"`
		Fields     []fieldJSON `json:"fields"`
		Retention  struct {
			Outcome string    `json:"outcome"`
			Until   time.Time `json:"until"`
			Rule    string    `json:"rule"`
			Basis   string    `json:"basis"`
		} `json:"retention"`
	} `json:"records"`
	Categories []string `json:"categories"`
	Purposes   []struct {
		Purpose string `json:"purpose"`
		Basis   string `json:"basis"`
		Consent string `json:"consent"`
	} `json:"purposes"`
	Recipients []string `json:"recipients"`
	Rights     []string `json:"rights"`
	Subject    string   `json:"subject"`
}

func TestAccessReportAsJSONAndAsText(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/access", as: "alice"})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	assert.Equal(t, "no-store", a.header.Get("Cache-Control"))
	var rep accessJSON
	a.json(t, &rep)
	ids := []string{}
	for _, r := range rep.Records {
		ids = append(ids, r.ID)
	}
	assert.Empty(t, cmp.Diff([]string{"c-alice", "inv-alice", "o-alice"}, ids), "alice's records, and only hers")
	inv := rep.Records[1]
	assert.Equal(t, "retain", inv.Retention.Outcome)
	assert.True(t, inv.Retention.Until.Equal(day(2031, 1, 1)), "kept through 2030: %s", inv.Retention.Until)
	assert.Equal(t, "UTC", inv.Retention.Until.Location().String())
	assert.Contains(t, inv.Retention.Basis, "AWR")
	assert.Equal(t, fieldJSON{Name: "amount", Class: "plain", Type: "int", Value: float64(12100)}, inv.Fields[1])
	assert.Equal(t, fieldJSON{Name: "newsletter_since", Class: "personal", Type: "null"}, rep.Records[0].Fields[2])
	assert.Equal(t, []string{"access", "rectification", "erasure", "restriction", "portability", "objection"}, rep.Rights)
	assert.Equal(t, []string{}, rep.Recipients)
	assert.Empty(t, rep.Subject, "the answer does not repeat the subject's ID")

	a = w.do(t, call{method: "GET", path: "/v1/access", as: "alice", header: http.Header{
		"Accept": {"text/plain, application/json;q=0.5"}, "Accept-Language": {"nl-BE"}}})
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "text/plain; charset=utf-8", a.header.Get("Content-Type"))
	assert.Equal(t, "nl", a.header.Get("Content-Language"))
	assert.Contains(t, string(a.body), "Uw persoonsgegevens (AVG art. 15), 1 maart 2024")
	assert.Contains(t, string(a.body), "Factuur inv-alice: bewaard tot 1 januari 2031")
	assert.NotContains(t, string(a.body), "bob")

	a = w.do(t, call{method: "GET", path: "/v1/access", as: "alice", header: http.Header{"Accept": {"text/html,*/*;q=0.8"}}})
	assert.Equal(t, "application/json", a.header.Get("Content-Type"), "a tie gives JSON")
}

func TestRectifyChangesPersonalFieldsOnly(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "PATCH", path: "/v1/records/contact/c-alice", as: "alice",
		body: `{"fields":[{"name":"email","value":"alice@example.org"},{"name":"newsletter_since","type":"time","value":"2024-01-02T03:04:05+01:00"}]}`})
	require.Equal(t, http.StatusOK, a.status, "%s", a.body)
	var out struct {
		Record struct{ Category, ID string }
		Fields []string
	}
	a.json(t, &out)
	assert.Equal(t, "c-alice", out.Record.ID)
	assert.Equal(t, []string{"email", "newsletter_since"}, out.Fields)
	r, ok := w.recordOf(t, "contact", "c-alice")
	require.True(t, ok)
	email, _ := r.Field("email")
	since, _ := r.Field("newsletter_since")
	assert.Equal(t, "alice@example.org", email.Value)
	assert.Equal(t, privacy.Personal, email.Class, "the field keeps its class")
	assert.True(t, time.Date(2024, 1, 2, 2, 4, 5, 0, time.UTC).Equal(since.Value.(time.Time)))

	_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h-order", Matter: "claim 7", Ground: retention.GroundLegalClaim,
		Scope: retention.RecordScope(privacy.Ref{Category: "order", ID: "o-alice"}), PlacedBy: "legal"})
	require.NoError(t, err)

	for _, c := range []struct {
		name, path, body string
		status           int
		typ, field       string
	}{
		{"a plain field is not the subject's to rectify", "/v1/records/contact/c-alice", `{"fields":[{"name":"segment","value":"x"}]}`, 422, httpapi.ProblemInvalid, "segment"},
		{"a field the record lacks is invalid", "/v1/records/contact/c-alice", `{"fields":[{"name":"fax","value":"x"}]}`, 422, httpapi.ProblemInvalid, "fax"},
		{"no changes is invalid", "/v1/records/contact/c-alice", `{"fields":[]}`, 422, httpapi.ProblemInvalid, ""},
		{"a held record cannot change", "/v1/records/order/o-alice", `{"fields":[{"name":"delivery_address","value":"x"}]}`, 409, httpapi.ProblemHeld, ""},
		{"a record that does not exist is not found", "/v1/records/contact/c-nobody", `{"fields":[{"name":"email","value":"x"}]}`, 404, httpapi.ProblemNotFound, ""},
		{"a value of another type than named is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email","type":"int","value":"x"}]}`, 400, httpapi.ProblemMalformed, ""},
		{"an integer beyond 64 bits is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email","value":123456789012345678901234567890}]}`, 400, httpapi.ProblemMalformed, ""},
		{"a missing value is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email"}]}`, 400, httpapi.ProblemMalformed, ""},
		{"an object value is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email","value":{"a":1}}]}`, 400, httpapi.ProblemMalformed, ""},
		{"a time that is not RFC 3339 is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email","type":"time","value":"yesterday"}]}`, 400, httpapi.ProblemMalformed, ""},
		{"an unknown type is malformed", "/v1/records/contact/c-alice", `{"fields":[{"name":"email","type":"blob","value":"x"}]}`, 400, httpapi.ProblemMalformed, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := w.do(t, call{method: "PATCH", path: c.path, as: "alice", body: c.body})
			require.Equal(t, c.status, a.status, "%s", a.body)
			p := a.problem(t)
			assert.Equal(t, c.typ, p.Type)
			assert.Equal(t, c.field, p.Field)
		})
	}

	// Erasure restricts the invoice to its fiscal duty; it can no longer be
	// changed.
	_, err = w.s.Erase(w.ctx, "alice")
	require.NoError(t, err)
	a = w.do(t, call{method: "PATCH", path: "/v1/records/invoice/inv-alice", as: "alice", body: `{"fields":[{"name":"client_name","value":"A"}]}`})
	require.Equal(t, http.StatusConflict, a.status, "%s", a.body)
	assert.Equal(t, httpapi.ProblemRetained, a.problem(t).Type)
}

func TestFieldValuesTakeTheirTypes(t *testing.T) {
	w := newWorld(t, nil)
	for _, c := range []struct {
		json string
		want any
	}{
		{`"text"`, "text"},
		{`{"type":"string","value":"42"}`, "42"},
		{`42`, int64(42)},
		{`-7`, int64(-7)},
		{`{"type":"float","value":42}`, float64(42)},
		{`2.5e3`, float64(2500)},
		{`true`, true},
		{`null`, nil},
		{`{"type":"time","value":"2024-06-01T08:00:00.25Z"}`, time.Date(2024, 6, 1, 8, 0, 0, 250e6, time.UTC)},
	} {
		t.Run(c.json, func(t *testing.T) {
			change := `{"name":"phone","value":` + c.json + `}`
			if c.json[0] == '{' {
				change = `{"name":"phone",` + c.json[1:]
			}
			a := w.do(t, call{method: "PATCH", path: "/v1/records/contact/c-alice", as: "alice", body: `{"fields":[` + change + `]}`})
			require.Equal(t, http.StatusOK, a.status, "%s", a.body)
			r, _ := w.recordOf(t, "contact", "c-alice")
			f, _ := r.Field("phone")
			if tm, ok := c.want.(time.Time); ok {
				assert.True(t, tm.Equal(f.Value.(time.Time)))
				return
			}
			assert.Equal(t, c.want, f.Value)
		})
	}
}
