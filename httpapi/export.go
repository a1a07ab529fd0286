package httpapi

import (
	"net/http"
	"slices"
	"strings"

	"filippo.io/age"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/export"
)

// getExport streams the subject's export archive (GDPR Art. 20) straight
// from Steward.Export into the response: ?format=csv,json picks the formats
// (default csv, json and html), ?recipient=age1… (repeatable) encrypts the
// archive with age, and Accept-Language sets the language of index.html and
// the column labels.
//
// The archive is never held whole: the answer is sent as it is made, without
// a Content-Length. A failure before the first byte is answered as a
// problem; a failure after it aborts the connection (see Handler.serve), so
// the client sees a broken transfer, never a short file that looks whole,
// and the manifest inside what did arrive says "complete": false.
func (h *Handler) getExport(w http.ResponseWriter, r *http.Request, who identity) error {
	q := r.URL.Query()
	formats, err := formats(q["format"])
	if err != nil {
		return err
	}
	var recipients []age.Recipient
	for _, s := range q["recipient"] {
		rcp, err := age.ParseX25519Recipient(s)
		if err != nil {
			return malformed("recipient must be an age X25519 recipient (age1…)")
		}
		recipients = append(recipients, rcp)
	}
	lang := steward.Language(r.Header.Get("Accept-Language"))
	opts := h.export
	opts.Formats = formats
	opts.Language = lang
	if len(recipients) > 0 {
		opts.Recipients = recipients
	}
	d := &download{w: w, lang: lang.String(), ctype: "application/zip", name: "export.zip"}
	if len(opts.Recipients) > 0 || opts.Passphrase != "" {
		d.ctype, d.name = "application/octet-stream", "export.zip.age"
	}
	if r.Method == http.MethodHead {
		d.header()
		return nil
	}
	return h.s.Export(r.Context(), who.subject, d, &opts)
}

// formats reads ?format: comma-separated, repeatable, case-insensitive;
// repeats are dropped. None gives nil, the export's default.
func formats(values []string) ([]export.Format, error) {
	var out []export.Format
	for _, v := range values {
		for s := range strings.SplitSeq(v, ",") {
			f := export.Format(strings.ToLower(strings.TrimSpace(s)))
			if f == "" {
				continue
			}
			if f.Validate() != nil {
				return nil, malformed("format must be csv, json, ndjson, xml, xlsx or html")
			}
			if !slices.Contains(out, f) {
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// download writes the headers of the archive just before its first byte, so
// that a failure before then can still be answered as a problem.
type download struct {
	w           http.ResponseWriter
	lang        string
	ctype, name string
	started     bool
}

func (d *download) header() {
	d.started = true
	hd := d.w.Header()
	hd.Set("Content-Type", d.ctype)
	hd.Set("Content-Disposition", `attachment; filename="`+d.name+`"`)
	hd.Set("Content-Language", d.lang)
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Add("Vary", "Accept-Language")
	d.w.WriteHeader(http.StatusOK)
}

func (d *download) Write(p []byte) (int, error) {
	if !d.started {
		d.header()
	}
	return d.w.Write(p)
}
