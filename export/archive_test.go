package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"iter"
	"os"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// unpacked is an archive read back: its entries in zip order and their content.
type unpacked struct {
	order    []string
	files    map[string][]byte
	manifest export.Manifest
}

func unpack(t *testing.T, b []byte) unpacked {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	require.NoError(t, err)
	u := unpacked{files: map[string][]byte{}}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		data, err := io.ReadAll(rc)
		require.NoError(t, err)
		rc.Close()
		u.order = append(u.order, f.Name)
		u.files[f.Name] = data
	}
	require.NoError(t, json.Unmarshal(u.files["manifest.json"], &u.manifest))
	return u
}

func contacts() []privacy.Record {
	return []privacy.Record{{
		Ref: privacy.Ref{Category: "contact", ID: "c1"}, Subject: subject, Created: day(2023, 1, 2),
		Fields: []privacy.Field{{Name: "name", Value: "Jan de Vries", Class: privacy.Personal}, {Name: "phone", Value: "+31 20 123 4567", Class: privacy.Personal}},
	}}
}

func keptLines() iter.Seq2[export.Kept, error] {
	ams, _ := time.LoadLocation("Europe/Amsterdam")
	return func(yield func(export.Kept, error) bool) {
		_ = yield(export.Kept{Category: invoices, Until: time.Date(2032, 1, 1, 0, 0, 0, 0, ams), Basis: "AWR art. 52 lid 4"}, nil) &&
			yield(export.Kept{Category: invoices, ID: "2024-002", Basis: "Legal hold: matter 2025-7"}, nil) &&
			yield(export.Kept{Category: "contact", Until: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC), Basis: "Contract"}, nil)
	}
}

func buildArchive(t *testing.T, opts *export.ArchiveOptions) []byte {
	t.Helper()
	ctx := context.Background()
	var buf bytes.Buffer
	a, err := export.NewArchive(&buf, subject, opts)
	require.NoError(t, err)
	require.NoError(t, a.Add(ctx, invoices, all(goldenRecords())))
	require.NoError(t, a.Add(ctx, "contact", all(contacts())))
	require.NoError(t, a.Close())
	return buf.Bytes()
}

func TestArchive(t *testing.T) {
	clock := privacy.NewSettableClock(time.Date(2026, 2, 1, 9, 30, 0, 0, time.UTC))
	tmp := t.TempDir()
	b := buildArchive(t, &export.ArchiveOptions{
		Options: export.Options{TempDir: tmp},
		Formats: export.Formats(),
		Clock:   clock,
		Kept:    keptLines(),
	})
	u := unpack(t, b)
	m := u.manifest

	t.Run("manifest says complete and is the last file", func(t *testing.T) {
		assert.True(t, m.Complete)
		assert.Empty(t, m.Failure)
		assert.Equal(t, "manifest.json", u.order[len(u.order)-1])
		raw := strings.TrimSpace(string(u.files["manifest.json"]))
		assert.True(t, strings.HasSuffix(raw, "\"complete\": true\n}"), "complete is the last key")
	})
	t.Run("manifest names format, version, subject, time and cells mode", func(t *testing.T) {
		assert.Equal(t, export.DocumentType, m.Format)
		assert.Equal(t, export.DocumentVersion, m.Version)
		assert.Equal(t, subject, m.Subject)
		assert.True(t, clock.Now().Equal(m.Generated))
		assert.Equal(t, export.CellsDefended, m.Cells)
		assert.Contains(t, string(u.files["manifest.json"]), `"generated": "2026-02-01T09:30:00Z"`)
	})
	t.Run("one file per category per format, in the order asked", func(t *testing.T) {
		var paths []string
		for _, f := range m.Files {
			paths = append(paths, f.Path)
		}
		want := []string{
			"data/invoice.csv", "data/invoice.json", "data/invoice.ndjson", "data/invoice.xml", "data/invoice.xlsx", "data/invoice.html",
			"data/contact.csv", "data/contact.json", "data/contact.ndjson", "data/contact.xml", "data/contact.xlsx", "data/contact.html",
		}
		assert.Equal(t, want, paths)
	})
	t.Run("every checksum, size and count matches the file", func(t *testing.T) {
		for _, f := range append(m.Files, *m.Index) {
			data, ok := u.files[f.Path]
			require.True(t, ok, f.Path)
			sum := sha256.Sum256(data)
			assert.Equal(t, hex.EncodeToString(sum[:]), f.SHA256, f.Path)
			assert.Equal(t, int64(len(data)), f.Bytes, f.Path)
		}
		assert.Equal(t, int64(3), m.Files[0].Records)
		assert.Equal(t, int64(1), m.Files[6].Records)
	})
	t.Run("spooled formats hold the same bytes as a direct encoding", func(t *testing.T) {
		for _, f := range m.Files {
			if f.Format == export.XLSX || f.Category != invoices {
				continue
			}
			want, _ := encode(t, &export.Options{}, f.Format, goldenRecords())
			assert.Equal(t, string(want), string(u.files[f.Path]), f.Path)
		}
	})
	t.Run("csv reads back with the manifest's columns", func(t *testing.T) {
		cols, err := m.Files[0].FieldColumns()
		require.NoError(t, err)
		got := collect(t, export.ReadCSV(context.Background(), bytes.NewReader(u.files["data/invoice.csv"]), invoices, cols, m.ReadOptions()))
		assert.Empty(t, cmp.Diff(goldenRecords(), got, cmpopts.EquateEmpty()))
	})
	t.Run("index lists the files and what is kept until when", func(t *testing.T) {
		index := string(u.files["index.html"])
		assert.Contains(t, index, `<a href="data/invoice.csv">`)
		assert.Contains(t, index, "2032-01-01")
		assert.Contains(t, index, "AWR art. 52 lid 4")
		assert.Contains(t, index, "no end date yet")
		assert.Contains(t, index, "2026-03-01 12:00 UTC")
		assert.NotContains(t, index, "incomplete")
	})
	t.Run("spool files are removed", func(t *testing.T) {
		left, err := os.ReadDir(tmp)
		require.NoError(t, err)
		for _, e := range left {
			assert.False(t, strings.HasPrefix(e.Name(), "steward-export-"), e.Name())
		}
	})
}

