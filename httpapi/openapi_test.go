package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/httpapi"
)

type openAPIOperation struct {
	OperationID string                `json:"operationId"`
	Security    []map[string][]string `json:"security"`
	Parameters  []struct {
		Ref  string `json:"$ref"`
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]json.RawMessage `json:"responses"`
}

// documented reads the operations of the OpenAPI document as "METHOD path".
func documented(t *testing.T, doc []byte) (string, map[string]openAPIOperation) {
	t.Helper()
	var d struct {
		OpenAPI string                                 `json:"openapi"`
		Paths   map[string]map[string]openAPIOperation `json:"paths"`
	}
	require.NoError(t, json.Unmarshal(doc, &d))
	ops := map[string]openAPIOperation{}
	for path, methods := range d.Paths {
		for m, op := range methods {
			ops[strings.ToUpper(m)+" "+path] = op
		}
	}
	return d.OpenAPI, ops
}

func TestOpenAPIDocumentsExactlyTheRoutes(t *testing.T) {
	version, ops := documented(t, httpapi.OpenAPI())
	assert.Equal(t, "3.1.0", version)

	var routes, docs []string
	for _, rt := range httpapi.Routes() {
		routes = append(routes, rt.Method+" "+rt.Path)
	}
	for k := range ops {
		docs = append(docs, k)
	}
	sort.Strings(routes)
	sort.Strings(docs)
	assert.Empty(t, cmp.Diff(routes, docs), "routes (-) and documented operations (+) differ")

	for _, rt := range httpapi.Routes() {
		op, ok := ops[rt.Method+" "+rt.Path]
		if !ok {
			continue
		}
		t.Run(rt.Operation, func(t *testing.T) {
			assert.Equal(t, rt.Operation, op.OperationID)
			var want []map[string][]string
			switch rt.Access {
			case httpapi.AccessPublic:
				want = []map[string][]string{}
			case httpapi.AccessSubject:
				want = []map[string][]string{{"subject": {}}}
				assert.Contains(t, op.Responses, "401", "a subject route documents 401")
			case httpapi.AccessOperator:
				want = []map[string][]string{{"operator": {}}}
				assert.Contains(t, op.Responses, "403", "an operator route documents 403")
			}
			assert.Equal(t, want, op.Security)
			for p := range strings.SplitSeq(rt.Path, "/") {
				if strings.HasPrefix(p, "{") {
					name := strings.Trim(p, "{}")
					assert.True(t, hasPathParameter(op, name), "path parameter %s is documented", name)
				}
			}
			if rt.Access == httpapi.AccessSubject {
				for _, p := range op.Parameters {
					assert.NotEqual(t, "subject", p.Name, "a subject route takes no subject")
				}
			}
		})
	}
}

func hasPathParameter(op openAPIOperation, name string) bool {
	for _, p := range op.Parameters {
		if p.In == "path" && p.Name == name {
			return true
		}
	}
	return false
}

func TestOpenAPIIsServed(t *testing.T) {
	w := newWorld(t, nil)
	a := w.do(t, call{method: "GET", path: "/v1/openapi.json"})
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "application/json", a.header.Get("Content-Type"))
	assert.Equal(t, string(httpapi.OpenAPI()), string(a.body))
}

// schemaCheck checks a JSON value against a schema of the OpenAPI document:
// types, enums, date-times, required members, and no member the schema does
// not list. It knows the parts of JSON Schema the document uses.
type schemaCheck struct {
	doc map[string]any
}

func (c schemaCheck) resolve(s map[string]any) map[string]any {
	for {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		node := any(c.doc)
		for part := range strings.SplitSeq(strings.TrimPrefix(ref, "#/"), "/") {
			node = node.(map[string]any)[part]
		}
		s = node.(map[string]any)
	}
}

