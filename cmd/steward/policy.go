package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// policyFile is the JSON form of a retention policy:
//
//	{"rules": [
//	  {"preset": "nl-fiscal", "category": "invoice", "fields": ["number", "amount"]},
//	  {"name": "contact-limit", "category": "contact", "delete": "P2Y",
//	   "anchor": {"event": "contract.ended"}, "zone": "Europe/Amsterdam", "basis": "AVG art. 5(1)(e)"}
//	]}
type policyFile struct {
	Rules []json.RawMessage `json:"rules"`
}

type ruleJSON struct {
	Preset   string      `json:"preset"` // nl-fiscal, nl-real-estate, nl-oss, nl-payroll, nl-aml
	Name     string      `json:"name"`
	Category string      `json:"category"`
	Record   string      `json:"record"`
	Keep     string      `json:"keep"`   // ISO 8601 period, such as P7Y
	Delete   string      `json:"delete"` // ISO 8601 period
	Anchor   *anchorJSON `json:"anchor"`
	Fields   []string    `json:"fields"`
	Basis    string      `json:"basis"`
	Mode     string      `json:"mode"` // governance (default) or compliance
	Zone     string      `json:"zone"`
	// Preset options.
	Event      string `json:"event"`
	YearEnd    string `json:"year_end"` // MM-DD
	Governance bool   `json:"governance"`
}

type anchorJSON struct {
	Event   string `json:"event"`    // "" is the record's creation
	Round   string `json:"round"`    // date (default), year, financial-year
	YearEnd string `json:"year_end"` // MM-DD, for financial-year
}

var presets = map[string]func(privacy.Category, *retention.PresetOptions) retention.Rule{
	"nl-fiscal":      retention.DutchFiscal,
	"nl-real-estate": retention.DutchRealEstate,
	"nl-oss":         retention.DutchOSS,
	"nl-payroll":     retention.DutchPayroll,
	"nl-aml":         retention.DutchAML,
}

// loadPolicy reads a policy file. Every error names the file, the line, and
// where it can, the rule.
func loadPolicy(path string) (*retention.Policy, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("policy file %s does not exist (pass --policy FILE)", path)
		}
		return nil, err
	}
	return parsePolicy(path, data)
}