func TestArchiveIndexLanguage(t *testing.T) {
	b := buildArchive(t, &export.ArchiveOptions{Options: export.Options{Language: language.MustParse("nl-BE")}, Kept: keptLines()})
	u := unpack(t, b)
	assert.Equal(t, "nl", u.manifest.Language)
	index := string(u.files["index.html"])
	assert.Contains(t, index, `<html lang="nl">`)
	assert.Contains(t, index, "Hoe lang wij uw gegevens bewaren")
	assert.Contains(t, index, "nog geen einddatum")
	assert.Equal(t, "Record-ID", u.manifest.Files[0].Columns[0].Label)
	assert.Equal(t, "id", u.manifest.Files[0].Columns[0].Key)
}

func TestArchiveFailure(t *testing.T) {
	ctx := context.Background()
	errStore := errors.New("store went away")
	cases := []struct {
		name    string
		run     func(a *export.Archive) error
		kept    iter.Seq2[export.Kept, error]
		wantErr func(t *testing.T, err error)
	}{
		{
			name: "a stream that fails part-way leaves the archive incomplete",
			run:  func(a *export.Archive) error { return a.Add(ctx, invoices, failing(goldenRecords()[:2], errStore)) },
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, errStore)
			},
		},
		{
			name: "a record of another subject leaves the archive incomplete",
			run: func(a *export.Archive) error {
				recs := goldenRecords()
				recs[1].Subject = "someone-else"
				return a.Add(ctx, invoices, all(recs))
			},
			wantErr: func(t *testing.T, err error) {
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				assert.NotContains(t, err.Error(), "someone-else")
			},
		},
		{
			name: "a cancelled context leaves the archive incomplete",
			run: func(a *export.Archive) error {
				cctx, cancel := context.WithCancel(ctx)
				cancel()
				return a.Add(cctx, invoices, all(goldenRecords()))
			},
			wantErr: func(t *testing.T, err error) { assert.Equal(t, context.Canceled, err) },
		},
		{
			name: "retention lines that fail leave the archive incomplete",
			run:  func(a *export.Archive) error { return a.Add(ctx, invoices, all(goldenRecords())) },
			kept: func(yield func(export.Kept, error) bool) {
				_ = yield(export.Kept{Category: invoices, Basis: "x"}, nil) && yield(export.Kept{}, errStore)
			},
			wantErr: func(t *testing.T, err error) { assert.ErrorIs(t, err, errStore) },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			a, err := export.NewArchive(&buf, subject, &export.ArchiveOptions{Formats: []export.Format{export.CSV, export.JSON, export.XLSX}, Kept: tc.kept})
			require.NoError(t, err)
			addErr := tc.run(a)
			closeErr := a.Close()
			err = addErr
			if err == nil {
				err = closeErr
			} else {
				assert.Equal(t, addErr, closeErr, "Close returns the first error again")
			}
			require.Error(t, err)
			tc.wantErr(t, err)
			u := unpack(t, buf.Bytes())
			assert.False(t, u.manifest.Complete)
			assert.NotEmpty(t, u.manifest.Failure)
			assert.Contains(t, string(u.files["index.html"]), "This export is incomplete")
		})
	}
}

