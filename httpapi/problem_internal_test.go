package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

func TestEachSentinelHasItsProblem(t *testing.T) {
	wrapped := func(sentinel error) error {
		return &privacy.Error{Op: "steward.Something", Field: "email", Msg: "what was wrong", Err: sentinel}
	}
	for _, c := range []struct {
		name     string
		err      error
		typ      string
		status   int
		reason   string
		internal bool
	}{
		{"not found is 404, without a reason", wrapped(privacy.ErrNotFound), ProblemNotFound, 404, "", false},
		{"invalid is 422", wrapped(privacy.ErrInvalid), ProblemInvalid, 422, "what was wrong", false},
		{"conflict is 409", wrapped(privacy.ErrConflict), ProblemConflict, 409, "what was wrong", false},
		{"held is 409 with its own type", wrapped(privacy.ErrHeld), ProblemHeld, 409, "what was wrong", false},
		{"retained is 409 with its own type", wrapped(privacy.ErrRetained), ProblemRetained, 409, "what was wrong", false},
		{"no consent is 403", wrapped(privacy.ErrNoConsent), ProblemNoConsent, 403, "what was wrong", false},
		{"unimplemented is 501", wrapped(privacy.ErrUnimplemented), ProblemUnimplemented, 501, "what was wrong", false},
		{"a bare sentinel is mapped too", privacy.ErrHeld, ProblemHeld, 409, "", false},
		{"a sentinel under fmt wrapping is mapped", fmt.Errorf("store: %w", wrapped(privacy.ErrConflict)), ProblemConflict, 409, "what was wrong", false},
		{"the outer message wins over the inner", &privacy.Error{Op: "a", Msg: "outer", Err: wrapped(privacy.ErrInvalid)}, ProblemInvalid, 422, "outer", false},
		{"a deadline is 503", context.DeadlineExceeded, ProblemUnavailable, 503, "", false},
		{"a cancellation is 503", fmt.Errorf("x: %w", context.Canceled), ProblemUnavailable, 503, "", false},
		{"anything else is internal, with nothing told", errors.New("disk on fire"), ProblemInternal, 500, "", true},
		{"a privacy.Error without a sentinel is internal", &privacy.Error{Op: "x", Msg: "secret detail", Err: errors.New("io")}, ProblemInternal, 500, "", true},
		{"the handler's own errors keep their type", malformed("bad"), ProblemMalformed, 400, "bad", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			p, internal := classify(c.err)
			assert.Equal(t, c.typ, p.Type)
			assert.Equal(t, c.status, kindOf(p.Type).status)
			assert.Equal(t, c.reason, p.Reason)
			assert.Equal(t, c.internal, internal)
		})
	}
}

func TestEveryProblemHasBothLanguages(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range kinds() {
		assert.True(t, strings.HasPrefix(k.typ, ProblemBase), k.typ)
		assert.False(t, seen[k.typ], "%s twice", k.typ)
		seen[k.typ] = true
		for i := range 2 {
			assert.NotEmpty(t, k.title[i], k.typ)
			assert.NotEmpty(t, k.detail[i], k.typ)
		}
		assert.NotEqual(t, k.detail[0], k.detail[1], "%s: Dutch detail is a translation", k.typ)
	}
}

// TestOpenAPIListsEveryProblemType holds the Problem schema's enum of types
// against the handler's.
func TestOpenAPIListsEveryProblemType(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	require.NoError(t, json.Unmarshal(OpenAPI(), &doc))
	var types []string
	for _, k := range kinds() {
		types = append(types, k.typ)
	}
	documented := doc.Components.Schemas["Problem"].Properties["type"].Enum
	slices.Sort(types)
	slices.Sort(documented)
	assert.Equal(t, types, documented)
}

// TestEveryRouteIsInTheMux checks that the mux sends each route's method and
// path to that route's pattern.
func TestEveryRouteIsInTheMux(t *testing.T) {
	s, err := steward.New(nil, nil)
	require.NoError(t, err)
	h, err := New(s, &Options{Subject: func(*http.Request) (privacy.SubjectID, error) { return "x", nil }})
	require.NoError(t, err)
	for _, rt := range routes() {
		path := rt.Path
		for strings.Contains(path, "{") {
			i, j := strings.IndexByte(path, '{'), strings.IndexByte(path, '}')
			path = path[:i] + "x" + path[j+1:]
		}
		_, pattern := h.mux.Handler(httptest.NewRequest(rt.Method, path, nil))
		assert.Equal(t, rt.Method+" "+rt.Path, pattern)
		assert.NotNil(t, rt.serve, rt.Operation)
	}
}
