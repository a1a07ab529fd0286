package httpapi

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

// getAccess answers the subject's access report (GDPR Art. 15): as JSON, or
// as the text the subject reads, in the language Accept-Language prefers,
// when Accept prefers text/plain.
func (h *Handler) getAccess(w http.ResponseWriter, r *http.Request, who identity) error {
	rep, err := h.s.Access(r.Context(), who.subject)
	if err != nil {
		return err
	}
	w.Header().Add("Vary", "Accept")
	if !prefersText(r.Header.Get("Accept")) {
		return writeJSON(w, http.StatusOK, viewAccess(rep), language.Und)
	}
	lang := steward.Language(r.Header.Get("Accept-Language"))
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("Content-Language", lang.String())
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept-Language")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(h.s.RenderAccess(rep, lang))) // a failed write means the client went away
	return nil
}

// prefersText reports whether an Accept header ranks text/plain above
// application/json. A tie, and no header, give JSON.
func prefersText(accept string) bool {
	if accept == "" {
		return false
	}
	return quality(accept, "text", "plain") > quality(accept, "application", "json")
}

// quality is the q-value the most specific matching media range of accept
// gives to type/subtype (RFC 9110 section 12.5.1).
func quality(accept, typ, sub string) float64 {
	q, specific := 0.0, -1
	for _, rng := range strings.Split(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(rng))
		if err != nil {
			continue
		}
		t, s, _ := strings.Cut(mt, "/")
		spec := -1
		switch {
		case t == typ && s == sub:
			spec = 2
		case t == typ && s == "*":
			spec = 1
		case t == "*" && s == "*":
			spec = 0
		}
		if spec <= specific {
			continue
		}
		v := 1.0
		if p, ok := params["q"]; ok {
			if v, err = strconv.ParseFloat(p, 64); err != nil {
				v = 0
			}
		}
		q, specific = v, spec
	}
	return q
}

// rectifyBody is the body of PATCH /v1/records/{category}/{id}.
type rectifyBody struct {
	Fields []changeBody `json:"fields"`
}

// changeBody is one field's new value. Type is string, int, float, bool,
// time or null, as in the export's JSON; without it the type is taken from
// the JSON value (a number without fraction or exponent is an int). A time
// needs its type and is RFC 3339.
type changeBody struct {
	Name  string          `json:"name"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

type rectificationView struct {
	Record      refView  `json:"record"`
	Fields      []string `json:"fields"`
	Notified    []string `json:"notified"`
	NotNotified []string `json:"not_notified,omitempty"`
}

// rectifyRecord changes personal fields of one of the subject's own records
// (GDPR Art. 16). A record of anyone else is not found, exactly as a record
// that does not exist.
func (h *Handler) rectifyRecord(w http.ResponseWriter, r *http.Request, who identity) error {
	var b rectifyBody
	if err := decode(r, &b, false); err != nil {
		return err
	}
	changes := make([]privacy.Field, len(b.Fields))
	for i, c := range b.Fields {
		v, err := fieldValue(c.Type, c.Value)
		if err != nil {
			return malformed(fmt.Sprintf("fields[%d]: %v", i, err))
		}
		changes[i] = privacy.Field{Name: c.Name, Value: v}
	}
	ref := privacy.Ref{Category: privacy.Category(r.PathValue("category")), ID: r.PathValue("id")}
	out, err := h.s.Rectify(r.Context(), who.subject, ref, changes)
	if err != nil {
		if out == nil {
			return err
		}
		// The change stands; only telling the recipients failed.
		h.log.LogAttrs(r.Context(), slog.LevelWarn, "httpapi: rectified, but recipients not told",
			slog.String("record", ref.String()), slog.String("error", err.Error()))
	}
	v := rectificationView{Record: refView{Category: out.Ref.Category, ID: out.Ref.ID}, Fields: nonNil(out.Fields), Notified: nonNil(out.Notified)}
	for rcp := range out.NotifyErrors {
		v.NotNotified = append(v.NotNotified, rcp)
	}
	slices.Sort(v.NotNotified)
	return writeJSON(w, http.StatusOK, v, language.Und)
}

// fieldValue reads a new field value of the given type. Its errors describe
// the mismatch, never the value.
func fieldValue(typ string, raw json.RawMessage) (any, error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("value is missing")
	}
	if typ == "" {
		switch raw[0] {
		case '"':
			typ = "string"
		case 't', 'f':
			typ = "bool"
		case 'n':
			typ = "null"
		case '{', '[':
			return nil, fmt.Errorf("value is not a string, number, boolean or null")
		default:
			typ = "int"
			if strings.ContainsAny(string(raw), ".eE") {
				typ = "float"
			}
		}
	}
	mismatch := fmt.Errorf("value is not of type %s", typ)
	switch typ {
	case "null":
		if string(raw) != "null" {
			return nil, mismatch
		}
		return nil, nil
	case "string":
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, mismatch
		}
		return s, nil
	case "int":
		n, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("value is not an integer within 64 bits")
		}
		return n, nil
	case "float":
		if raw[0] == '"' || raw[0] == 't' || raw[0] == 'f' || raw[0] == 'n' || raw[0] == '{' || raw[0] == '[' {
			return nil, mismatch
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, mismatch
		}
		return f, nil
	case "bool":
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, mismatch
	case "time":
		var s string
		if raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
			return nil, mismatch
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("value is not an RFC 3339 time")
		}
		return t, nil
	}
	return nil, fmt.Errorf("type must be string, int, float, bool, time or null")
}
