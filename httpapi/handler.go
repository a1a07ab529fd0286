package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// DefaultMaxBody is the most bytes a request body may have when
// Options.MaxBody is zero.
const DefaultMaxBody = 64 << 10

// ErrUnauthenticated and ErrForbidden let the host's authorizers choose the
// answer. Options.Subject answers 401 for any error but one wrapping
// ErrForbidden (403); Options.Operator answers 403 for any error but one
// wrapping ErrUnauthenticated (401).
var (
	ErrUnauthenticated = errors.New("httpapi: not authenticated")
	ErrForbidden       = errors.New("httpapi: not allowed")
)

// Options configures [New]. Subject is required; every other field's zero
// value is a sensible default.
type Options struct {
	// Subject maps a request to the authenticated data subject, from
	// whatever the host authenticates with (a session cookie, a bearer
	// token). It is the only source of the subject of a subject endpoint:
	// no path, query or body ever names one. An error, or an empty subject,
	// answers 401.
	Subject func(*http.Request) (privacy.SubjectID, error)
	// Operator authorizes the operator endpoints (legal holds, archive
	// reads) and returns the operator's identity, which is recorded as the
	// actor and must be the appointed administrator to read an archive. An
	// error answers 403. Nil refuses every operator request with 403.
	Operator func(*http.Request) (actor string, err error)
	// MaxBody caps request bodies in bytes; zero is DefaultMaxBody. A larger
	// body answers 413.
	MaxBody int64
	// Method is the consent collection method recorded when a request does
	// not name one ("web" or "app"); zero is consent.MethodAPI.
	Method consent.Method
	// Background, when set, makes erasure requests run in a goroutine under
	// the context it returns (as http.Server.BaseContext gives the base of
	// every request's), so that a client that goes away does not stop an
	// erasure half-way. It is called once per erasure. Nil runs the erasure
	// within the request, under the request's context. [Handler.Wait] waits
	// for background erasures.
	Background func() context.Context
	// Export is the template of every export: Columns, Labels, Delimiter,
	// TempDir and the like. The handler sets Formats, Language and
	// Recipients from the request.
	Export export.ArchiveOptions
	// Logger receives failures the client is not told about: internal
	// errors, failed streams, failed background erasures. The messages carry
	// the library's errors, which name operations, records and fields but
	// never values. Nil is slog.Default().
	Logger *slog.Logger
	// Challenge is the WWW-Authenticate header of a 401 answer; "" is
	// `Bearer realm="steward"`.
	Challenge string
}

// Handler serves the self-service endpoints; see the package documentation.
// It is safe for concurrent use.
type Handler struct {
	s          *steward.Steward
	mux        *http.ServeMux
	subject    func(*http.Request) (privacy.SubjectID, error)
	operator   func(*http.Request) (string, error)
	maxBody    int64
	method     consent.Method
	background func() context.Context
	export     export.ArchiveOptions
	log        *slog.Logger
	challenge  string
	running    sync.WaitGroup
}

var _ http.Handler = (*Handler)(nil)

