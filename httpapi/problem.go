package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

// ProblemBase starts every problem type URI. The URIs are stable: a client
// may switch on them. They identify; nothing needs to be served there.
const ProblemBase = "https://steward.dev/problems/"

// The problem types, each with the status it is answered with. A client
// tells the cases apart by type, not by status: held and retained share 409
// with conflict, no-consent shares 403 with forbidden.
const (
	ProblemNotFound             = ProblemBase + "not-found"              // 404: no such item, or not the caller's
	ProblemMalformed            = ProblemBase + "malformed"              // 400: the request could not be read
	ProblemInvalid              = ProblemBase + "invalid"                // 422: read, but refused by validation (privacy.ErrInvalid)
	ProblemConflict             = ProblemBase + "conflict"               // 409: privacy.ErrConflict
	ProblemHeld                 = ProblemBase + "held"                   // 409: privacy.ErrHeld
	ProblemRetained             = ProblemBase + "retained"               // 409: privacy.ErrRetained
	ProblemNoConsent            = ProblemBase + "no-consent"             // 403: privacy.ErrNoConsent
	ProblemUnauthenticated      = ProblemBase + "unauthenticated"        // 401
	ProblemForbidden            = ProblemBase + "forbidden"              // 403: not an operator
	ProblemUnimplemented        = ProblemBase + "unimplemented"          // 501: privacy.ErrUnimplemented
	ProblemTooLarge             = ProblemBase + "too-large"              // 413: body over Options.MaxBody
	ProblemUnsupportedMediaType = ProblemBase + "unsupported-media-type" // 415: body not JSON
	ProblemMethodNotAllowed     = ProblemBase + "method-not-allowed"     // 405
	ProblemUnavailable          = ProblemBase + "unavailable"            // 503: the request's context ended
	ProblemInternal             = ProblemBase + "internal"               // 500: no details
)

// kind is one problem type with its status and its texts in English and
// Dutch.
type kind struct {
	typ    string
	status int
	title  [2]string
	detail [2]string
}

// kinds returns the problem types; a function, so that nothing can change them.
func kinds() []kind {
	return []kind{
		{ProblemNotFound, http.StatusNotFound,
			[2]string{"Not found", "Niet gevonden"},
			[2]string{"There is no such item, or it is not yours.", "Dit bestaat niet, of het is niet van u."}},
		{ProblemMalformed, http.StatusBadRequest,
			[2]string{"Malformed request", "Onjuist opgemaakt verzoek"},
			[2]string{"The request could not be read.", "Het verzoek kon niet worden gelezen."}},
		{ProblemInvalid, http.StatusUnprocessableEntity,
			[2]string{"Invalid request", "Ongeldig verzoek"},
			[2]string{"The request was understood, but its content cannot be accepted.", "Het verzoek is begrepen, maar de inhoud kan niet worden aanvaard."}},
		{ProblemConflict, http.StatusConflict,
			[2]string{"Conflict", "Conflict"},
			[2]string{"The request conflicts with the current state; read it again and retry.", "Het verzoek strijdt met de huidige stand; lees die opnieuw en probeer het nog eens."}},
		{ProblemHeld, http.StatusConflict,
			[2]string{"Under a legal hold", "Onder een juridische bewaarplicht"},
			[2]string{"A legal hold keeps this data as it is.", "Een juridische bewaarplicht houdt deze gegevens zoals ze zijn."}},
		{ProblemRetained, http.StatusConflict,
			[2]string{"Kept for a retention duty", "Bewaard voor een bewaarplicht"},
			[2]string{"A retention duty keeps this data, restricted to that duty.", "Een bewaarplicht houdt deze gegevens vast, beperkt tot die plicht."}},
		{ProblemNoConsent, http.StatusForbidden,
			[2]string{"No consent", "Geen toestemming"},
			[2]string{"This needs a consent or authorisation that is not there.", "Hiervoor is een toestemming of machtiging nodig die er niet is."}},
		{ProblemUnauthenticated, http.StatusUnauthorized,
			[2]string{"Not signed in", "Niet aangemeld"},
			[2]string{"Sign in to use this.", "Meld u aan om dit te gebruiken."}},
		{ProblemForbidden, http.StatusForbidden,
			[2]string{"Not allowed", "Niet toegestaan"},
			[2]string{"You are not allowed to do this.", "U mag dit niet doen."}},
		{ProblemUnimplemented, http.StatusNotImplemented,
			[2]string{"Not supported", "Niet ondersteund"},
			[2]string{"This is not supported here.", "Dit wordt hier niet ondersteund."}},
		{ProblemTooLarge, http.StatusRequestEntityTooLarge,
			[2]string{"Request too large", "Verzoek te groot"},
			[2]string{"The request body is larger than allowed.", "De inhoud van het verzoek is groter dan toegestaan."}},
		{ProblemUnsupportedMediaType, http.StatusUnsupportedMediaType,
			[2]string{"Unsupported media type", "Niet-ondersteund mediatype"},
			[2]string{"Send the request body as application/json.", "Stuur de inhoud van het verzoek als application/json."}},
		{ProblemMethodNotAllowed, http.StatusMethodNotAllowed,
			[2]string{"Method not allowed", "Methode niet toegestaan"},
			[2]string{"This path does not take this method; the Allow header lists those it takes.", "Dit pad accepteert deze methode niet; de Allow-header noemt de methoden die het wel accepteert."}},
		{ProblemUnavailable, http.StatusServiceUnavailable,
			[2]string{"Temporarily unavailable", "Tijdelijk niet beschikbaar"},
			[2]string{"The request ran out of time or was cancelled; try again.", "Het verzoek duurde te lang of werd afgebroken; probeer het opnieuw."}},
		{ProblemInternal, http.StatusInternalServerError,
			[2]string{"Internal error", "Interne fout"},
			[2]string{"Something went wrong on our side.", "Er ging bij ons iets mis."}},
	}
}

