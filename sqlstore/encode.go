package sqlstore

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// A record's named events and fields are kept in one binary column, body, so
// that reading a record for a sweep is one row and one decode, and deleting
// it is one row. The encoding is versioned by its first byte:
//
//	body    = version(1) events fields
//	events  = uvarint(n) { str(name) varint(unix microseconds) }   sorted by name
//	fields  = uvarint(n) { str(name) class(1) kind(1) value }       in record order
//	str     = uvarint(len) bytes
//	value   = nil: nothing; string: str; int64: varint; float64: 8 bytes,
//	          little-endian IEEE 754 bits; bool: 1 byte; time: varint(unix microseconds)
//
// Floats keep their exact bits; times are kept in UTC at microsecond
// precision, as the audit log keeps them.
const bodyVersion = 1

const (
	kindNil byte = iota
	kindString
	kindInt
	kindFloat
	kindBool
	kindTime
)

// errBody is wrapped by every decoding error: the stored bytes are not a body
// this version of the package wrote.
var errBody = errors.New("malformed record body")

// appendBody appends the encoding of r's events and fields to dst. The record
// must have passed privacy.Record.Validate.
func appendBody(dst []byte, r *privacy.Record) []byte {
	dst = append(dst, bodyVersion)
	dst = binary.AppendUvarint(dst, uint64(len(r.Events)))
	if len(r.Events) > 0 {
		names := make([]string, 0, len(r.Events))
		for name := range r.Events {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			dst = appendStr(dst, name)
			dst = binary.AppendVarint(dst, r.Events[name].UnixMicro())
		}
	}
	dst = binary.AppendUvarint(dst, uint64(len(r.Fields)))
	for _, f := range r.Fields {
		dst = appendStr(dst, f.Name)
		dst = append(dst, byte(f.Class))
		switch v := f.Value.(type) {
		case nil:
			dst = append(dst, kindNil)
		case string:
			dst = appendStr(append(dst, kindString), v)
		case int64:
			dst = binary.AppendVarint(append(dst, kindInt), v)
		case float64:
			dst = binary.LittleEndian.AppendUint64(append(dst, kindFloat), math.Float64bits(v))
		case bool:
			b := byte(0)
			if v {
				b = 1
			}
			dst = append(dst, kindBool, b)
		case time.Time:
			dst = binary.AppendVarint(append(dst, kindTime), v.UnixMicro())
		default:
			// Validate rejects every other type; reaching here is a bug.
			panic(fmt.Sprintf("sqlstore: field value of type %T passed validation", v))
		}
	}
	return dst
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

// fieldSlab hands out the Fields of the records of one page from shared
// backing arrays, one allocation for many records. Each record's slice has
// its own capacity, so appending to one never reaches its neighbour.
type fieldSlab []privacy.Field

func (f *fieldSlab) take(n int) []privacy.Field {
	if cap(*f)-len(*f) < n {
		*f = make([]privacy.Field, 0, max(n, 512))
	}
	k := len(*f)
	*f = (*f)[:k+n]
	return (*f)[k : k+n : k+n]
}

// decodeBody sets r's Events and Fields from b. Events is nil when the
// record has none. Every string of the record (names and values) is a piece
// of one copy of b, so a record costs one string allocation; Fields come
// from slab when it is not nil.
func decodeBody(b []byte, r *privacy.Record, slab *fieldSlab) error {
	d := bodyDecoder{b: b, s: string(b)}
	if v := d.u8(); v != bodyVersion {
		return fmt.Errorf("%w: version %d", errBody, v)
	}
	n := d.count()
	if n > 0 {
		r.Events = make(map[string]time.Time, n)
		for range n {
			name := d.str()
			r.Events[name] = time.UnixMicro(d.varint()).UTC()
		}
	}
	n = d.count()
	if n > 0 {
		if slab != nil {
			r.Fields = slab.take(n)
		} else {
			r.Fields = make([]privacy.Field, n)
		}
		for i := range r.Fields {
			f := &r.Fields[i]
			f.Name = d.str()
			f.Class = privacy.Class(d.u8())
			switch k := d.u8(); k {
			case kindNil:
			case kindString:
				f.Value = d.str()
			case kindInt:
				f.Value = d.varint()
			case kindFloat:
				f.Value = math.Float64frombits(d.u64())
			case kindBool:
				f.Value = d.u8() != 0
			case kindTime:
				f.Value = time.UnixMicro(d.varint()).UTC()
			default:
				if d.err == nil {
					d.err = fmt.Errorf("%w: value kind %d", errBody, k)
				}
			}
		}
	}
	if d.err == nil && d.i < len(d.b) {
		d.err = fmt.Errorf("%w: %d trailing bytes", errBody, len(d.b)-d.i)
	}
	return d.err
}

// decodeEvents sets r's Events from b and leaves its Fields nil, reading no
// further than the events: what a sweep decides on.
func decodeEvents(b []byte, r *privacy.Record) error {
	d := bodyDecoder{b: b}
	if v := d.u8(); v != bodyVersion {
		return fmt.Errorf("%w: version %d", errBody, v)
	}
	if n := d.count(); n > 0 {
		d.s = string(b)
		r.Events = make(map[string]time.Time, n)
		for range n {
			name := d.str()
			r.Events[name] = time.UnixMicro(d.varint()).UTC()
		}
	}
	return d.err
}

// bodyDecoder reads a body from offset i of b; s is the same bytes as a
// string, which strings are cut from. After the first error every read
// returns a zero value and err keeps that error.
type bodyDecoder struct {
	b   []byte
	s   string
	i   int
	err error
}

func (d *bodyDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", errBody, what)
	}
	d.i = len(d.b)
}

func (d *bodyDecoder) u8() byte {
	if d.i >= len(d.b) {
		d.fail("byte")
		return 0
	}
	d.i++
	return d.b[d.i-1]
}

func (d *bodyDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b[d.i:])
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.i += n
	return v
}

func (d *bodyDecoder) varint() int64 {
	v, n := binary.Varint(d.b[d.i:])
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.i += n
	return v
}

// count reads a number of items, each at least one byte long, so that a
// corrupt count cannot make the decoder allocate more than the body holds.
func (d *bodyDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *bodyDecoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)-d.i) {
		d.fail("string")
		return ""
	}
	s := d.s[d.i : d.i+int(n)]
	d.i += int(n)
	return s
}

func (d *bodyDecoder) u64() uint64 {
	if len(d.b)-d.i < 8 {
		d.fail("float")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b[d.i:])
	d.i += 8
	return v
}
