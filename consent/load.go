package consent

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// noticeJSON is the file form of a notice:
//
//	{"id": "privacy", "version": 2, "change": "material",
//	 "published": "2026-03-01T00:00:00Z",
//	 "purposes": ["newsletter"],
//	 "texts": {"nl": {"title": "Privacyverklaring", "body": "..."},
//	           "en": {"title": "Privacy statement", "body": "..."}}}
type noticeJSON struct {
	ID        NoticeID            `json:"id"`
	Version   int                 `json:"version"`
	Change    string              `json:"change"`
	Published *time.Time          `json:"published"`
	Purposes  []privacy.Purpose   `json:"purposes"`
	Texts     map[string]textJSON `json:"texts"`
}

type textJSON struct {
	Title string `json:"title"`
	Body  string `json:"body"`
}

// maxNoticeBytes bounds what ReadNotice reads: a notice is a page of text,
// not a book.
const maxNoticeBytes = 1 << 20

// ReadNotice reads a notice from its JSON file form (see the package
// documentation), for hosts that keep their notices with their other
// content. Unknown fields, a change kind other than "material" or
// "editorial", a notice of more than 1 MiB and anything [Ledger.Publish]
// would refuse give an error wrapping privacy.ErrInvalid. The hash is not
// read: Publish computes it.
func ReadNotice(r io.Reader) (Notice, error) {
	const op = "consent.ReadNotice"
	data, err := io.ReadAll(io.LimitReader(r, maxNoticeBytes+1))
	if err != nil {
		return Notice{}, &privacy.Error{Op: op, Err: err}
	}
	if len(data) > maxNoticeBytes {
		return Notice{}, invalidf(op, "notice larger than %d bytes", maxNoticeBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var j noticeJSON
	if err := dec.Decode(&j); err != nil {
		return Notice{}, invalidf(op, "%s", jsonProblem(err, data))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Notice{}, invalidf(op, "data after the notice")
	}
	n := Notice{ID: j.ID, Version: j.Version, Purposes: j.Purposes, Texts: make(map[string]Text, len(j.Texts))}
	switch j.Change {
	case "", "material":
		n.Change = Material
	case "editorial":
		n.Change = Editorial
	default:
		return Notice{}, invalidf(op, "change %q: want material or editorial", j.Change)
	}
	if j.Published != nil {
		n.Published = j.Published.UTC()
	}
	for lang, t := range j.Texts {
		n.Texts[lang] = Text{Title: t.Title, Body: t.Body}
	}
	if err := n.validate(op); err != nil {
		return Notice{}, err
	}
	return n, nil
}

// jsonProblem says what is wrong with a JSON document and on which line.
func jsonProblem(err error, data []byte) string {
	offset := int64(-1)
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		offset = se.Offset
	case errors.As(err, &te):
		offset = te.Offset
	}
	msg := err.Error()
	if errors.Is(err, io.EOF) {
		msg = "empty document"
	}
	if offset < 0 {
		return msg
	}
	line := 1 + bytes.Count(data[:min(offset, int64(len(data)))], []byte("\n"))
	return fmt.Sprintf("line %d: %s", line, msg)
}
