package export

import (
	"golang.org/x/text/language"
	"golang.org/x/text/message"
	"golang.org/x/text/message/catalog"
)

// languages lists the languages every text a person reads is available in,
// in the order of [texts]. English, first, serves any other language.
func languages() []language.Tag { return []language.Tag{language.English, language.Dutch} }

// texts holds every built-in text of the package in English and Dutch, keyed
// by a stable message key. Column labels are keyed "column.<key>".
func texts() map[string][2]string {
	return map[string][2]string{
		"column." + KeyID:         {"Record ID", "Record-ID"},
		"column." + KeySubject:    {"Subject", "Betrokkene"},
		"column." + KeyCreated:    {"Created", "Aangemaakt"},
		"column." + KeyRestricted: {"Restricted", "Beperkt"},
		"column." + KeyEvents:     {"Events", "Gebeurtenissen"},

		"class.plain":    {"ordinary data", "gewoon gegeven"},
		"class.personal": {"personal data", "persoonsgegeven"},
		"class.special":  {"special category of personal data", "bijzonder persoonsgegeven"},

		"value.true":  {"yes", "ja"},
		"value.false": {"no", "nee"},
		"value.nil":   {"(empty)", "(leeg)"},

		"format.csv":    {"CSV table, for spreadsheet programs", "CSV-tabel, voor rekenprogramma's"},
		"format.json":   {"JSON document, for computer programs", "JSON-document, voor computerprogramma's"},
		"format.ndjson": {"JSON lines, one record per line, for computer programs", "JSON-regels, één record per regel, voor computerprogramma's"},
		"format.xml":    {"XML document, for computer programs", "XML-document, voor computerprogramma's"},
		"format.xlsx":   {"Excel workbook", "Excel-werkmap"},
		"format.html":   {"Web page, to read", "Webpagina, om te lezen"},

		"html.category":   {"Category %s", "Categorie %s"},
		"html.record":     {"Record %s", "Record %s"},
		"html.field":      {"Field", "Veld"},
		"html.value":      {"Value", "Waarde"},
		"html.class":      {"Kind of data", "Soort gegeven"},
		"html.count":      {"Records in this file: %d", "Aantal records in dit bestand: %d"},
		"html.restricted": {"Use of this record is restricted (GDPR Art. 18).", "Het gebruik van dit record is beperkt (AVG art. 18)."},

		"index.title":       {"Your data", "Uw gegevens"},
		"index.intro":       {"This archive holds the data we keep about you, made on %s.", "Dit archief bevat de gegevens die wij over u bewaren, gemaakt op %s."},
		"index.subject":     {"Subject: %s", "Betrokkene: %s"},
		"index.files":       {"Files", "Bestanden"},
		"index.file":        {"File", "Bestand"},
		"index.category":    {"Category", "Categorie"},
		"index.format":      {"Format", "Formaat"},
		"index.records":     {"Records", "Records"},
		"index.bytes":       {"Size (bytes)", "Grootte (bytes)"},
		"index.checksum":    {"SHA-256 checksum", "SHA-256-controlegetal"},
		"index.kept":        {"How long we keep your data", "Hoe lang wij uw gegevens bewaren"},
		"index.kept.none":   {"No retention information was supplied with this export.", "Bij deze export is geen informatie over bewaartermijnen meegegeven."},
		"index.record":      {"Record", "Record"},
		"index.until":       {"Kept until", "Bewaard tot"},
		"index.basis":       {"Reason", "Grondslag"},
		"index.all":         {"all records", "alle records"},
		"index.count":       {"%d records", "%d records"},
		"index.noend":       {"no end date yet", "nog geen einddatum"},
		"index.incomplete":  {"This export is incomplete: an error occurred while it was made. Please ask for a new export.", "Deze export is onvolledig: er ging iets mis bij het maken ervan. Vraag alstublieft een nieuwe export aan."},
		"index.defended":    {"Text cells in the CSV and Excel files that begin with =, +, -, @ or a control character start with an extra apostrophe ('), so that spreadsheet programs do not run them as formulas.", "Tekstcellen in de CSV- en Excel-bestanden die beginnen met =, +, -, @ of een stuurteken, beginnen met een extra apostrof ('), zodat rekenprogramma's ze niet als formule uitvoeren."},
		"index.raw":         {"Text cells in the CSV and Excel files are written exactly as stored. Take care when opening them in a spreadsheet program: a cell that begins with = can run as a formula.", "Tekstcellen in de CSV- en Excel-bestanden zijn precies zo geschreven als ze zijn opgeslagen. Let op bij het openen in een rekenprogramma: een cel die begint met = kan als formule worden uitgevoerd."},
		"index.manifest":    {"The file manifest.json lists every file with its checksum, for computer programs.", "Het bestand manifest.json somt alle bestanden op met hun controlegetal, voor computerprogramma's."},
		"index.generatedby": {"Made by steward", "Gemaakt door steward"},
	}
}

// newCatalog builds the catalog of built-in texts. Each [Encoder] builds its
// own, so that the package keeps no state and never touches
// message.DefaultCatalog.
func newCatalog() (catalog.Catalog, error) {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for key, t := range texts() {
		for i, tag := range languages() {
			if t[i] == "" {
				continue
			}
			if err := b.SetString(tag, key, t[i]); err != nil {
				return nil, err
			}
		}
	}
	return b, nil
}

// missing is a message fallback no catalog holds, so a lookup that returns it
// found nothing.
const missing = "\x00steward.missing"

// labels renders texts in one language. It is not safe for concurrent use:
// an encoder makes one per file.
type labels struct {
	tag  language.Tag
	own  *message.Printer
	host *message.Printer // nil when the host supplied no catalog
}

func newLabels(tag language.Tag, own, host catalog.Catalog) *labels {
	l := &labels{tag: tag, own: message.NewPrinter(tag, message.Catalog(own))}
	if host != nil {
		l.host = message.NewPrinter(tag, message.Catalog(host))
	}
	return l
}

// text returns the built-in text for key, formatted with args.
func (l *labels) text(key string, args ...any) string {
	return l.own.Sprintf(key, args...)
}

// lookup returns the host's text for key, if its catalog has one.
func (l *labels) lookup(key string) (string, bool) {
	if l.host == nil || key == "" {
		return "", false
	}
	s := l.host.Sprintf(message.Key(key, missing))
	if s == missing {
		return "", false
	}
	return s, true
}

// column returns the label of a column: the built-in label of an envelope
// column, else the host's label for the field name, else the name itself.
func (l *labels) column(key string, envelope bool) string {
	if envelope {
		return l.text("column." + key)
	}
	if s, ok := l.lookup(key); ok {
		return s
	}
	return key
}

// category returns the host's label for a category, else its name.
func (l *labels) category(c string) string {
	if s, ok := l.lookup(c); ok {
		return s
	}
	return c
}

// matchLanguage returns the supported language that best serves tag.
func matchLanguage(tag language.Tag) language.Tag {
	langs := languages()
	_, i, _ := language.NewMatcher(langs).Match(tag)
	return langs[i]
}