func TestArchiveRefusesAfterFailure(t *testing.T) {
	ctx := context.Background()
	a, err := export.NewArchive(io.Discard, subject, nil)
	require.NoError(t, err)
	require.Error(t, a.Add(ctx, invoices, failing(nil, errors.New("boom"))))
	assert.ErrorIs(t, a.Add(ctx, "contact", all(contacts())), privacy.ErrConflict)
}

func TestArchiveRefusesCategoryTwice(t *testing.T) {
	ctx := context.Background()
	a, err := export.NewArchive(io.Discard, subject, nil)
	require.NoError(t, err)
	require.NoError(t, a.Add(ctx, invoices, all(goldenRecords())))
	assert.ErrorIs(t, a.Add(ctx, invoices, all(goldenRecords())), privacy.ErrConflict)
	require.NoError(t, a.Close())
	assert.ErrorIs(t, a.Close(), privacy.ErrConflict)
	assert.ErrorIs(t, a.Add(ctx, "contact", all(contacts())), privacy.ErrConflict)
}

// brokenWriter accepts limit bytes and then fails.
type brokenWriter struct {
	limit int
	buf   bytes.Buffer
}

var errDisk = errors.New("disk full")

func (w *brokenWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.limit {
		n := w.limit - w.buf.Len()
		w.buf.Write(p[:n])
		return n, errDisk
	}
	return w.buf.Write(p)
}

func TestArchiveFailingWriterNeverSaysComplete(t *testing.T) {
	ctx := context.Background()
	big := make([]privacy.Record, 600)
	for i := range big {
		big[i] = goldenRecords()[i%3]
	}
	opts := &export.ArchiveOptions{Formats: []export.Format{export.CSV, export.JSON}}
	full := &brokenWriter{limit: 1 << 30}
	a, err := export.NewArchive(full, subject, opts)
	require.NoError(t, err)
	require.NoError(t, a.Add(ctx, invoices, all(big)))
	require.NoError(t, a.Close())
	size := full.buf.Len()
	for _, limit := range []int{0, 100, size / 3, size / 2, size - 10} {
		w := &brokenWriter{limit: limit}
		a, err := export.NewArchive(w, subject, opts)
		require.NoError(t, err)
		addErr := a.Add(ctx, invoices, all(big))
		closeErr := a.Close()
		err = errors.Join(addErr, closeErr)
		require.ErrorIs(t, err, errDisk, "limit %d", limit)
		b := w.buf.Bytes()
		zr, zerr := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if zerr != nil {
			continue // no valid zip: nothing can claim to be complete
		}
		for _, f := range zr.File {
			if f.Name == "manifest.json" {
				rc, err := f.Open()
				require.NoError(t, err)
				var m export.Manifest
				if json.NewDecoder(rc).Decode(&m) == nil {
					assert.False(t, m.Complete, "limit %d", limit)
				}
			}
		}
	}
}

func TestArchiveEncryption(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	cases := []struct {
		name     string
		opts     export.ArchiveOptions
		identity func(t *testing.T) age.Identity
	}{
		{"encrypted to a recipient, it opens with the identity", export.ArchiveOptions{Recipients: []age.Recipient{id.Recipient()}},
			func(t *testing.T) age.Identity { return id }},
		{"encrypted with a passphrase, it opens with the passphrase", export.ArchiveOptions{Passphrase: "correct horse battery staple", WorkFactor: export.MinWorkFactor},
			func(t *testing.T) age.Identity {
				s, err := age.NewScryptIdentity("correct horse battery staple")
				require.NoError(t, err)
				return s
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := buildArchive(t, &tc.opts)
			_, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
			assert.Error(t, err, "the ciphertext is not a readable zip")
			assert.NotContains(t, string(b), "Jan de Vries")
			r, err := age.Decrypt(bytes.NewReader(b), tc.identity(t))
			require.NoError(t, err)
			plain, err := io.ReadAll(r)
			require.NoError(t, err)
			u := unpack(t, plain)
			assert.True(t, u.manifest.Complete)
			assert.Contains(t, string(u.files["data/invoice.csv"]), "Jan de Vries")
		})
	}
}

