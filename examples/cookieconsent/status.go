package main

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/smartbooqing/steward/consent"
)

// status is the visitor's cookie consent as GET /consent returns it.
type status struct {
	Visitor  string `json:"visitor"`  // the visitor's subject ID in the ledger
	Language string `json:"language"` // of the labels and explanations
	Ask      bool   `json:"ask"`      // the banner is due
	Notice   struct {
		ID      consent.NoticeID `json:"id"`
		Version int              `json:"version"` // the newest, which the banner shows
	} `json:"notice"`
	Categories map[consent.CookieCategory]categoryStatus `json:"categories"`
}

// categoryStatus is the consent of one cookie category.
type categoryStatus struct {
	Label       string         `json:"label"`
	Allowed     bool           `json:"allowed"`
	Reason      consent.Reason `json:"reason"`
	Explanation string         `json:"explanation"`
	// The newest decision, when there is one: its state, the notice version
	// and language it was made under, when, and until when it holds.
	State    consent.State `json:"state,omitempty"`
	Version  int           `json:"version,omitempty"`
	Language string        `json:"language,omitempty"`
	Time     time.Time     `json:"time,omitzero"`
	Expires  time.Time     `json:"expires,omitzero"`
}

// status answers with the visitor's recorded cookie consent per category.
func (s *server) status(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	v := visitorOf(r)
	cc, err := s.ledger.Cookies(ctx, v.subject())
	if err != nil {
		s.fail(w, err)
		return
	}
	lang := s.language(r, cc)
	n, err := s.ledger.Notice(ctx, cookieNotice().ID, 0)
	if err != nil {
		s.fail(w, err)
		return
	}
	out := status{
		Visitor: string(v.subject()), Language: lang.String(), Ask: cc.Ask,
		Categories: make(map[consent.CookieCategory]categoryStatus, len(cc.Categories)),
	}
	out.Notice.ID, out.Notice.Version = n.ID, n.Version
	for c, need := range cc.Categories {
		e := need.Event
		out.Categories[c] = categoryStatus{
			Label: s.ledger.Label(c, lang), Allowed: cc.Allows(c), Reason: need.Reason,
			Explanation: s.ledger.Explain(need.Reason, lang),
			State:       e.State, Version: e.Version, Language: e.Language, Time: e.Time, Expires: e.Expires,
		}
	}
	s.remember(w, r, v)
	s.place(w, r, cc, lang)
	headers(w, lang)
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		s.log.Print("cookieconsent: writing the status: ", err)
	}
}
