package steward

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Label names a category for people, in Dutch and English.
type Label struct{ NL, EN string }

// Labels names categories for people. A category without a label is shown by
// its name.
type Labels map[privacy.Category]Label

// Languages are the languages reports are rendered in; the first is the fallback.
var languages = []language.Tag{language.English, language.Dutch}

// Language returns the report language that best matches an Accept-Language
// header (or a tag such as "nl"): Dutch or English.
func Language(acceptLanguage string) language.Tag {
	return consent.Negotiate(acceptLanguage, languages...)
}

func isDutch(lang language.Tag) bool {
	base, _ := lang.Base()
	return base.String() == "nl"
}

// messages is the report catalog, built once and never changed.
var messages = sync.OnceValue(func() catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	set := func(key, en, nl string) {
		if err := b.SetString(language.English, key, en); err != nil {
			panic(err)
		}
		if err := b.SetString(language.Dutch, key, nl); err != nil {
			panic(err)
		}
	}
	set("erasure.title", "Erasure of your personal data, %s", "Verwijdering van uw persoonsgegevens, %s")
	set("erasure.deleted", "%s %s deleted.", "%s %s verwijderd.")
	set("erasure.kept", "%s %s kept until %s: %s (%s).", "%s %s bewaard tot %s: %s (%s).")
	set("erasure.waiting", "%s %s kept until after %s: %s (%s).", "%s %s bewaard tot na %s: %s (%s).")
	set("erasure.masked", "Personal data removed from it: %s.", "Verwijderde persoonsgegevens: %s.")
	set("erasure.kept-fields", "Kept because the obligation needs them: %s.", "Bewaard omdat de plicht ze vereist: %s.")
	set("erasure.held", "%s %s kept whole under a legal hold (%s).", "%s %s volledig bewaard vanwege een juridische bewaarplicht (%s).")
	set("erasure.earlier", "(done at an earlier request)", "(al gedaan bij een eerder verzoek)")
	set("erasure.withdrawn", "Consent withdrawn for: %s.", "Toestemming ingetrokken voor: %s.")
	set("erasure.nothing", "We hold no personal data of yours.", "Wij bewaren geen persoonsgegevens van u.")
	set("access.title", "Your personal data (GDPR Art. 15), %s", "Uw persoonsgegevens (AVG art. 15), %s")
	set("access.record", "%s %s", "%s %s")
	set("access.kept", "kept until %s: %s (%s)", "bewaard tot %s: %s (%s)")
	set("access.waiting", "kept until after %s: %s (%s)", "bewaard tot na %s: %s (%s)")
	set("access.held", "kept under a legal hold", "bewaard vanwege een juridische bewaarplicht")
	set("access.due", "due for deletion", "wordt verwijderd")
	set("access.norule", "kept while needed for the service", "bewaard zolang nodig voor de dienst")
	set("access.restricted", "processing restricted (Art. 18)", "verwerking beperkt (art. 18)")
	set("access.purposes", "Purposes of processing:", "Doelen van de verwerking:")
	set("access.purpose", "%s, on the basis of %s", "%s, op grond van %s")
	set("access.consent", "consent: %s", "toestemming: %s")
	set("access.recipients", "Recipients of your data: %s.", "Ontvangers van uw gegevens: %s.")
	set("access.norecipients", "Your data was not passed to anyone.", "Uw gegevens zijn aan niemand verstrekt.")
	set("access.source", "Source: %s.", "Bron: %s.")
	set("access.source.subject", "provided by you", "door uzelf verstrekt")
	set("access.archive", "Archived: readable only by %s for accounting consultation until %s.", "Gearchiveerd: alleen in te zien door %s voor raadpleging van de administratie tot %s.")
	set("access.rights", "Your rights: %s; and to lodge a complaint with the Autoriteit Persoonsgegevens.", "Uw rechten: %s; en een klacht indienen bij de Autoriteit Persoonsgegevens.")
	set("duty.nl-fiscal", "fiscal retention duty", "fiscale bewaarplicht")
	set("duty.nl-real-estate", "retention duty for real estate", "bewaarplicht onroerende zaken")
	set("duty.nl-oss", "retention duty for the VAT one-stop shop", "bewaarplicht éénloketsysteem btw")
	set("duty.nl-payroll", "payroll retention duty", "bewaarplicht loonadministratie")
	set("duty.nl-aml", "anti-money-laundering retention duty", "bewaarplicht Wwft")
	set("duty.other", "retention duty", "bewaarplicht")
	set("right.access", "access", "inzage")
	set("right.rectification", "rectification", "rectificatie")
	set("right.erasure", "erasure", "gegevenswissing")
	set("right.restriction", "restriction", "beperking van de verwerking")
	set("right.portability", "data portability", "overdraagbaarheid")
	set("right.objection", "objection", "bezwaar")
	set("basis.consent", "your consent", "uw toestemming")
	set("basis.contract", "the contract", "de overeenkomst")
	set("basis.legal_obligation", "a legal obligation", "een wettelijke verplichting")
	set("basis.vital_interests", "vital interests", "vitale belangen")
	set("basis.public_task", "a public task", "een taak van algemeen belang")
	set("basis.legitimate_interests", "legitimate interests", "gerechtvaardigde belangen")
	set("state.given", "given", "gegeven")
	set("state.withdrawn", "withdrawn", "ingetrokken")
	set("state.refused", "refused", "geweigerd")
	set("state.expired", "expired", "verlopen")
	set("state.none", "not asked", "niet gevraagd")
	return b
})

