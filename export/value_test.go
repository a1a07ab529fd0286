package export

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