// New returns a handler over s. It returns an error wrapping
// privacy.ErrInvalid when s or Options.Subject is missing or MaxBody is
// negative.
func New(s *steward.Steward, opts *Options) (*Handler, error) {
	const op = "httpapi.New"
	var o Options
	if opts != nil {
		o = *opts
	}
	switch {
	case s == nil:
		return nil, &privacy.Error{Op: op, Msg: "no Steward", Err: privacy.ErrInvalid}
	case o.Subject == nil:
		return nil, &privacy.Error{Op: op, Msg: "Options.Subject is required: the handler takes the subject only from the host's authentication", Err: privacy.ErrInvalid}
	case o.MaxBody < 0:
		return nil, &privacy.Error{Op: op, Msg: "negative MaxBody", Err: privacy.ErrInvalid}
	}
	if o.MaxBody == 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Method == "" {
		o.Method = consent.MethodAPI
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Challenge == "" {
		o.Challenge = `Bearer realm="steward"`
	}
	h := &Handler{
		s: s, mux: http.NewServeMux(), subject: o.Subject, operator: o.Operator, maxBody: o.MaxBody,
		method: o.Method, background: o.Background, export: o.Export, log: o.Logger, challenge: o.Challenge,
	}
	for _, rt := range routes() {
		h.mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) { h.serve(w, r, rt) })
	}
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.mux.Handler(r); pattern == "" {
		h.unrouted(w, r)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// Wait blocks until every erasure running in the background has ended. A
// host calls it on shutdown, after the server stopped taking requests.
func (h *Handler) Wait() { h.running.Wait() }

// identity is who calls: the subject of a subject route, the actor of an
// operator route.
type identity struct {
	subject privacy.SubjectID
	actor   string
}

// serve authenticates the caller as the route demands, caps the body, runs
// the route and answers its error. An error after the answer began cannot be
// told to the client any more: the connection is aborted, so that a cut-off
// stream never passes for a whole one.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, rt route) {
	var who identity
	switch rt.Access {
	case AccessSubject:
		subject, err := h.subject(r)
		switch {
		case errors.Is(err, ErrForbidden):
			h.problem(w, r, errForbidden)
			return
		case isContext(err):
			h.fail(w, r, err)
			return
		case err != nil || subject == "":
			h.problem(w, r, errUnauthenticated)
			return
		}
		who.subject = subject
	case AccessOperator:
		if h.operator == nil {
			h.problem(w, r, errForbidden)
			return
		}
		actor, err := h.operator(r)
		switch {
		case errors.Is(err, ErrUnauthenticated):
			h.problem(w, r, errUnauthenticated)
			return
		case isContext(err):
			h.fail(w, r, err)
			return
		case err != nil || actor == "":
			h.problem(w, r, errForbidden)
			return
		}
		who.actor = actor
	}
	if r.Body != nil {
		r.Body = http.MaxBytesReader(w, r.Body, h.maxBody)
	}
	tw := &trackingWriter{ResponseWriter: w}
	err := rt.serve(h, tw, r, who)
	if err == nil {
		return
	}
	if tw.started {
		level := slog.LevelError
		if isContext(err) {
			level = slog.LevelInfo // the client went away or the host's deadline passed
		}
		h.log.LogAttrs(r.Context(), level, "httpapi: response aborted after it began",
			slog.String("route", rt.Operation), slog.String("error", err.Error()))
		panic(http.ErrAbortHandler)
	}
	h.fail(w, r, err)
}

// unrouted answers a request no route matches with a problem: 404, or 405
// with the Allow header when the path exists for other methods.
func (h *Handler) unrouted(w http.ResponseWriter, r *http.Request) {
	next, _ := h.mux.Handler(r)
	c := &statusCapture{ResponseWriter: w}
	next.ServeHTTP(c, r)
	switch c.status {
	case http.StatusMethodNotAllowed:
		h.problem(w, r, errMethod)
	case http.StatusNotFound:
		h.problem(w, r, errNoRoute)
	}
}

// statusCapture lets the mux's own 404 and 405 answers set their headers
// (Allow) but keeps their plain-text bodies, for a problem to replace them.
// Anything else, such as a redirect to a clean path, passes through.
type statusCapture struct {
	http.ResponseWriter
	status int
}

func (c *statusCapture) WriteHeader(code int) {
	if code == http.StatusNotFound || code == http.StatusMethodNotAllowed {
		c.status = code
		return
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *statusCapture) Write(b []byte) (int, error) {
	if c.status != 0 {
		return len(b), nil
	}
	return c.ResponseWriter.Write(b)
}

// trackingWriter notes whether the answer has begun.
type trackingWriter struct {
	http.ResponseWriter
	started bool
}

func (t *trackingWriter) WriteHeader(code int) {
	t.started = true
	t.ResponseWriter.WriteHeader(code)
}

func (t *trackingWriter) Write(b []byte) (int, error) {
	t.started = true
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the server's writer.
func (t *trackingWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }

func isContext(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