func kindOf(typ string) kind {
	for _, k := range kinds() {
		if k.typ == typ {
			return k
		}
	}
	panic("httpapi: unknown problem type " + typ)
}

// apiError is a failure the handler finds itself, before steward is called:
// a request it cannot read, a caller it does not admit. Its reason is a
// fixed text that never quotes the request.
type apiError struct {
	typ    string
	reason string
}

func (e *apiError) Error() string { return e.typ + ": " + e.reason }

var (
	errUnauthenticated = &apiError{typ: ProblemUnauthenticated}
	errForbidden       = &apiError{typ: ProblemForbidden}
	errMethod          = &apiError{typ: ProblemMethodNotAllowed}
	errNoRoute         = &apiError{typ: ProblemNotFound}
	errMediaType       = &apiError{typ: ProblemUnsupportedMediaType, reason: "the request body must be application/json"}
	errTooLarge        = &apiError{typ: ProblemTooLarge}
)

func malformed(reason string) error { return &apiError{typ: ProblemMalformed, reason: reason} }
func notFound() error               { return &apiError{typ: ProblemNotFound} }

// Problem is an RFC 9457 problem details object as the handler writes it.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail"`
	// Reason says, for a developer and in English, what was wrong with the
	// request: the library's message, which names operations and fields but
	// never a value. Absent for not-found and for server errors.
	Reason string `json:"reason,omitempty"`
	// Field names the field of a record the reason is about, if any.
	Field string `json:"field,omitempty"`
}

// classify maps an error to its problem: the handler's own errors by their
// type, context errors to unavailable, the privacy sentinels to theirs, and
// anything else to internal.
func classify(err error) (p Problem, internal bool) {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
		return Problem{Type: ae.typ, Reason: ae.reason}, false
	case isContext(err):
		return Problem{Type: ProblemUnavailable}, false
	case errors.Is(err, privacy.ErrHeld):
		p.Type = ProblemHeld
	case errors.Is(err, privacy.ErrRetained):
		p.Type = ProblemRetained
	case errors.Is(err, privacy.ErrNoConsent):
		p.Type = ProblemNoConsent
	case errors.Is(err, privacy.ErrNotFound):
		// No reason: whether an item is missing or someone else's must not
		// show.
		return Problem{Type: ProblemNotFound}, false
	case errors.Is(err, privacy.ErrConflict):
		p.Type = ProblemConflict
	case errors.Is(err, privacy.ErrInvalid):
		p.Type = ProblemInvalid
	case errors.Is(err, privacy.ErrUnimplemented):
		p.Type = ProblemUnimplemented
	default:
		return Problem{Type: ProblemInternal}, true
	}
	p.Reason, p.Field = reason(err)
	return p, false
}

// reason finds the first message and field the library's errors carry.
func reason(err error) (msg, field string) {
	for err != nil {
		if pe, ok := err.(*privacy.Error); ok {
			if msg == "" {
				msg = pe.Msg
			}
			if field == "" {
				field = pe.Field
			}
		}
		err = errors.Unwrap(err)
	}
	return msg, field
}

// fail answers err as a problem. Internal errors are logged, not told.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p, internal := classify(err)
	if internal {
		h.log.LogAttrs(r.Context(), slog.LevelError, "httpapi: internal error",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.String("error", err.Error()))
	}
	lang := steward.Language(r.Header.Get("Accept-Language"))
	k := kindOf(p.Type)
	i := 0
	if isDutch(lang) {
		i = 1
	}
	p.Title, p.Detail, p.Status = k.title[i], k.detail[i], k.status
	hd := w.Header()
	hd.Del("Content-Disposition")
	hd.Set("Content-Type", "application/problem+json")
	hd.Set("Content-Language", lang.String())
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept-Language")
	if k.status == http.StatusUnauthorized {
		hd.Set("WWW-Authenticate", h.challenge)
	}
	b, _ := json.Marshal(p) // a Problem always marshals
	w.WriteHeader(k.status)
	w.Write(append(b, '\n'))
}

// problem answers one of the handler's own errors.
func (h *Handler) problem(w http.ResponseWriter, r *http.Request, e *apiError) { h.fail(w, r, e) }

func isDutch(lang language.Tag) bool {
	base, _ := lang.Base()
	return base.String() == "nl"
}
