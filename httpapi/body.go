package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// decode reads the request body, capped by Handler.serve, as one JSON value
// into v. Members v does not know, a second value or any other trailing data
// are refused, and so is a body that is not UTF-8 (which encoding/json would
// quietly repair, changing the values). An empty body is refused unless
// optional, when v is left as it is. Errors never quote the body: it may
// carry personal data.
func decode(r *http.Request, v any, optional bool) error {
	ct := r.Header.Get("Content-Type")
	if ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errMediaType
		}
	}
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return bodyError(err)
		}
	}
	switch {
	case len(bytes.TrimSpace(body)) == 0 && optional:
		return nil
	case len(bytes.TrimSpace(body)) == 0:
		return malformed("a JSON body is required")
	case ct == "":
		return errMediaType
	case !utf8.Valid(body):
		return malformed("the body is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return malformed("trailing data after the JSON value")
	}
	return nil
}

// bodyError describes a decoding failure without quoting the body. A type
// error names the member by its path in the schema, which is the handler's
// own vocabulary.
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntax *json.SyntaxError
	switch {
	case errors.As(err, &tooLarge):
		return errTooLarge
	case errors.As(err, &typeErr):
		if typeErr.Field != "" {
			return malformed("member " + typeErr.Field + " has the wrong type")
		}
		return malformed("the body has the wrong type")
	case errors.As(err, &syntax), errors.Is(err, io.ErrUnexpectedEOF):
		return malformed("the body is not valid JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		// encoding/json has no error type for this; its message quotes the
		// member's name, which is left out here.
		return malformed("the body has a member this endpoint does not take")
	case isContext(err):
		return err
	}
	return malformed("the body could not be read")
}

// writeJSON answers v as JSON with the status. lang, when defined, is the
// language of the texts in v, sent as Content-Language. Every answer of a
// subject or operator route is personal, so none may be stored by a cache.
func writeJSON(w http.ResponseWriter, status int, v any, lang language.Tag) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	if lang != language.Und {
		hd.Set("Content-Language", lang.String())
		hd.Add("Vary", "Accept-Language")
	}
	w.WriteHeader(status)
	w.Write(append(b, '\n')) // a failed write means the client went away: no one is left to tell
	return nil
}
