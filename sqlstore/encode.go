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

// decodeBody sets r's Events and Fields from b. Events is nil when the record
// has none. Field and event names are taken from names, and added to it, so
// that the records of a page share them; names may be nil.
func decodeBody(b []byte, r *privacy.Record, names map[string]string) error {
	d := bodyDecoder{b: b, names: names}
	if v := d.u8(); v != bodyVersion {
		return fmt.Errorf("%w: version %d", errBody, v)
	}
	n := d.count()
	if n > 0 {
		r.Events = make(map[string]time.Time, n)
		for range n {
			name := d.name()
			r.Events[name] = time.UnixMicro(d.varint()).UTC()
		}
	}
	n = d.count()
	if n > 0 {
		r.Fields = make([]privacy.Field, n)
		for i := range r.Fields {
			f := &r.Fields[i]
			f.Name = d.name()
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
	if d.err == nil && len(d.b) > 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", errBody, len(d.b))
	}
	return d.err
}

// bodyDecoder reads a body; after the first error every read returns a zero
// value and err keeps that error.
type bodyDecoder struct {
	b     []byte
	err   error
	names map[string]string
}

func (d *bodyDecoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", errBody, what)
	}
	d.b = nil
}

func (d *bodyDecoder) u8() byte {
	if len(d.b) < 1 {
		d.fail("byte")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *bodyDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *bodyDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a number of items, each at least one byte long, so that a
// corrupt count cannot make the decoder allocate more than the body holds.
func (d *bodyDecoder) count() int {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("count")
		return 0
	}
	return int(n)
}

func (d *bodyDecoder) str() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

// name reads a string that many records share.
func (d *bodyDecoder) name() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	b := d.b[:n]
	d.b = d.b[n:]
	if s, ok := d.names[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.names != nil && len(d.names) < maxNames {
		d.names[s] = s
	}
	return s
}

// maxNames bounds the names a page shares, for records whose field names
// are all different.
const maxNames = 1024

func (d *bodyDecoder) u64() uint64 {
	if len(d.b) < 8 {
		d.fail("float")
		return 0
	}
	v := binary.LittleEndian.Uint64(d.b)
	d.b = d.b[8:]
	return v
}
