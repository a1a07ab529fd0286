package steward

import (
	"context"
	"io"
	"iter"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Export writes the subject's data portability archive (GDPR Art. 20) to w:
// one file per category per format, index.html in the subject's language
// saying what is kept and until when, and manifest.json. It streams the
// records category by category and never holds them all. opts may be nil
// (CSV, JSON and HTML, unencrypted, in English); its Kept and Clock are set
// by Steward, and category labels come from Options.Labels unless opts has
// its own. On error the archive written so far does not say it is complete.
func (s *Steward) Export(ctx context.Context, subject privacy.SubjectID, w io.Writer, opts *export.ArchiveOptions) error {
	const op = "steward.Export"
	if err := checkSubject(op, subject); err != nil {
		return err
	}
	var o export.ArchiveOptions
	if opts != nil {
		o = *opts
	}
	if o.Labels == nil && len(s.labels) > 0 {
		o.Labels = s.labelCatalog()
	}
	lang := o.Language
	if lang == language.Und {
		lang = language.English
	}
	t := s.texts(lang)
	now := s.clock.Now()
	// One index line per category, date and basis, counting its records:
	// records arrive grouped by category, and within one a few dates cover
	// them all, so this stays small however many records are exported.
	var kept []export.Kept
	keptAt := map[export.Kept]int{}
	o.Clock = s.clock
	o.Kept = func(yield func(export.Kept, error) bool) {
		for _, k := range kept {
			if !yield(k, nil) {
				return
			}
		}
	}
	// The holds that can cover the subject's records, read once rather than
	// once per record: they only inform index.html.
	var holds []retention.Hold
	for h, err := range s.holds.Active(ctx) {
		if err != nil {
			return privacy.Wrap(op, err)
		}
		if h.Scope.Kind != retention.ScopeSubject || h.Scope.Subject == subject {
			holds = append(holds, h)
		}
	}
	a, err := export.NewArchive(w, subject, &o)
	if err != nil {
		return err
	}
	next, stop := iter.Pull2(s.records.BySubject(ctx, subject))
	defer stop()
	r, err, ok := next()
	for ok && err == nil {
		cat := r.Ref.Category
		// category yields the run of records of cat, leaving r at the first
		// record of the next category.
		category := func(yield func(privacy.Record, error) bool) {
			for ok && err == nil && r.Ref.Category == cat {
				if r.Subject != subject {
					err = &privacy.Error{Op: op, Ref: r.Ref, Msg: "records store yielded a record of another subject", Err: privacy.ErrConflict}
					break
				}
				k := s.kept(&r, holds, now, t)
				k.ID = ""
				if i, ok := keptAt[k]; ok {
					kept[i].Records++
				} else {
					keptAt[k] = len(kept)
					k.Records = 1
					kept = append(kept, k)
				}
				if !yield(r, nil) {
					return
				}
				r, err, ok = next()
			}
			if err != nil {
				yield(privacy.Record{}, err)
			}
		}
		if aerr := a.Add(ctx, cat, category); aerr != nil {
			_ = a.Close()
			return privacy.Wrap(op, aerr)
		}
	}
	if err != nil {
		// The first read failed before anything was added: the archive has
		// written nothing that could pass for an export, so it is not closed.
		return privacy.Wrap(op, err)
	}
	return privacy.Wrap(op, a.Close())
}

// kept says, for index.html, until when a record is kept and why. Resolve
// counts only the holds that cover r.
func (s *Steward) kept(r *privacy.Record, holds []retention.Hold, now time.Time, t texts) export.Kept {
	d := s.policy.Resolve(r, holds, now)
	k := export.Kept{Category: r.Ref.Category, ID: r.Ref.ID, Until: d.Until}
	switch {
	case d.Outcome == retention.Held:
		k.Basis = t.f("access.held")
	case d.Rule != nil:
		k.Basis = t.duty(d.Rule.Name) + " (" + d.Rule.Basis + ")"
	default:
		k.Basis = t.f("access.norule")
	}
	return k
}

// labelCatalog gives the export encoders the host's category labels.
func (s *Steward) labelCatalog() catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for cat, l := range s.labels {
		if l.EN != "" {
			_ = b.SetString(language.English, string(cat), l.EN)
		}
		if l.NL != "" {
			_ = b.SetString(language.Dutch, string(cat), l.NL)
		}
	}
	return b
}
