package export

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

type indexText struct {
	Title, Files, File, Category, Format, Records, Bytes, Checksum, Kept string
}

type indexFile struct {
	Path, Category, Format, Records, Bytes, SHA256 string
}

type indexData struct {
	Lang       string
	T          indexText
	Incomplete string
	Intro      string
	Subject    string
	Files      []indexFile
	Cells      string
	Manifest   string
}

type keptHead struct{ Category, Record, Until, Basis string }

type keptRow struct{ Category, Record, Time, Until, Basis string }

type keptFoot struct {
	Any  bool
	None string
}

// showUntil shows a retention end in its own time zone: the date alone when
// it falls at midnight, as it does for periods counted in whole days.
func showUntil(t time.Time) string {
	if h, m, s := t.Clock(); h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0 {
		return t.Format("2006-01-02")
	}
	return t.Format("2006-01-02 15:04 MST")
}

// writeIndex writes index.html: the files, and what is kept until when. It
// ranges over the Kept lines once, writing as it goes.
func (a *Archive) writeIndex() (*ManifestFile, error) {
	const op = "export.Archive.Close"
	l := newLabels(a.enc.lang, a.enc.own, a.enc.host)
	w, err := a.entry("index.html", HTML)
	if err != nil {
		return nil, err
	}
	m := &meter{w: w, h: sha256.New()}
	o := newOut(m)
	exec := func(name string, data any) error {
		if err := a.enc.page.ExecuteTemplate(appender{o}, name, data); err != nil {
			return &privacy.Error{Op: op, Msg: "writing index.html failed", Err: err}
		}
		if o.full() {
			if err := o.flush(); err != nil {
				return &privacy.Error{Op: op, Msg: "writing index.html failed", Err: err}
			}
		}
		return nil
	}
	d := indexData{
		Lang: l.tag.String(),
		T: indexText{
			Title:    l.text("index.title"),
			Files:    l.text("index.files"),
			File:     l.text("index.file"),
			Category: l.text("index.category"),
			Format:   l.text("index.format"),
			Records:  l.text("index.records"),
			Bytes:    l.text("index.bytes"),
			Checksum: l.text("index.checksum"),
			Kept:     l.text("index.kept"),
		},
		Intro:    l.text("index.intro", a.now.Format("2006-01-02 15:04:05 UTC")),
		Subject:  l.text("index.subject", string(a.subject)),
		Cells:    l.text("index.defended"),
		Manifest: l.text("index.manifest"),
	}
	if !a.enc.defend {
		d.Cells = l.text("index.raw")
	}
	if a.err != nil {
		d.Incomplete = l.text("index.incomplete")
	}
	for _, f := range a.files {
		d.Files = append(d.Files, indexFile{
			Path:     f.Path,
			Category: l.category(string(f.Category)),
			Format:   l.text("format." + string(f.Format)),
			Records:  l.own.Sprintf("%d", f.Records),
			Bytes:    l.own.Sprintf("%d", f.Bytes),
			SHA256:   f.SHA256,
		})
	}
	if err := exec("index", d); err != nil {
		return nil, err
	}
	var keptErr error
	foot := keptFoot{None: l.text("index.kept.none")}
	if a.kept != nil {
		for k, err := range a.kept {
			if err != nil {
				keptErr = err
				break
			}
			if !foot.Any {
				foot.Any = true
				h := keptHead{Category: l.text("index.category"), Record: l.text("index.record"), Until: l.text("index.until"), Basis: l.text("index.basis")}
				if err := exec("kept.head", h); err != nil {
					return nil, err
				}
			}
			row := keptRow{Category: l.category(string(k.Category)), Record: k.ID, Basis: k.Basis}
			switch {
			case row.Record == "" && k.Records > 0:
				row.Record = l.text("index.count", k.Records)
			case row.Record == "":
				row.Record = l.text("index.all")
			}
			if k.Until.IsZero() {
				row.Until = l.text("index.noend")
			} else {
				row.Time = k.Until.UTC().Format(time.RFC3339)
				row.Until = showUntil(k.Until)
			}
			if err := exec("kept.row", row); err != nil {
				return nil, err
			}
		}
	}
	if err := exec("kept.foot", foot); err != nil {
		return nil, err
	}
	alert := ""
	if keptErr != nil {
		alert = l.text("index.incomplete")
	}
	if err := exec("index.foot", alert); err != nil {
		return nil, err
	}
	if err := o.flush(); err != nil {
		return nil, &privacy.Error{Op: op, Msg: "writing index.html failed", Err: err}
	}
	mf := &ManifestFile{Path: "index.html", Format: HTML, Bytes: m.n, SHA256: hex.EncodeToString(m.h.Sum(nil))}
	if keptErr != nil {
		a.failure = "the retention information could not be read"
		return mf, keptErr
	}
	return mf, nil
}