func TestNewArchiveRefusesBadOptions(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	require.NoError(t, err)
	cases := []struct {
		name    string
		subject privacy.SubjectID
		opts    export.ArchiveOptions
	}{
		{"an empty subject is refused", "", export.ArchiveOptions{}},
		{"an unknown format is refused", subject, export.ArchiveOptions{Formats: []export.Format{"pdf"}}},
		{"a format asked twice is refused", subject, export.ArchiveOptions{Formats: []export.Format{export.CSV, export.CSV}}},
		{"an empty list of formats is refused", subject, export.ArchiveOptions{Formats: []export.Format{}}},
		{"recipients and a passphrase together are refused", subject, export.ArchiveOptions{Recipients: []age.Recipient{id.Recipient()}, Passphrase: "x"}},
		{"a work factor below the minimum is refused", subject, export.ArchiveOptions{Passphrase: "x", WorkFactor: 5}},
		{"a work factor above the maximum is refused", subject, export.ArchiveOptions{Passphrase: "x", WorkFactor: 30}},
		{"an unknown delimiter is refused", subject, export.ArchiveOptions{Options: export.Options{Delimiter: '|'}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := export.NewArchive(io.Discard, tc.subject, &tc.opts)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
}

func TestArchiveFileNamesAreSafeAndUnique(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	a, err := export.NewArchive(&buf, subject, &export.ArchiveOptions{Formats: []export.Format{export.JSON}})
	require.NoError(t, err)
	for _, cat := range []privacy.Category{"../etc/passwd", "Invoice", "invoice", "nota's", ""} {
		recs := []privacy.Record{{Ref: privacy.Ref{Category: cat, ID: "1"}, Subject: subject}}
		err := a.Add(ctx, cat, all(recs))
		if cat == "" {
			assert.ErrorIs(t, err, privacy.ErrInvalid)
			continue
		}
		require.NoError(t, err)
	}
	require.NoError(t, a.Close())
	u := unpack(t, buf.Bytes())
	var paths []string
	for _, f := range u.manifest.Files {
		paths = append(paths, f.Path)
	}
	assert.Equal(t, []string{"data/_._etc_passwd.json", "data/Invoice.json", "data/invoice-2.json", "data/nota_s.json"}, paths)
}

func TestArchiveRawModeIsRecorded(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	a, err := export.NewArchive(&buf, subject, &export.ArchiveOptions{Options: export.Options{Raw: true, Delimiter: ';'}, Formats: []export.Format{export.CSV}})
	require.NoError(t, err)
	recs := probeRecords()
	require.NoError(t, a.Add(ctx, invoices, all(recs)))
	require.NoError(t, a.Close())
	u := unpack(t, buf.Bytes())
	assert.Equal(t, export.CellsRaw, u.manifest.Cells)
	assert.Equal(t, ";", u.manifest.CSV.Delimiter)
	assert.Contains(t, string(u.files["index.html"]), "written exactly as")
	cols, err := u.manifest.Files[0].FieldColumns()
	require.NoError(t, err)
	got := collect(t, export.ReadCSV(ctx, bytes.NewReader(u.files["data/invoice.csv"]), invoices, cols, u.manifest.ReadOptions()))
	assert.Empty(t, cmp.Diff(recs, got, cmpopts.EquateEmpty()), "the recorded mode reads the archive back exactly")
}

func TestArchiveWithoutCategories(t *testing.T) {
	var buf bytes.Buffer
	a, err := export.NewArchive(&buf, subject, nil)
	require.NoError(t, err)
	require.NoError(t, a.Close())
	u := unpack(t, buf.Bytes())
	assert.True(t, u.manifest.Complete, "a subject with no data gets a complete, empty export")
	assert.Contains(t, string(u.files["manifest.json"]), `"files": []`)
	assert.Contains(t, string(u.files["index.html"]), "No retention information")
}
