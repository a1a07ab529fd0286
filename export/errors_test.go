package export_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// secret is in every bad value: no error text may contain it.
const secret = "s3cr3t"

// withValue returns the golden records with one field of the second replaced.
func withValue(field int, v any) []privacy.Record {
	recs := goldenRecords()
	recs[1].Fields[field].Value = v
	return recs
}

func TestEncodeErrorsNameRecordAndField(t *testing.T) {
	ctx := context.Background()
	type badValue struct{ Secret string }
	cases := []struct {
		name    string
		formats []export.Format
		field   int // index into the invoice columns
		value   any
		msg     string
	}{
		{"a value of an unsupported type is refused", export.Formats(), 6, badValue{secret}, "unsupported type"},
		{"an int that is not int64 is refused", export.Formats(), 6, 424242, "unsupported type int"},
		{"invalid UTF-8 is refused", export.Formats(), 6, secret + "\xff\xfe", "UTF-8"},
		{"a character XML cannot carry is refused in XML and XLSX", []export.Format{export.XML, export.XLSX}, 6, secret + "\x01", "XML cannot carry"},
		{"U+FFFF is refused in XML and XLSX", []export.Format{export.XML, export.XLSX}, 6, secret + "\uffff", "XML cannot carry"},
		{"NaN is refused", []export.Format{export.CSV, export.JSON, export.NDJSON, export.XML, export.XLSX, export.HTML}, 3, math.NaN(), "NaN"},
		{"infinity is refused", []export.Format{export.JSON, export.XML}, 3, math.Inf(-1), "NaN or infinite"},
		{"a zero time is refused", []export.Format{export.CSV, export.JSON, export.NDJSON, export.XML, export.XLSX, export.HTML}, 5, time.Time{}, "zero"},
		{"a time past year 9999 is refused", []export.Format{export.CSV, export.NDJSON, export.HTML, export.JSON, export.XML}, 5, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), "9999"},
		{"a string too long for an XLSX cell is refused", []export.Format{export.XLSX}, 6, secret + strings.Repeat("x", 40000), "XLSX cell"},
	}
	for _, tc := range cases {
		for _, f := range tc.formats {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				enc, err := export.NewEncoder(nil)
				require.NoError(t, err)
				recs := withValue(tc.field, tc.value)
				_, err = enc.Encode(ctx, io.Discard, f, invoices, all(recs))
				var perr *privacy.Error
				require.ErrorAs(t, err, &perr)
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				assert.Equal(t, recs[1].Ref, perr.Ref)
				assert.Equal(t, invoiceColumns()[tc.field].Name, perr.Field)
				assert.Contains(t, err.Error(), tc.msg)
				assert.NotContains(t, err.Error(), secret)
				assert.NotContains(t, err.Error(), "424242")
			})
		}
	}
}

func TestEncodeErrorsInTables(t *testing.T) {
	ctx := context.Background()
	declared := map[privacy.Category][]export.Column{invoices: invoiceColumns()}
	cases := []struct {
		name  string
		opts  export.Options
		edit  func(recs []privacy.Record)
		field string
		msg   string
	}{
		{"a field outside the inferred columns is refused", export.Options{}, func(recs []privacy.Record) {
			recs[1].Fields = append(recs[1].Fields, privacy.Field{Name: "iban", Value: secret})
		}, "iban", "not a column"},
		{"a field outside the declared columns is refused", export.Options{Columns: declared}, func(recs []privacy.Record) {
			recs[0].Fields = append(recs[0].Fields, privacy.Field{Name: "iban", Value: secret})
		}, "iban", "not a column"},
		{"a value of another kind than its column is refused", export.Options{}, func(recs []privacy.Record) {
			recs[1].Fields[2].Value = secret
		}, "amount_cents", "kind string in a column of kind int"},
		{"a field of another class than its column is refused", export.Options{}, func(recs []privacy.Record) {
			recs[2].Fields[0].Class = privacy.Special
		}, "customer", "class special"},
		{"a field named twice is refused", export.Options{}, func(recs []privacy.Record) {
			recs[1].Fields[1].Name = "customer"
		}, "customer", "duplicate"},
	}
	for _, tc := range cases {
		for _, f := range []export.Format{export.CSV, export.XLSX} {
			t.Run(tc.name+"/"+string(f), func(t *testing.T) {
				enc, err := export.NewEncoder(&tc.opts)
				require.NoError(t, err)
				recs := goldenRecords()
				tc.edit(recs)
				_, err = enc.Encode(ctx, io.Discard, f, invoices, all(recs))
				var perr *privacy.Error
				require.ErrorAs(t, err, &perr)
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				assert.Equal(t, invoices, perr.Ref.Category)
				assert.NotEmpty(t, perr.Ref.ID)
				assert.Equal(t, tc.field, perr.Field)
				assert.Contains(t, err.Error(), tc.msg)
				assert.NotContains(t, err.Error(), secret)
			})
		}
	}
}

