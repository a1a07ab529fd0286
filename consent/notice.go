package consent

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"time"
	"unicode/utf8"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/privacy"
)

// NoticeID names a notice across its versions, such as "privacy" or "cookies".
type NoticeID string

// Change says how a notice version differs from the version before it.
type Change uint8

const (
	// Material: the change alters what is done with personal data (a new
	// purpose, recipient or retention). Consent given under an earlier version
	// must be asked again. It is the zero value, so a change nobody classified
	// errs on the side of asking.
	Material Change = iota
	// Editorial: wording, layout or a typo. Consent given under an earlier
	// version stays valid.
	Editorial
)

// String returns "material" or "editorial".
func (c Change) String() string {
	switch c {
	case Material:
		return "material"
	case Editorial:
		return "editorial"
	}
	return fmt.Sprintf("Change(%d)", uint8(c))
}

// Text is a notice in one language.
type Text struct {
	Title string
	Body  string
}

// Notice is one version of a privacy or cookie statement: what a subject is
// shown when asked for consent. A published version never changes; a change
// is published as a new version.
type Notice struct {
	ID      NoticeID
	Version int    // from 1; each published version is higher than the one before
	Change  Change // how this version differs from the one before; ignored for the first
	// Published is when the version took effect. Publish sets it from the
	// ledger's clock when it is zero.
	Published time.Time
	// Texts holds the notice per language, keyed by canonical BCP 47 tag
	// ("nl", "en"). A ledger requires a text for each of its languages.
	Texts map[string]Text
	// Purposes are the purposes this version asks consent for or informs about.
	Purposes []privacy.Purpose
	// Hash is the content hash, "sha256:" and 64 hex digits, over the ID,
	// version, purposes and texts (see [Notice.Sum]). Publish sets it; a
	// consent event records it as proof of what the subject was shown.
	Hash string
}

// Sum computes the content hash of n over its ID, version, purposes (in the
// order given) and texts (in tag order), in a length-prefixed encoding so that
// no two different notices hash alike. The change kind and publication time are
// not content and are left out.
func (n *Notice) Sum() string {
	h := sha256.New()
	var b [8]byte
	num := func(v uint64) {
		binary.BigEndian.PutUint64(b[:], v)
		h.Write(b[:])
	}
	str := func(s string) {
		num(uint64(len(s)))
		h.Write([]byte(s))
	}
	str("steward.notice.v1")
	str(string(n.ID))
	num(uint64(n.Version))
	num(uint64(len(n.Purposes)))
	for _, p := range n.Purposes {
		str(string(p))
	}
	langs := n.Languages()
	num(uint64(len(langs)))
	for _, l := range langs {
		t := n.Texts[l]
		str(l)
		str(t.Title)
		str(t.Body)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// Languages returns the tags n has a text for, sorted.
func (n *Notice) Languages() []string {
	return slices.Sorted(maps.Keys(n.Texts))
}

// Covers reports whether n lists purpose p.
func (n *Notice) Covers(p privacy.Purpose) bool {
	return slices.Contains(n.Purposes, p)
}

// Text returns the text that best matches the preferred languages, and the
// language chosen. With no preference or no match it returns the text of the
// first language in tag order. ok is false only when n has no texts.
func (n *Notice) Text(prefer ...language.Tag) (t Text, lang string, ok bool) {
	langs := n.Languages()
	if len(langs) == 0 {
		return Text{}, "", false
	}
	lang = langs[0]
	if len(prefer) > 0 {
		tags := make([]language.Tag, len(langs))
		for i, l := range langs {
			tags[i] = language.Make(l)
		}
		_, i, conf := language.NewMatcher(tags).Match(prefer...)
		if conf != language.No {
			lang = langs[i]
		}
	}
	return n.Texts[lang], lang, true
}

// Clone returns a deep copy of n.
func (n Notice) Clone() Notice {
	n.Texts = maps.Clone(n.Texts)
	n.Purposes = slices.Clone(n.Purposes)
	return n
}

// validate reports the first problem with n as an error wrapping ErrInvalid.
// It checks the notice on its own; the ledger checks it against its purposes
// and languages.
func (n *Notice) validate(op string) error {
	bad := func(format string, args ...any) error {
		return &privacy.Error{Op: op, Msg: fmt.Sprintf(format, args...), Err: privacy.ErrInvalid}
	}
	switch {
	case n.ID == "":
		return bad("empty notice ID")
	case !utf8.ValidString(string(n.ID)):
		return bad("notice ID is not valid UTF-8")
	case n.Version < 1:
		return bad("notice version %d, want 1 or more", n.Version)
	case n.Change > Editorial:
		return bad("unknown change kind %d", n.Change)
	case len(n.Texts) == 0:
		return bad("notice has no text")
	case len(n.Purposes) == 0:
		return bad("notice covers no purpose")
	}
	for _, l := range n.Languages() {
		tag, err := language.Parse(l)
		if err != nil || tag == language.Und {
			return bad("text language %q is not a BCP 47 tag", l)
		}
		if tag.String() != l {
			return bad("text language %q is not in canonical form %q", l, tag.String())
		}
		t := n.Texts[l]
		if t.Title == "" || t.Body == "" {
			return bad("text %s has an empty title or body", l)
		}
		if !utf8.ValidString(t.Title) || !utf8.ValidString(t.Body) {
			return bad("text %s is not valid UTF-8", l)
		}
	}
	for i, p := range n.Purposes {
		if err := checkPurposeName(p); err != nil {
			return bad("purpose %d: %v", i, err)
		}
		if slices.Contains(n.Purposes[:i], p) {
			return bad("purpose %q listed twice", string(p))
		}
	}
	return nil
}
