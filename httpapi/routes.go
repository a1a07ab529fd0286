package httpapi

import "net/http"

// Access says who may call a route.
type Access string

const (
	// AccessPublic routes serve anyone: the OpenAPI document and the
	// published notices.
	AccessPublic Access = "public"
	// AccessSubject routes act for the subject Options.Subject names, on
	// that subject's data only.
	AccessSubject Access = "subject"
	// AccessOperator routes need Options.Operator's approval.
	AccessOperator Access = "operator"
)

// Route is one endpoint: a method and a path pattern in http.ServeMux
// syntax, which is also the OpenAPI path template.
type Route struct {
	Method string
	Path   string
	// Operation is the route's operationId in the OpenAPI document.
	Operation string
	Access    Access
}

// Routes returns every route the handler serves, in the order of the
// OpenAPI document. Paths are relative to where the host mounts the handler.
func Routes() []Route {
	rs := routes()
	out := make([]Route, len(rs))
	for i, r := range rs {
		out[i] = r.Route
	}
	return out
}

// route is a Route with the method that serves it. It returns an error for
// the handler to answer as a problem; see Handler.serve.
type route struct {
	Route
	serve func(h *Handler, w http.ResponseWriter, r *http.Request, who identity) error
}

// routes is the one table the mux is built from and Routes reports; a test
// holds it against the OpenAPI document.
func routes() []route {
	return []route{
		{Route{http.MethodGet, "/v1/openapi.json", "getOpenAPI", AccessPublic}, (*Handler).getOpenAPI},
		{Route{http.MethodGet, "/v1/notices/{notice}", "getNotice", AccessPublic}, (*Handler).getNotice},

		{Route{http.MethodGet, "/v1/consents", "listConsents", AccessSubject}, (*Handler).listConsents},
		{Route{http.MethodGet, "/v1/consents/{purpose}", "getConsent", AccessSubject}, (*Handler).getConsent},
		{Route{http.MethodPut, "/v1/consents/{purpose}", "decideConsent", AccessSubject}, (*Handler).decideConsent},
		{Route{http.MethodDelete, "/v1/consents/{purpose}", "withdrawConsent", AccessSubject}, (*Handler).withdrawConsent},
		{Route{http.MethodGet, "/v1/cookies", "getCookies", AccessSubject}, (*Handler).getCookies},
		{Route{http.MethodPut, "/v1/cookies", "setCookies", AccessSubject}, (*Handler).setCookies},
		{Route{http.MethodGet, "/v1/access", "getAccess", AccessSubject}, (*Handler).getAccess},
		{Route{http.MethodPatch, "/v1/records/{category}/{id}", "rectifyRecord", AccessSubject}, (*Handler).rectifyRecord},
		{Route{http.MethodGet, "/v1/export", "getExport", AccessSubject}, (*Handler).getExport},
		{Route{http.MethodPost, "/v1/erasure", "requestErasure", AccessSubject}, (*Handler).requestErasure},
		{Route{http.MethodGet, "/v1/requests/{id}", "getRequest", AccessSubject}, (*Handler).getRequest},

		{Route{http.MethodGet, "/v1/holds", "listHolds", AccessOperator}, (*Handler).listHolds},
		{Route{http.MethodPost, "/v1/holds", "placeHold", AccessOperator}, (*Handler).placeHold},
		{Route{http.MethodGet, "/v1/holds/{id}", "getHold", AccessOperator}, (*Handler).getHold},
		{Route{http.MethodPost, "/v1/holds/{id}/release", "releaseHold", AccessOperator}, (*Handler).releaseHold},
		{Route{http.MethodGet, "/v1/archives/{subject}/records", "readArchive", AccessOperator}, (*Handler).readArchive},
	}
}