// texts renders one report in one language.
type texts struct {
	p      *message.Printer
	dutch  bool
	labels Labels
	zone   *time.Location
}

func (s *Steward) texts(lang language.Tag) texts {
	lang = consent.Negotiate(lang.String(), languages...)
	return texts{p: message.NewPrinter(lang, message.Catalog(messages())), dutch: isDutch(lang), labels: s.labels, zone: s.zone}
}

func (t texts) f(key string, args ...any) string { return t.p.Sprintf(key, args...) }

func (t texts) label(c privacy.Category) string {
	l, ok := t.labels[c]
	switch {
	case ok && t.dutch && l.NL != "":
		return l.NL
	case ok && l.EN != "":
		return l.EN
	}
	return string(c)
}

var monthsNL = [...]string{"januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"}

// date writes an instant as a day ("1 januari 2027", "1 January 2027").
func (t texts) date(at time.Time) string {
	y, m, d := at.In(t.zone).Date()
	if t.dutch {
		return fmt.Sprintf("%d %s %d", d, monthsNL[m-1], y)
	}
	return fmt.Sprintf("%d %s %d", d, m, y)
}

// duty names the obligation a rule stands for.
func (t texts) duty(rule string) string {
	prefix, _, _ := strings.Cut(rule, ":")
	switch prefix {
	case "nl-fiscal", "nl-real-estate", "nl-oss", "nl-payroll", "nl-aml":
		return t.f("duty." + prefix)
	}
	return t.f("duty.other")
}

func (t texts) list(keys []string, prefix string) string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = t.f(prefix + k)
	}
	return strings.Join(out, ", ")
}

