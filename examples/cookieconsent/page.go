package main

import (
	"html/template"
	"net/http"

	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/consent"
)

// pageText is the site's own wording in one language; the notice and the
// category names come from the ledger.
type pageText struct {
	Title, Heading, Intro     string
	Choose, AlwaysOn          string
	AcceptAll, OnlyNecessary  string
	Save                      string
	Status, Placed, NotPlaced string
	Settings                  string
	OtherLanguage, OtherTag   string
	Describe                  map[consent.CookieCategory]string
}

// pageTexts returns the wording of the page in lang, English or Dutch.
func pageTexts(lang language.Tag) pageText {
	if lang == language.Dutch {
		return pageText{
			Title:         "Steward: voorbeeld van cookietoestemming",
			Heading:       "Welkom",
			Intro:         "Deze pagina vraagt per categorie toestemming voor cookies en legt uw keuze vast in een toestemmingsregister.",
			Choose:        "Kies per categorie",
			AlwaysOn:      "altijd aan",
			AcceptAll:     "Alles accepteren",
			OnlyNecessary: "Alleen noodzakelijke",
			Save:          "Mijn keuze opslaan",
			Status:        "Uw cookiekeuze",
			Placed:        "geplaatst",
			NotPlaced:     "niet geplaatst",
			Settings:      "Cookie-instellingen",
			OtherLanguage: "English",
			OtherTag:      "en",
			Describe: map[consent.CookieCategory]string{
				consent.CookieNecessary:  "onthoudt uw cookiekeuze",
				consent.CookieFunctional: "onthoudt uw taal",
				consent.CookieAnalytics:  "telt bezoeken om de site te verbeteren",
				consent.CookieMarketing:  "toont advertenties die bij u passen",
			},
		}
	}
	return pageText{
		Title:         "Steward: cookie consent example",
		Heading:       "Welcome",
		Intro:         "This page asks consent for cookies per category and records your choice in a consent ledger.",
		Choose:        "Choose per category",
		AlwaysOn:      "always on",
		AcceptAll:     "Accept all",
		OnlyNecessary: "Only necessary",
		Save:          "Save my choices",
		Status:        "Your cookie choice",
		Placed:        "placed",
		NotPlaced:     "not placed",
		Settings:      "Cookie settings",
		OtherLanguage: "Nederlands",
		OtherTag:      "nl",
		Describe: map[consent.CookieCategory]string{
			consent.CookieNecessary:  "remembers your cookie choice",
			consent.CookieFunctional: "remembers your language",
			consent.CookieAnalytics:  "counts visits to improve the site",
			consent.CookieMarketing:  "shows advertising that suits you",
		},
	}
}

// pageData is what the page template shows.
type pageData struct {
	Lang       string
	T          pageText
	Banner     bool
	Notice     consent.Text
	Version    int
	Categories []categoryView
}

// categoryView is one cookie category on the page.
type categoryView struct {
	Name        consent.CookieCategory
	Label       string
	Description string
	Necessary   bool
	Allowed     bool   // cookies of the category may be placed; ticks its box
	Explanation string // why, from the ledger
}

// pageTemplate is the page. The banner is a plain form with one submit
// button per answer, so it works without scripts. Accepting and refusing are
// buttons of the same kind side by side, and no box is ticked until the
// visitor ticks it: consent must be as free to refuse as to give.
func pageTemplate() *template.Template {
	return template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T.Title}}</title>
<style>
body { font-family: sans-serif; max-width: 42rem; margin: 1rem auto; padding: 0 1rem; line-height: 1.4 }
#cookie-banner { border: 2px solid #333; padding: 0 1rem 1rem; margin-bottom: 2rem }
fieldset { border: 1px solid #999; margin-bottom: 1rem }
button { font-size: 1rem; padding: .4rem .8rem; margin-right: .5rem }
</style>
</head>
<body>
{{- if .Banner}}
<section id="cookie-banner" aria-labelledby="cookie-title">
<h2 id="cookie-title">{{.Notice.Title}}</h2>
<p>{{.Notice.Body}}</p>
<form method="post" action="/consent">
<input type="hidden" name="version" value="{{.Version}}">
<input type="hidden" name="lang" value="{{.Lang}}">
<fieldset>
<legend>{{.T.Choose}}</legend>
{{- range .Categories}}
<p>
{{- if .Necessary}}<input type="checkbox" id="accept-{{.Name}}" checked disabled>
{{- else}}<input type="checkbox" id="accept-{{.Name}}" name="category" value="{{.Name}}"{{if .Allowed}} checked{{end}}>{{end}}
<label for="accept-{{.Name}}">{{.Label}}</label>: {{.Description}}{{if .Necessary}} ({{$.T.AlwaysOn}}){{end}}</p>
{{- end}}
</fieldset>
<button type="submit" name="choice" value="all" id="accept-all">{{.T.AcceptAll}}</button>
<button type="submit" name="choice" value="necessary" id="only-necessary">{{.T.OnlyNecessary}}</button>
<button type="submit" name="choice" value="save" id="save-choices">{{.T.Save}}</button>
</form>
</section>
{{- end}}
<main>
<h1>{{.T.Heading}}</h1>
<p>{{.T.Intro}}</p>
<h2>{{.T.Status}}</h2>
<ul id="cookie-status">
{{- range .Categories}}
<li data-category="{{.Name}}" data-allowed="{{.Allowed}}">{{.Label}}: {{if .Allowed}}{{$.T.Placed}}{{else}}{{$.T.NotPlaced}}{{end}}. {{.Explanation}}</li>
{{- end}}
</ul>
<p><a id="cookie-settings" href="/?settings=1">{{.T.Settings}}</a> · <a href="/?lang={{.T.OtherTag}}" hreflang="{{.T.OtherTag}}" lang="{{.T.OtherTag}}">{{.T.OtherLanguage}}</a></p>
</main>
</body>
</html>
`))
}

// home serves the page. It shows the banner when the ledger says to ask,
// or when the visitor opens the cookie settings to change their choice.
func (s *server) home(w http.ResponseWriter, r *http.Request) {
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
	text, _, _ := n.Text(lang)
	data := pageData{
		Lang: lang.String(), T: pageTexts(lang),
		Banner: cc.Ask || r.URL.Query().Has("settings"), Notice: text, Version: n.Version,
	}
	for _, c := range consent.CookieCategories() {
		data.Categories = append(data.Categories, categoryView{
			Name: c, Label: s.ledger.Label(c, lang), Description: data.T.Describe[c],
			Necessary: !c.NeedsConsent(), Allowed: cc.Allows(c),
			Explanation: s.ledger.Explain(cc.Categories[c].Reason, lang),
		})
	}
	s.remember(w, r, v)
	s.place(w, r, cc, lang)
	headers(w, lang)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.Execute(w, data); err != nil {
		s.log.Print("cookieconsent: writing the page: ", err)
	}
}