// failAfter accepts n bytes, then fails every write.
type failAfter struct{ n int }

func (w *failAfter) Write(p []byte) (int, error) {
	if len(p) > w.n {
		k := w.n
		w.n = 0
		return k, errDisk
	}
	w.n -= len(p)
	return len(p), nil
}

func TestEncodeFailingWriterNamesTheRecord(t *testing.T) {
	ctx := context.Background()
	many := make([]privacy.Record, 2000)
	for i := range many {
		many[i] = goldenRecords()[i%3]
		many[i].Ref.ID = "r" + strings.Repeat("0", 3) + string(rune('a'+i%26))
	}
	for _, f := range []export.Format{export.CSV, export.JSON, export.NDJSON, export.XML, export.HTML} {
		t.Run("a failing writer names the record being written/"+string(f), func(t *testing.T) {
			enc, err := export.NewEncoder(nil)
			require.NoError(t, err)
			_, err = enc.Encode(ctx, &failAfter{n: 1000}, f, invoices, all(many))
			var perr *privacy.Error
			require.ErrorAs(t, err, &perr)
			assert.ErrorIs(t, err, errDisk)
			assert.Equal(t, invoices, perr.Ref.Category)
			assert.NotEmpty(t, perr.Ref.ID)
			assert.Contains(t, err.Error(), "writing "+string(f)+" failed")
		})
	}
	t.Run("a failing writer is reported for xlsx", func(t *testing.T) {
		enc, err := export.NewEncoder(nil)
		require.NoError(t, err)
		_, err = enc.Encode(ctx, &failAfter{n: 1000}, export.XLSX, invoices, all(many))
		assert.ErrorIs(t, err, errDisk)
	})
}

func TestEncodeStreamErrors(t *testing.T) {
	ctx := context.Background()
	enc, err := export.NewEncoder(nil)
	require.NoError(t, err)
	t.Run("an error from the stream is returned as it is", func(t *testing.T) {
		errStore := errors.New("store failed")
		_, err := enc.Encode(ctx, io.Discard, export.CSV, invoices, failing(goldenRecords(), errStore))
		assert.Equal(t, errStore, err)
	})
	t.Run("a cancelled context is returned as it is", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_, err := enc.Encode(cctx, io.Discard, export.JSON, invoices, all(goldenRecords()))
		assert.Equal(t, context.Canceled, err)
	})
	t.Run("a record of another category is refused", func(t *testing.T) {
		recs := goldenRecords()
		recs[2].Ref.Category = "contact"
		_, err := enc.Encode(ctx, io.Discard, export.NDJSON, invoices, all(recs))
		assert.ErrorIs(t, err, privacy.ErrInvalid)
	})
	t.Run("an unknown format is refused", func(t *testing.T) {
		_, err := enc.Encode(ctx, io.Discard, "pdf", invoices, all(goldenRecords()))
		assert.ErrorIs(t, err, privacy.ErrInvalid)
	})
	t.Run("an empty category is refused", func(t *testing.T) {
		_, err := enc.Encode(ctx, io.Discard, export.CSV, "", all(goldenRecords()))
		assert.ErrorIs(t, err, privacy.ErrInvalid)
	})
	t.Run("encoding stops when the stream's consumer stops early", func(t *testing.T) {
		// The encoder ranges once and does not resume a finished stream.
		calls := 0
		seq := func(yield func(privacy.Record, error) bool) {
			for _, r := range goldenRecords() {
				calls++
				if !yield(r, nil) {
					return
				}
			}
		}
		_, err := enc.Encode(ctx, io.Discard, export.CSV, invoices, seq)
		require.NoError(t, err)
		assert.Equal(t, 3, calls)
	})
}

