package export

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// jsonRecord is one record as the JSON and NDJSON formats write it.
type jsonRecord struct {
	Category   string            `json:"category"`
	ID         string            `json:"id"`
	Subject    string            `json:"subject"`
	Created    *string           `json:"created"`
	Restricted bool              `json:"restricted"`
	Events     map[string]string `json:"events"`
	Fields     []jsonField       `json:"fields"`
}

type jsonField struct {
	Name  string          `json:"name"`
	Class string          `json:"class"`
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// record turns j into a privacy.Record.
func (j *jsonRecord) record(op string) (privacy.Record, error) {
	r := privacy.Record{
		Ref:        privacy.Ref{Category: privacy.Category(j.Category), ID: j.ID},
		Subject:    privacy.SubjectID(j.Subject),
		Restricted: j.Restricted,
	}
	bad := func(field, msg string) (privacy.Record, error) {
		return privacy.Record{}, invalid(op, r.Ref, field, msg)
	}
	if j.Created != nil {
		t, err := parseTime(*j.Created)
		if err != nil {
			return bad("", "creation time is "+err.Error())
		}
		r.Created = t
	}
	if len(j.Events) > 0 {
		r.Events = make(map[string]time.Time, len(j.Events))
		for k, v := range j.Events {
			t, err := parseTime(v)
			if err != nil {
				return bad("", fmt.Sprintf("event %q: %v", k, err))
			}
			r.Events[k] = t
		}
	}
	if len(j.Fields) > 0 {
		r.Fields = make([]privacy.Field, len(j.Fields))
	}
	for i, jf := range j.Fields {
		f := &r.Fields[i]
		f.Name = jf.Name
		c, ok := parseClass(jf.Class)
		if !ok {
			return bad(jf.Name, "unknown class")
		}
		f.Class = c
		v, err := parseJSONValue(jf.Type, jf.Value)
		if err != nil {
			return bad(jf.Name, err.Error())
		}
		f.Value = v
	}
	return r, nil
}

// parseJSONValue reads a field value of the named type.
func parseJSONValue(typ string, raw json.RawMessage) (any, error) {
	isNull := len(raw) == 0 || string(raw) == "null"
	if typ == "null" {
		if !isNull {
			return nil, errors.New("type null with a value")
		}
		return nil, nil
	}
	if isNull {
		return nil, fmt.Errorf("type %s without a value", typ)
	}
	switch typ {
	case "string":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("value is not a string")
		}
		return s, nil
	case "int":
		v, err := strconv.ParseInt(string(raw), 10, 64)
		if err != nil {
			return nil, errors.New("value is not an int")
		}
		return v, nil
	case "float":
		v, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return nil, errors.New("value is not a float")
		}
		return v, nil
	case "bool":
		switch string(raw) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, errors.New("value is not a bool")
	case "time":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, errors.New("value is not a time")
		}
		return parseTime(s)
	}
	return nil, fmt.Errorf("unknown type %q", typ)
}

// ReadJSON walks the records of a JSON document that [Encoder.Encode] wrote.
// It decodes one record at a time. Records read back equal to what was
// written, except that empty Events and Fields come back nil.
//
// A document of another type or of a newer version than [DocumentVersion]
// is refused. After an error ReadJSON yields a [*privacy.Error] once and
// stops.
func ReadJSON(ctx context.Context, r io.Reader) iter.Seq2[privacy.Record, error] {
	const op = "export.ReadJSON"
	return func(yield func(privacy.Record, error) bool) {
		dec := json.NewDecoder(r)
		fail := func(msg string) {
			yield(privacy.Record{}, invalid(op, privacy.Ref{}, "", msg))
		}
		delim := func(want json.Delim) bool {
			t, err := dec.Token()
			if err != nil || t != want {
				fail(fmt.Sprintf("malformed document at offset %d: want %q", dec.InputOffset(), string(want)))
				return false
			}
			return true
		}
		if !delim('{') {
			return
		}
		var seenType bool
		for dec.More() {
			t, err := dec.Token()
			if err != nil {
				fail(fmt.Sprintf("malformed document at offset %d", dec.InputOffset()))
				return
			}
			switch t {
			case "format":
				var s string
				if dec.Decode(&s) != nil || s != DocumentType {
					fail("not a " + DocumentType + " document")
					return
				}
				seenType = true
			case "version":
				var v int
				if dec.Decode(&v) != nil || v < 1 || v > DocumentVersion {
					fail(fmt.Sprintf("document version not supported (this reader knows up to %d)", DocumentVersion))
					return
				}
			case "records":
				if !seenType {
					fail("not a " + DocumentType + " document")
					return
				}
				if !delim('[') {
					return
				}
				for n := 0; dec.More(); n++ {
					if n&255 == 0 {
						if err := ctx.Err(); err != nil {
							yield(privacy.Record{}, err)
							return
						}
					}
					var j jsonRecord
					if err := dec.Decode(&j); err != nil {
						fail(fmt.Sprintf("record %d: malformed JSON", n+1))
						return
					}
					rec, err := j.record(op)
					if !yield(rec, err) || err != nil {
						return
					}
				}
				if !delim(']') {
					return
				}
			default:
				var skip json.RawMessage
				if dec.Decode(&skip) != nil {
					fail(fmt.Sprintf("malformed document at offset %d", dec.InputOffset()))
					return
				}
			}
		}
		if delim('}') && !seenType {
			fail("not a " + DocumentType + " document")
		}
	}
}

// ReadNDJSON walks the records of an NDJSON file that [Encoder.Encode]
// wrote, as [ReadJSON] does for a JSON document.
func ReadNDJSON(ctx context.Context, r io.Reader) iter.Seq2[privacy.Record, error] {
	const op = "export.ReadNDJSON"
	return func(yield func(privacy.Record, error) bool) {
		dec := json.NewDecoder(r)
		for n := 1; ; n++ {
			if n&255 == 0 {
				if err := ctx.Err(); err != nil {
					yield(privacy.Record{}, err)
					return
				}
			}
			var j jsonRecord
			err := dec.Decode(&j)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(privacy.Record{}, invalid(op, privacy.Ref{}, "", fmt.Sprintf("line %d: malformed JSON", n)))
				return
			}
			rec, err := j.record(op)
			if !yield(rec, err) || err != nil {
				return
			}
		}
	}
}
