package httpapi

import (
	_ "embed"
	"net/http"
)

// openapi is the OpenAPI 3.1 document of the routes. A test holds it against
// the route table, so that neither lists a route the other lacks.
//
//go:embed openapi.json
var openapi string

// OpenAPI returns the OpenAPI 3.1 document the handler serves at
// /v1/openapi.json, for a host that merges it into its own. Its paths are
// relative to where the host mounts the handler.
func OpenAPI() []byte { return []byte(openapi) }

func (h *Handler) getOpenAPI(w http.ResponseWriter, r *http.Request, _ identity) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write([]byte(openapi))
	}
	return nil
}