func (c schemaCheck) check(at string, schema map[string]any, v any) []string {
	s := c.resolve(schema)
	var errs []string
	if types := s["type"]; types != nil {
		var names []string
		switch t := types.(type) {
		case string:
			names = []string{t}
		case []any:
			for _, x := range t {
				names = append(names, x.(string))
			}
		}
		if !slices.ContainsFunc(names, func(n string) bool { return jsonKind(v, n) }) {
			return []string{fmt.Sprintf("%s: %T is not %v", at, v, names)}
		}
	}
	if enum, ok := s["enum"].([]any); ok && !slices.Contains(enum, v) {
		errs = append(errs, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if s["format"] == "date-time" {
		if str, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				errs = append(errs, fmt.Sprintf("%s: %q is not a date-time", at, str))
			}
		}
	}
	switch x := v.(type) {
	case map[string]any:
		props, _ := s["properties"].(map[string]any)
		for _, r := range asSlice(s["required"]) {
			if _, ok := x[r.(string)]; !ok {
				errs = append(errs, fmt.Sprintf("%s: required member %s is missing", at, r))
			}
		}
		for k, val := range x {
			if p, ok := props[k]; ok {
				errs = append(errs, c.check(at+"."+k, p.(map[string]any), val)...)
				continue
			}
			switch extra := s["additionalProperties"].(type) {
			case bool:
				if !extra {
					errs = append(errs, fmt.Sprintf("%s: member %s is not documented", at, k))
				}
			case map[string]any:
				errs = append(errs, c.check(at+"."+k, extra, val)...)
			}
		}
	case []any:
		if items, ok := s["items"].(map[string]any); ok {
			for i, it := range x {
				errs = append(errs, c.check(fmt.Sprintf("%s[%d]", at, i), items, it)...)
			}
		}
	}
	return errs
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func jsonKind(v any, name string) bool {
	switch name {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "integer":
		f, ok := v.(float64)
		return ok && f == float64(int64(f))
	case "number":
		_, ok := v.(float64)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	}
	return false
}

// TestAnswersMatchTheOpenAPIDocument makes a request to every route and
// checks the answer against the schema the document gives for its status.
func TestAnswersMatchTheOpenAPIDocument(t *testing.T) {
	var doc map[string]any
	require.NoError(t, json.Unmarshal(httpapi.OpenAPI(), &doc))
	c := schemaCheck{doc: doc}
	ops := map[string]map[string]any{}
	for _, methods := range doc["paths"].(map[string]any) {
		for _, op := range methods.(map[string]any) {
			o := op.(map[string]any)
			ops[o["operationId"].(string)] = o
		}
	}

	w := newWorld(t, nil)
	_, err := w.s.Archive(w.ctx, "alice", "accountant-jansen", day(2030, 1, 1))
	require.NoError(t, err)
	calls := []struct {
		op   string
		call call
	}{
		{"getNotice", call{method: "GET", path: "/v1/notices/privacy"}},
		{"getNotice", call{method: "GET", path: "/v1/notices/terms"}},
		{"decideConsent", call{method: "PUT", path: "/v1/consents/newsletter", as: "alice", body: `{"recipients":["mailer"]}`}},
		{"decideConsent", call{method: "PUT", path: "/v1/consents/delivery", as: "alice"}},
		{"listConsents", call{method: "GET", path: "/v1/consents", as: "alice"}},
		{"getConsent", call{method: "GET", path: "/v1/consents/newsletter", as: "alice"}},
		{"withdrawConsent", call{method: "DELETE", path: "/v1/consents/newsletter", as: "alice"}},
		{"setCookies", call{method: "PUT", path: "/v1/cookies", as: "alice", body: `{"allow":["analytics"]}`}},
		{"getCookies", call{method: "GET", path: "/v1/cookies", as: "alice"}},
		{"getAccess", call{method: "GET", path: "/v1/access", as: "alice"}},
		{"getAccess", call{method: "GET", path: "/v1/access"}},
		{"rectifyRecord", call{method: "PATCH", path: "/v1/records/contact/c-alice", as: "alice", body: `{"fields":[{"name":"email","value":"a@example.org"}]}`}},
		{"rectifyRecord", call{method: "PATCH", path: "/v1/records/contact/c-alice", as: "alice", body: `{"fields":[{"name":"segment","value":"x"}]}`}},
		{"readArchive", call{method: "GET", path: "/v1/archives/alice/records", staff: "accountant-jansen"}},
		{"placeHold", call{method: "POST", path: "/v1/holds", staff: "legal", body: `{"id":"h1","matter":"m","ground":"law","scope":{"kind":"record","record":{"category":"order","id":"o-alice"}}}`}},
		{"listHolds", call{method: "GET", path: "/v1/holds", staff: "legal"}},
		{"getHold", call{method: "GET", path: "/v1/holds/h1", staff: "legal"}},
		{"releaseHold", call{method: "POST", path: "/v1/holds/h1/release", body: `{}`, staff: "legal"}},
		{"releaseHold", call{method: "POST", path: "/v1/holds/h1/release", body: `{}`, staff: "legal"}},
		{"requestErasure", call{method: "POST", path: "/v1/erasure", as: "alice", body: `{}`}},
		{"getRequest", call{method: "GET", path: "/v1/requests/req-none", as: "alice"}},
		{"getOpenAPI", call{method: "GET", path: "/v1/openapi.json"}},
		{"getExport", call{method: "GET", path: "/v1/export?format=xml", as: "bob"}},
	}
	seen := map[string]bool{}
	for _, k := range calls {
		seen[k.op] = true
		a := w.do(t, k.call)
		name := fmt.Sprintf("%s %d", k.op, a.status)
		responses := ops[k.op]["responses"].(map[string]any)
		r, ok := responses[strconv.Itoa(a.status)].(map[string]any)
		if !assert.True(t, ok, "%s: status not documented", name) {
			continue
		}
		r = c.resolve(r)
		ct, _, _ := strings.Cut(a.header.Get("Content-Type"), ";")
		media, ok := r["content"].(map[string]any)[ct].(map[string]any)
		if !assert.True(t, ok, "%s: content type %s not documented", name, ct) {
			continue
		}
		if ct != "application/json" && ct != "application/problem+json" {
			continue
		}
		var v any
		require.NoError(t, json.Unmarshal(a.body, &v), name)
		assert.Empty(t, c.check(name, media["schema"].(map[string]any), v))
	}
	for _, rt := range httpapi.Routes() {
		assert.True(t, seen[rt.Operation], "%s has a request in this test", rt.Operation)
	}
}