func TestNewEncoderRefusesBadColumns(t *testing.T) {
	cases := []struct {
		name string
		cols []export.Column
	}{
		{"an unnamed column is refused", []export.Column{{Kind: export.KindInt}}},
		{"a column named twice is refused", []export.Column{{Name: "a"}, {Name: "a"}}},
		{"a column of unknown kind is refused", []export.Column{{Name: "a", Kind: 42}}},
		{"a column of unknown class is refused", []export.Column{{Name: "a", Class: 9}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := export.NewEncoder(&export.Options{Columns: map[privacy.Category][]export.Column{invoices: tc.cols}})
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		})
	}
}

func TestReadErrorsNeverQuoteValues(t *testing.T) {
	ctx := context.Background()
	cols := []export.Column{{Name: "n", Kind: export.KindInt}}
	cases := []struct {
		name string
		read func() error
	}{
		{"a csv cell that is not its column's kind is refused", func() error {
			in := "Record ID,Subject,Created,Restricted,Events,n\r\n1,s,,false,," + secret + "\r\n"
			for _, err := range export.ReadCSV(ctx, strings.NewReader(in), invoices, cols, nil) {
				return err
			}
			return nil
		}},
		{"a csv row of the wrong width is refused", func() error {
			in := "a,b,c,d,e,n\r\n1,s,,false\r\n"
			for _, err := range export.ReadCSV(ctx, strings.NewReader(in), invoices, cols, nil) {
				return err
			}
			return nil
		}},
		{"an unclosed quote is refused", func() error {
			in := "a,b,c,d,e,n\r\n1,\"s" + secret + ",,false,,1\r\n"
			for _, err := range export.ReadCSV(ctx, strings.NewReader(in), invoices, cols, nil) {
				return err
			}
			return nil
		}},
		{"a json value of the wrong type is refused", func() error {
			in := `{"format":"steward-export","version":1,"category":"invoice","records":[
{"category":"invoice","id":"1","subject":"s","created":null,"restricted":false,"events":{},"fields":[{"name":"n","class":"plain","type":"int","value":"` + secret + `"}]}
]}`
			for _, err := range export.ReadJSON(ctx, strings.NewReader(in)) {
				return err
			}
			return nil
		}},
		{"a json document of a newer version is refused", func() error {
			in := `{"format":"steward-export","version":99,"records":[]}`
			for _, err := range export.ReadJSON(ctx, strings.NewReader(in)) {
				return err
			}
			return nil
		}},
		{"a document of another type is refused", func() error {
			for _, err := range export.ReadJSON(ctx, strings.NewReader(`{"records":[]}`)) {
				return err
			}
			return nil
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.read()
			require.Error(t, err)
			assert.ErrorIs(t, err, privacy.ErrInvalid)
			assert.NotContains(t, err.Error(), secret)
		})
	}
}

func TestReadersStopWhenTheConsumerStops(t *testing.T) {
	ctx := context.Background()
	recs := goldenRecords()
	csvData, sum := encode(t, nil, export.CSV, recs)
	jsonData, _ := encode(t, nil, export.JSON, recs)
	ndData, _ := encode(t, nil, export.NDJSON, recs)
	seqs := map[string]func() func(func(privacy.Record, error) bool){
		"csv": func() func(func(privacy.Record, error) bool) {
			return export.ReadCSV(ctx, bytes.NewReader(csvData), invoices, sum.Columns, nil)
		},
		"json":   func() func(func(privacy.Record, error) bool) { return export.ReadJSON(ctx, bytes.NewReader(jsonData)) },
		"ndjson": func() func(func(privacy.Record, error) bool) { return export.ReadNDJSON(ctx, bytes.NewReader(ndData)) },
	}
	for name, seq := range seqs {
		t.Run("reading stops after break/"+name, func(t *testing.T) {
			n := 0
			for r, err := range seq() {
				require.NoError(t, err)
				assert.Equal(t, recs[0].Ref, r.Ref)
				n++
				break
			}
			assert.Equal(t, 1, n)
		})
	}
}
