package export_test

import (
	"archive/zip"
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/language"
	"golang.org/x/text/message/catalog"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file: run go test ./export -run TestGolden -update")
	assert.Empty(t, cmp.Diff(string(want), string(got)), "%s differs; if the change is intended, run go test ./export -run TestGolden -update", path)
}

// hostLabels is a host's catalog of labels for its own field and category
// names.
func hostLabels(t *testing.T) catalog.Catalog {
	b := catalog.NewBuilder(catalog.Fallback(language.English))
	for key, l := range map[string][2]string{
		"invoice":      {"Invoices", "Facturen"},
		"customer":     {"Customer", "Klant"},
		"amount_cents": {"Amount (cents)", "Bedrag (centen)"},
		"due":          {"Due", "Vervaldatum"},
	} {
		require.NoError(t, b.SetString(language.English, key, l[0]))
		require.NoError(t, b.SetString(language.Dutch, key, l[1]))
	}
	return b
}

// sheetXML returns the worksheet XML of a workbook: the part of an XLSX
// file that holds the cells, and the part that stays the same across
// excelize versions.
func sheetXML(t *testing.T, b []byte) []byte {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	for _, f := range zr.File {
		if f.Name == "xl/worksheets/sheet1.xml" {
			rc, err := f.Open()
			require.NoError(t, err)
			defer rc.Close()
			x, err := io.ReadAll(rc)
			require.NoError(t, err)
			return x
		}
	}
	t.Fatal("no sheet in workbook")
	return nil
}

func TestGolden(t *testing.T) {
	recs := goldenRecords()
	cases := []struct {
		file   string
		format export.Format
		opts   export.Options
	}{
		{"records.csv", export.CSV, export.Options{}},
		{"records.nl.csv", export.CSV, export.Options{Language: language.Dutch, Delimiter: ';', BOM: true, Labels: hostLabels(t)}},
		{"records.raw.csv", export.CSV, export.Options{Raw: true}},
		{"records.json", export.JSON, export.Options{}},
		{"records.ndjson", export.NDJSON, export.Options{}},
		{"records.xml", export.XML, export.Options{}},
		{"records.html", export.HTML, export.Options{Labels: hostLabels(t)}},
		{"records.nl.html", export.HTML, export.Options{Language: language.Dutch, Labels: hostLabels(t)}},
		{"records.xlsx.sheet.xml", export.XLSX, export.Options{Labels: hostLabels(t)}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			b, _ := encode(t, &tc.opts, tc.format, recs)
			if tc.format == export.XLSX {
				b = sheetXML(t, b)
			}
			golden(t, tc.file, b)
		})
	}
	t.Run("archive", func(t *testing.T) {
		b := buildArchive(t, &export.ArchiveOptions{
			Options: export.Options{Language: language.Dutch, Labels: hostLabels(t)},
			Clock:   privacy.NewSettableClock(time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC)),
			Kept:    keptLines(),
		})
		u := unpack(t, b)
		golden(t, "archive.manifest.json", u.files["manifest.json"])
		golden(t, "archive.index.nl.html", u.files["index.html"])
	})
}

func TestXLSXCells(t *testing.T) {
	b, sum := encode(t, nil, export.XLSX, goldenRecords())
	assert.Len(t, sum.Columns, 7)
	f, err := excelize.OpenReader(bytes.NewReader(b))
	require.NoError(t, err)
	defer f.Close()
	sheet := f.GetSheetName(0)
	assert.Equal(t, "invoice", sheet)
	cell := func(ref string) (string, excelize.CellType) {
		v, err := f.GetCellValue(sheet, ref, excelize.Options{RawCellValue: true})
		require.NoError(t, err)
		typ, err := f.GetCellType(sheet, ref)
		require.NoError(t, err)
		return v, typ
	}
	cases := []struct {
		name, ref, want string
		typ             excelize.CellType
	}{
		{"the header shows labels", "A1", "Record ID", excelize.CellTypeInlineString},
		{"a string that could be a formula gets an apostrophe", "A4", "'=2024-003", excelize.CellTypeInlineString},
		{"a formula in a field gets an apostrophe", "L3", `'=HYPERLINK("http://example.com/?q=1","klik")`, excelize.CellTypeInlineString},
		{"a string beginning with + gets an apostrophe", "F4", "'+31 6 1234 5678", excelize.CellTypeInlineString},
		{"a negative typed number is not changed", "H3", "-500", excelize.CellTypeUnset},
		{"a boolean is a boolean", "J2", "1", excelize.CellTypeBool},
		{"a nil value is an empty cell", "G3", "", excelize.CellTypeUnset},
		{"newlines stay in the cell", "L2", "Levering, \"spoed\"\nTweede regel", excelize.CellTypeInlineString},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, typ := cell(tc.ref)
			assert.Equal(t, tc.want, v)
			assert.Equal(t, tc.typ, typ)
		})
	}
	t.Run("a time is a date cell in UTC", func(t *testing.T) {
		v, err := f.GetCellValue(sheet, "C2")
		require.NoError(t, err)
		assert.Equal(t, "2024-03-15T10:30:00Z", v)
	})
}