func parsePolicy(path string, data []byte) (*retention.Policy, error) {
	at := func(offset int64, format string, args ...any) error {
		return fmt.Errorf("%s:%d: %s", path, lineOf(data, offset), fmt.Sprintf(format, args...))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f policyFile
	if err := dec.Decode(&f); err != nil {
		return nil, at(jsonErrorOffset(err, dec), "%s", jsonMessage(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, at(dec.InputOffset(), "unexpected data after the policy object")
	}
	if f.Rules == nil {
		return nil, at(0, `no "rules" list`)
	}
	// Each rule's offset in the file, to name its line.
	offsets := ruleOffsets(data)
	rules := make([]retention.Rule, 0, len(f.Rules))
	for i, raw := range f.Rules {
		off := int64(0)
		if i < len(offsets) {
			off = offsets[i]
		}
		r, err := parseRule(raw)
		if err != nil {
			return nil, at(off, "rule %d: %v", i+1, err)
		}
		rules = append(rules, r)
	}
	p, err := retention.NewPolicy(rules...)
	if err != nil {
		// NewPolicy names the rule as "rule N (name)"; find N's line.
		var pe *privacy.Error
		if errors.As(err, &pe) {
			if n := ruleNumber(pe.Msg); n > 0 && n <= len(offsets) {
				return nil, at(offsets[n-1], "%s", pe.Msg)
			}
			return nil, at(0, "%s", pe.Msg)
		}
		return nil, at(0, "%v", err)
	}
	return p, nil
}

func parseRule(raw json.RawMessage) (retention.Rule, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var j ruleJSON
	if err := dec.Decode(&j); err != nil {
		return retention.Rule{}, errors.New(jsonMessage(err))
	}
	if j.Category == "" {
		return retention.Rule{}, errors.New(`"category" is required`)
	}
	if j.Preset != "" {
		preset, ok := presets[j.Preset]
		if !ok {
			return retention.Rule{}, fmt.Errorf("unknown preset %q (want nl-fiscal, nl-real-estate, nl-oss, nl-payroll or nl-aml)", j.Preset)
		}
		if j.Keep != "" || j.Delete != "" || j.Anchor != nil || j.Mode != "" || j.Zone != "" || j.Record != "" || j.Basis != "" {
			return retention.Rule{}, fmt.Errorf("preset %s takes only name, category, fields, event, year_end and governance", j.Preset)
		}
		opts := &retention.PresetOptions{Name: j.Name, Fields: j.Fields, Event: j.Event, Governance: j.Governance}
		if j.YearEnd != "" {
			md, err := parseMonthDay(j.YearEnd)
			if err != nil {
				return retention.Rule{}, err
			}
			opts.YearEnd = md
		}
		return preset(privacy.Category(j.Category), opts), nil
	}
	if j.Event != "" || j.YearEnd != "" || j.Governance {
		return retention.Rule{}, errors.New(`"event", "year_end" and "governance" belong to presets; use "anchor" and "mode"`)
	}
	r := retention.Rule{Name: j.Name, Category: privacy.Category(j.Category), Record: j.Record, Fields: j.Fields, Basis: j.Basis, Zone: j.Zone}
	var err error
	if j.Keep != "" {
		if r.Keep, err = retention.ParsePeriod(j.Keep); err != nil {
			return r, fmt.Errorf(`"keep": %v`, err)
		}
	}
	if j.Delete != "" {
		if r.Delete, err = retention.ParsePeriod(j.Delete); err != nil {
			return r, fmt.Errorf(`"delete": %v`, err)
		}
	}
	switch j.Mode {
	case "", "governance":
	case "compliance":
		r.Mode = retention.Compliance
	default:
		return r, fmt.Errorf(`"mode" %q: want governance or compliance`, j.Mode)
	}
	if a := j.Anchor; a != nil {
		r.Anchor = retention.Anchor{Event: a.Event}
		switch a.Round {
		case "", "date":
		case "year":
			r.Anchor = r.Anchor.EndOfYear()
		case "financial-year":
			var md retention.MonthDay
			if a.YearEnd != "" {
				if md, err = parseMonthDay(a.YearEnd); err != nil {
					return r, err
				}
			}
			r.Anchor = r.Anchor.EndOfFinancialYear(md)
		default:
			return r, fmt.Errorf(`anchor "round" %q: want date, year or financial-year`, a.Round)
		}
	}
	return r, nil
}

func parseMonthDay(s string) (retention.MonthDay, error) {
	t, err := time.Parse("01-02", s)
	if err != nil {
		return retention.MonthDay{}, fmt.Errorf(`year end %q: want MM-DD, such as 12-31`, s)
	}
	return retention.MonthDay{Month: t.Month(), Day: t.Day()}, nil
}

// ruleOffsets returns the byte offset of each element of the "rules" array
// (the only key a valid policy file has at the top level).
func ruleOffsets(data []byte) []int64 {
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil
		}
		if key != "rules" {
			var skip json.RawMessage
			if dec.Decode(&skip) != nil {
				return nil
			}
			continue
		}
		if t, err := dec.Token(); err != nil || t != json.Delim('[') {
			return nil
		}
		var out []int64
		for dec.More() {
			out = append(out, skipSpace(data, dec.InputOffset()))
			var raw json.RawMessage
			if dec.Decode(&raw) != nil {
				return out
			}
		}
		return out
	}
	return nil
}

func skipSpace(data []byte, off int64) int64 {
	for off < int64(len(data)) && strings.IndexByte(" \t\r\n,:", data[off]) >= 0 {
		off++
	}
	return off
}

func lineOf(data []byte, offset int64) int {
	offset = min(max(offset, 0), int64(len(data)))
	return 1 + bytes.Count(data[:offset], []byte("\n"))
}

func jsonErrorOffset(err error, dec *json.Decoder) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Offset
	}
	return dec.InputOffset()
}

func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("field %q must be %s", te.Field, te.Type)
	}
	if errors.Is(err, io.EOF) {
		return "empty file"
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "unexpected end of file"
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

// ruleNumber finds N in "rule N (name): ...".
func ruleNumber(msg string) int {
	rest, ok := strings.CutPrefix(msg, "rule ")
	if !ok {
		return 0
	}
	end := strings.IndexByte(rest, ' ')
	if end < 0 {
		return 0
	}
	n, err := strconv.Atoi(rest[:end])
	if err != nil {
		return 0
	}
	return n
}
