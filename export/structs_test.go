package export_test

import (
	"bytes"
	"context"
	"iter"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// booking is a host's own struct, exported through its gocsv tags.
type booking struct {
	ID       string  `csv:"booking_id"`
	Guest    string  `csv:"guest"`
	Nights   int     `csv:"nights"`
	Balance  float64 `csv:"balance"`
	Paid     bool    `csv:"paid"`
	Remark   string  `csv:"remark"`
	Internal string  `csv:"-"`
}

func bookings() []booking {
	return []booking{
		{ID: "b1", Guest: "Jan de Vries", Nights: 3, Balance: -120.5, Paid: false, Remark: "Late, \"very\" late\nsecond line"},
		{ID: "=b2", Guest: "Zoë Ærø", Nights: -1, Balance: 0, Paid: true, Remark: "=HYPERLINK(\"x\")"},
		{ID: "b3", Guest: "'s-Hertogenbosch", Nights: 0, Balance: 1e-7, Remark: "'=already"},
		{ID: "b4", Guest: "@handle", Remark: "-5"},
		{ID: "b5", Guest: "+31 6 1234", Remark: ""},
	}
}

func seqOf[T any](vs []T) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for _, v := range vs {
			if !yield(v, nil) {
				return
			}
		}
	}
}

func TestStructsRoundTrip(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name  string
		opts  export.Options
		ropts export.ReadOptions
	}{
		{"structs with the defence read back equal", export.Options{}, export.ReadOptions{}},
		{"raw structs read back equal", export.Options{Raw: true}, export.ReadOptions{Raw: true}},
		{"structs with semicolons and a byte order mark read back equal", export.Options{Delimiter: ';', BOM: true}, export.ReadOptions{Delimiter: ';'}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := export.WriteStructs(ctx, &buf, seqOf(bookings()), &tc.opts)
			require.NoError(t, err)
			assert.Equal(t, int64(5), n)
			var got []booking
			for b, err := range export.ReadStructs[booking](ctx, bytes.NewReader(buf.Bytes()), &tc.ropts) {
				require.NoError(t, err)
				got = append(got, b)
			}
			assert.Empty(t, cmp.Diff(bookings(), got))
		})
	}
}

func TestStructsDefence(t *testing.T) {
	var buf bytes.Buffer
	_, err := export.WriteStructs(context.Background(), &buf, seqOf(bookings()), nil)
	require.NoError(t, err)
	lines := strings.Split(buf.String(), "\r\n")
	require.GreaterOrEqual(t, len(lines), 6)
	cases := []struct {
		name string
		line int
		want string
	}{
		{"the header comes from the struct tags", 0, "booking_id,guest,nights,balance,paid,remark"},
		{"a formula gets an apostrophe and a typed negative does not", 2, `'=b2,Zoë Ærø,-1,0,true,"'=HYPERLINK(""x"")"`},
		{"an apostrophe already there is counted", 3, "b3,'s-Hertogenbosch,0,0.0000001,false,''=already"},
		{"a decimal number in a string is left alone", 4, "b4,'@handle,0,0,false,-5"},
		{"a leading plus that is not a number gets an apostrophe", 5, `b5,'+31 6 1234,0,0,false,""`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, lines[tc.line])
		})
	}
}

func TestStructsRefuse(t *testing.T) {
	ctx := context.Background()
	t.Run("a type that is not a struct is refused", func(t *testing.T) {
		_, err := export.WriteStructs(ctx, &bytes.Buffer{}, seqOf([]int{1}), nil)
		assert.ErrorIs(t, err, privacy.ErrInvalid)
		for _, err := range export.ReadStructs[string](ctx, strings.NewReader("a\r\n"), nil) {
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		}
	})
	t.Run("a cell that does not fit its field is refused without quoting it", func(t *testing.T) {
		in := "booking_id,guest,nights\r\nb1,x," + secret + "\r\n"
		var errs []error
		for _, err := range export.ReadStructs[booking](ctx, strings.NewReader(in), nil) {
			errs = append(errs, err)
		}
		require.Len(t, errs, 1)
		assert.ErrorIs(t, errs[0], privacy.ErrInvalid)
		assert.NotContains(t, errs[0].Error(), secret)
	})
	t.Run("an empty input has no header row", func(t *testing.T) {
		for _, err := range export.ReadStructs[booking](ctx, strings.NewReader(""), nil) {
			assert.ErrorIs(t, err, privacy.ErrInvalid)
		}
	})
	t.Run("pointers to structs are written and read", func(t *testing.T) {
		var buf bytes.Buffer
		b := bookings()
		_, err := export.WriteStructs(ctx, &buf, seqOf([]*booking{&b[0], &b[1]}), nil)
		require.NoError(t, err)
		var got []*booking
		for p, err := range export.ReadStructs[*booking](ctx, &buf, nil) {
			require.NoError(t, err)
			got = append(got, p)
		}
		assert.Empty(t, cmp.Diff([]*booking{&b[0], &b[1]}, got))
	})
	t.Run("reading stops when the consumer stops", func(t *testing.T) {
		var buf bytes.Buffer
		_, err := export.WriteStructs(ctx, &buf, seqOf(bookings()), nil)
		require.NoError(t, err)
		n := 0
		for _, err := range export.ReadStructs[booking](ctx, &buf, nil) {
			require.NoError(t, err)
			n++
			break
		}
		assert.Equal(t, 1, n)
	})
	t.Run("many rows are written in batches", func(t *testing.T) {
		many := make([]booking, 1000)
		for i := range many {
			many[i] = bookings()[i%5]
		}
		var buf bytes.Buffer
		n, err := export.WriteStructs(ctx, &buf, seqOf(many), nil)
		require.NoError(t, err)
		assert.Equal(t, int64(1000), n)
		got := 0
		for _, err := range export.ReadStructs[booking](ctx, &buf, nil) {
			require.NoError(t, err)
			got++
		}
		assert.Equal(t, 1000, got)
	})
}