// RenderErasure writes the erasure report for the subject to read, in Dutch
// or English (lang is matched to the nearer of the two), one line per record.
func (s *Steward) RenderErasure(rep *ErasureReport, lang language.Tag) string {
	t := s.texts(lang)
	var b strings.Builder
	fmt.Fprintln(&b, t.f("erasure.title", t.date(rep.Time)))
	if len(rep.Items) == 0 {
		fmt.Fprintln(&b, t.f("erasure.nothing"))
	}
	for _, it := range rep.Items {
		label := t.label(it.Ref.Category)
		var line string
		switch it.Outcome {
		case Deleted:
			line = t.f("erasure.deleted", label, it.Ref.ID)
		case KeptHeld:
			line = t.f("erasure.held", label, it.Ref.ID, strings.Join(it.Matters, ", "))
		case Minimised:
			if it.Until.IsZero() {
				line = t.f("erasure.waiting", label, it.Ref.ID, it.Waiting, t.duty(it.Rule), it.Basis)
			} else {
				line = t.f("erasure.kept", label, it.Ref.ID, t.date(it.Until), t.duty(it.Rule), it.Basis)
			}
			if len(it.Masked) > 0 {
				line += " " + t.f("erasure.masked", strings.Join(it.Masked, ", "))
			}
			if len(it.Kept) > 0 {
				line += " " + t.f("erasure.kept-fields", strings.Join(it.Kept, ", "))
			}
		}
		if !it.Changed && it.Outcome != KeptHeld {
			line += " " + t.f("erasure.earlier")
		}
		fmt.Fprintln(&b, "- "+line)
	}
	if len(rep.Withdrawn) > 0 {
		ps := make([]string, len(rep.Withdrawn))
		for i, p := range rep.Withdrawn {
			ps[i] = string(p)
		}
		fmt.Fprintln(&b, t.f("erasure.withdrawn", strings.Join(ps, ", ")))
	}
	return b.String()
}

// RenderAccess writes the access report for the subject to read, in Dutch or
// English.
func (s *Steward) RenderAccess(rep *AccessReport, lang language.Tag) string {
	t := s.texts(lang)
	var b strings.Builder
	fmt.Fprintln(&b, t.f("access.title", t.date(rep.Time)))
	for _, ar := range rep.Records {
		r := &ar.Record
		fmt.Fprintln(&b, "- "+t.f("access.record", t.label(r.Ref.Category), r.Ref.ID)+": "+t.keptText(ar))
		if r.Restricted {
			fmt.Fprintln(&b, "    "+t.f("access.restricted"))
		}
		for _, f := range r.Fields {
			fmt.Fprintf(&b, "    %s: %s\n", f.Name, valueText(f.Value))
		}
	}
	if len(rep.Purposes) > 0 {
		fmt.Fprintln(&b, t.f("access.purposes"))
		for _, p := range rep.Purposes {
			line := t.f("access.purpose", p.Purpose, t.f("basis."+string(p.Basis)))
			if p.Basis == privacy.Consent {
				state := "none"
				if p.Consent != "" {
					state = string(p.Consent)
				}
				line += "; " + t.f("access.consent", t.f("state."+state))
			}
			fmt.Fprintln(&b, "- "+line)
		}
	}
	if len(rep.Recipients) > 0 {
		fmt.Fprintln(&b, t.f("access.recipients", strings.Join(rep.Recipients, ", ")))
	} else {
		fmt.Fprintln(&b, t.f("access.norecipients"))
	}
	source := rep.Source
	if source == "" {
		source = t.f("access.source.subject")
	}
	fmt.Fprintln(&b, t.f("access.source", source))
	if rep.Archive != nil {
		fmt.Fprintln(&b, t.f("access.archive", rep.Archive.Administrator, t.date(rep.Archive.Until)))
	}
	ks := make([]string, len(rep.Rights))
	for i, k := range rep.Rights {
		ks[i] = string(k)
	}
	fmt.Fprintln(&b, t.f("access.rights", t.list(ks, "right.")))
	return b.String()
}

func (t texts) keptText(ar AccessRecord) string {
	switch ar.Outcome {
	case retention.Held:
		return t.f("access.held")
	case retention.Due:
		return t.f("access.due")
	case retention.Retain:
		if ar.Until.IsZero() {
			return t.f("access.waiting", privacy.EventContractEnded, t.duty(ar.Rule), ar.Basis)
		}
		return t.f("access.kept", t.date(ar.Until), t.duty(ar.Rule), ar.Basis)
	}
	if ar.Rule != "" && !ar.Until.IsZero() {
		return t.f("access.kept", t.date(ar.Until), t.duty(ar.Rule), ar.Basis)
	}
	return t.f("access.norule")
}

func valueText(v any) string {
	switch v := v.(type) {
	case nil:
		return "—"
	case time.Time:
		return v.UTC().Format(time.RFC3339)
	}
	return fmt.Sprint(v)
}
