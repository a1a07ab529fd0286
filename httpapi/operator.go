package httpapi

import (
	"encoding/json"
	"iter"
	"net/http"
	"net/url"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// listHolds answers every active legal hold.
func (h *Handler) listHolds(w http.ResponseWriter, r *http.Request, _ identity) error {
	out := []holdView{}
	for hold, err := range h.s.Holds().Active(r.Context()) {
		if err != nil {
			return err
		}
		out = append(out, viewHold(hold))
	}
	return writeJSON(w, http.StatusOK, struct {
		Holds []holdView `json:"holds"`
	}{out}, language.Und)
}

// holdBody is the body of POST /v1/holds. The operator who places the hold
// is the one Options.Operator names, never one the body names.
type holdBody struct {
	ID     string           `json:"id"`
	Matter string           `json:"matter"`
	Ground retention.Ground `json:"ground"`
	Scope  scopeBody        `json:"scope"`
}

// scopeBody is what a hold covers: kind subject with a subject, kind
// category with a category, or kind record with a record.
type scopeBody struct {
	Kind     string            `json:"kind"`
	Subject  privacy.SubjectID `json:"subject"`
	Category privacy.Category  `json:"category"`
	Record   *refView          `json:"record"`
}

func (b scopeBody) scope() (retention.Scope, error) {
	var s retention.Scope
	switch b.Kind {
	case "subject":
		s.Kind = retention.ScopeSubject
	case "category":
		s.Kind = retention.ScopeCategory
	case "record":
		s.Kind = retention.ScopeRecord
	default:
		return s, invalidInput("scope kind must be subject, category or record")
	}
	s.Subject, s.Category = b.Subject, b.Category
	if b.Record != nil {
		s.Ref = privacy.Ref{Category: b.Record.Category, ID: b.Record.ID}
	}
	return s, nil
}

// placeHold places a legal hold, recorded as placed by the operator. It
// answers 201 with Location holds/{id}, relative to this path.
func (h *Handler) placeHold(w http.ResponseWriter, r *http.Request, who identity) error {
	var b holdBody
	if err := decode(r, &b, false); err != nil {
		return err
	}
	scope, err := b.Scope.scope()
	if err != nil {
		return err
	}
	hold, err := h.s.Holds().Place(r.Context(), retention.Hold{ID: b.ID, Matter: b.Matter, Ground: b.Ground, Scope: scope, PlacedBy: who.actor})
	if err != nil {
		// Also when the hold was placed but not audited: that is an
		// internal error for the host to mend, and the hold keeps the data
		// all the same, which is the safe side.
		return err
	}
	w.Header().Set("Location", "holds/"+url.PathEscape(hold.ID))
	return writeJSON(w, http.StatusCreated, viewHold(hold), language.Und)
}

func (h *Handler) getHold(w http.ResponseWriter, r *http.Request, _ identity) error {
	hold, err := h.s.Holds().Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewHold(hold), language.Und)
}

// releaseHold releases a hold, recorded as released by the operator. The
// hold is kept, released, as the audit trail's counterpart.
func (h *Handler) releaseHold(w http.ResponseWriter, r *http.Request, who identity) error {
	var b struct{}
	if err := decode(r, &b, false); err != nil {
		return err
	}
	hold, err := h.s.Holds().Release(r.Context(), r.PathValue("id"), who.actor)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, viewHold(hold), language.Und)
}

// readArchive streams an archived subject's records to the operator, who
// must be the administrator the client appointed; the purpose is always
// accounting consultation. Steward audits every read, refused ones too. A
// refusal answers 403 no-consent, a subject without an archive 404.
func (h *Handler) readArchive(w http.ResponseWriter, r *http.Request, who identity) error {
	subject := privacy.SubjectID(r.PathValue("subject"))
	next, stop := iter.Pull2(h.s.Read(r.Context(), who.actor, steward.PurposeAccountingConsultation, subject))
	defer stop()
	rec, err, ok := next()
	if ok && err != nil {
		return err
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	head, _ := json.Marshal(subject)
	w.Write([]byte(`{"subject":` + string(head) + `,"records":[`))
	for n := 0; ok; n++ {
		if err != nil {
			return err // after the answer began: Handler.serve aborts it
		}
		b, merr := json.Marshal(viewRecord(&rec))
		if merr != nil {
			return merr
		}
		if n > 0 {
			b = append([]byte{','}, b...)
		}
		if _, werr := w.Write(b); werr != nil {
			return nil // the client went away
		}
		rec, err, ok = next()
	}
	w.Write([]byte("]}\n"))
	return nil
}
