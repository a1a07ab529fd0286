package httpapi_test

import (
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"testing"

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
