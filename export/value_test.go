package export

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInjectionPrefix(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want bool
	}{
		{"equals sign starts a formula", "=1+1", true},
		{"plus starts a formula", "+1", true},
		{"minus starts a formula", "-1", true},
		{"at sign starts a formula", "@SUM(A1)", true},
		{"tab is a trigger", "\tx", true},
		{"carriage return is a trigger", "\rx", true},
		{"line feed is a trigger", "\nx", true},
		{"NUL is a trigger", "\x00x", true},
		{"an apostrophe before a trigger is counted", "'=x", true},
		{"apostrophes before a trigger are counted", "'''@x", true},
		{"an apostrophe before text is left alone", "'s-Hertogenbosch", false},
		{"apostrophes alone are left alone", "''", false},
		{"the empty string is left alone", "", false},
		{"a trigger inside the text is left alone", "a=b", false},
		{"a space before a trigger is left alone", " =x", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.want, needsPrefix(tc.in))
			out := tc.in
			if needsPrefix(tc.in) {
				out = "'" + tc.in
			}
			assert.Equal(t, tc.in, unprefix(out), "the prefix is undone exactly")
		})
	}
}

func FuzzInjectionPrefixIsReversible(f *testing.F) {
	for _, s := range []string{"", "'", "'=", "=", "''@", "-1", "'s", "\x00", "'\t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := s
		if needsPrefix(s) {
			out = "'" + s
		}
		if got := unprefix(out); got != s {
			t.Fatalf("unprefix(prefix(%q)) = %q", s, got)
		}
	})
}

func TestIsDecimal(t *testing.T) {
	cases := []struct {
		in   string
		want bool
	}{
		{"-5", true}, {"+3.5", true}, {"1e-7", true}, {"0.0000001", true}, {"-.5", true}, {"12.", true},
		{"-", false}, {"+", false}, {"", false}, {"-1+1", false}, {"1e", false}, {"=1", false}, {"- 1", false}, {"0x10", false}, {"Inf", false},
	}
	for _, tc := range cases {
		t.Run("decimal "+tc.in, func(t *testing.T) {
			assert.Equal(t, tc.want, isDecimal(tc.in))
		})
	}
}

func TestAppendTime(t *testing.T) {
	cases := []time.Time{
		time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 23, 59, 59, 999999999, time.UTC),
		time.Date(2000, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1969, 12, 31, 23, 59, 59, 500000000, time.UTC),
		time.Date(1900, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1600, 2, 29, 12, 0, 0, 120000000, time.UTC),
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(0, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2025, 1, 1, 12, 0, 0, 1, time.FixedZone("CET", 3600)),
		time.Date(2024, 12, 31, 23, 0, 0, 0, time.FixedZone("minus", -5*3600)),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 10000 {
		cases = append(cases, time.Unix(r.Int64N(253402300799+62167219200)-62167219200, r.Int64N(1e9)).In(time.FixedZone("x", int(r.Int64N(50000))-25000)))
	}
	for _, tc := range cases {
		got, e := appendTime(nil, tc)
		require.Empty(t, e, "%v", tc)
		require.Equal(t, tc.UTC().Format(time.RFC3339Nano), string(got))
	}
	for _, bad := range []time.Time{time.Date(-1, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-500, 1, 1, 0, 0, 0, 0, time.UTC)} {
		_, e := appendTime(nil, bad)
		assert.Equal(t, errYear, e, "%v", bad)
	}
}
