package main

import (
	"strings"
	"testing"
)

// FuzzParsePolicy: any file either gives a policy or an error that names the
// file and a line; never a panic.
func FuzzParsePolicy(f *testing.F) {
	f.Add(`{"rules": [{"preset": "nl-fiscal", "category": "invoice", "fields": ["number"]}]}`)
	f.Add("{\n \"rules\": [\n  {\"name\": \"c\", \"category\": \"contact\", \"delete\": \"P2Y\", \"anchor\": {\"event\": \"contract.ended\", \"round\": \"year\"}}\n ]\n}")
	f.Add(`{"rules": [{"name": "a", "category": "c", "keep": "P1Y", "anchor": {"round": "financial-year", "year_end": "06-30"}, "mode": "compliance"}]}`)
	f.Add(`{"rules": []}`)
	f.Add(`[`)
	f.Fuzz(func(t *testing.T, in string) {
		p, err := parsePolicy("policy.json", []byte(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "policy.json:") {
				t.Fatalf("error does not name the file and line: %v", err)
			}
			return
		}
		if p == nil {
			t.Fatal("no policy and no error")
		}
	})
}
