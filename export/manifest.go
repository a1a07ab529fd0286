package export

import (
	"fmt"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// Manifest is the content of an archive's manifest.json. Its JSON keys are
// stable; new keys may be added within a [DocumentVersion].
type Manifest struct {
	Format    string            `json:"format"`  // always [DocumentType]
	Version   int               `json:"version"` // [DocumentVersion]
	Subject   privacy.SubjectID `json:"subject"`
	Generated time.Time         `json:"generated"` // RFC 3339, UTC
	Language  string            `json:"language"`  // "en" or "nl": of the labels and index.html
	// Cells is "defended" when CSV and XLSX string cells that could be taken
	// for a formula carry a leading apostrophe, "raw" when they do not.
	Cells string          `json:"cells"`
	CSV   ManifestDialect `json:"csv"`
	// Files lists the data files, per category in the order they were
	// added, per category in the order of the requested formats.
	Files []ManifestFile `json:"files"`
	Index *ManifestFile  `json:"index,omitempty"` // index.html
	// Failure says, without any value, what went wrong when Complete is false.
	Failure string `json:"failure,omitempty"`
	// Complete is true only when every category was written in full. It is
	// the last key of the manifest, and the manifest the last file of the
	// archive, so a reader that finds it true has seen everything.
	Complete bool `json:"complete"`
}

// Cells values of the manifest.
const (
	CellsDefended = "defended"
	CellsRaw      = "raw"
)

// ManifestDialect is how the archive's CSV files are written.
type ManifestDialect struct {
	Delimiter string `json:"delimiter"`
	BOM       bool   `json:"bom"`
}

// ReadOptions returns the options that read the archive's CSV files back:
// its delimiter, and Raw when its cells were written raw.
func (m *Manifest) ReadOptions() *ReadOptions {
	o := &ReadOptions{Raw: m.Cells == CellsRaw}
	if r := []rune(m.CSV.Delimiter); len(r) == 1 {
		o.Delimiter = r[0]
	}
	return o
}

// ManifestFile describes one file of an archive.
type ManifestFile struct {
	Path     string           `json:"path"` // slash-separated, inside the zip
	Category privacy.Category `json:"category,omitempty"`
	Format   Format           `json:"format"`
	Records  int64            `json:"records"`
	Bytes    int64            `json:"bytes"`
	SHA256   string           `json:"sha256"` // of the file's bytes, lower-case hex
	// Columns of a CSV or XLSX file in file order: the five envelope
	// columns, then the field columns with their kind and class.
	Columns []ManifestColumn `json:"columns,omitempty"`
}

// ManifestColumn is one column of a tabular file: its stable machine key, the
// label the file shows, and for a field column its kind and class.
type ManifestColumn struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Kind  string `json:"kind,omitempty"`
	Class string `json:"class,omitempty"`
}

// FieldColumns returns the field columns of a CSV or XLSX file, as
// [ReadCSV] takes them.
func (f *ManifestFile) FieldColumns() ([]Column, error) {
	const op = "export.ManifestFile.FieldColumns"
	if len(f.Columns) < len(envelope()) {
		return nil, invalid(op, privacy.Ref{Category: f.Category}, "", fmt.Sprintf("%s has %d columns, fewer than the envelope's", f.Path, len(f.Columns)))
	}
	for i, k := range envelope() {
		if f.Columns[i].Key != k {
			return nil, invalid(op, privacy.Ref{Category: f.Category}, "", fmt.Sprintf("%s: column %d is not the envelope column %q", f.Path, i+1, k))
		}
	}
	var cols []Column
	for _, c := range f.Columns[len(envelope()):] {
		var k Kind
		if err := k.UnmarshalText([]byte(c.Kind)); err != nil {
			return nil, invalid(op, privacy.Ref{Category: f.Category}, c.Key, "unknown kind")
		}
		class, ok := parseClass(c.Class)
		if !ok {
			return nil, invalid(op, privacy.Ref{Category: f.Category}, c.Key, "unknown class")
		}
		cols = append(cols, Column{Name: c.Key, Kind: k, Class: class})
	}
	return cols, nil
}

// manifestColumns lists the columns of a tabular file for the manifest.
func manifestColumns(cols []Column, l *labels) []ManifestColumn {
	out := make([]ManifestColumn, 0, len(envelope())+len(cols))
	for _, k := range envelope() {
		out = append(out, ManifestColumn{Key: k, Label: l.column(k, true)})
	}
	for _, c := range cols {
		out = append(out, ManifestColumn{Key: c.Name, Label: l.column(c.Name, false), Kind: c.Kind.String(), Class: c.Class.String()})
	}
	return out
}
