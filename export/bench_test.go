package export_test

// Benchmarks of the encoders against the baselines of DESIGN.md, one record
// per op. Run 1M records per contender with
//
//	go test ./export -run '^$' -bench . -benchtime 1000000x
//
// Each reports records/s, B/op and allocs/op per record, peak-heap-MiB (the
// live heap, sampled every millisecond, including the 1,024 records the
// benchmarks cycle through), peak-RSS-MiB (the test process's peak
// resident memory during the run, test binary included; Linux only, reset
// before each run), RSS-growth-MiB (that peak less the resident memory when
// the run began) and writes/krec (calls on the writer per 1,000 records).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"iter"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gocarina/gocsv"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// benchRing is how many distinct records the benchmarks cycle through: the
// data is made once, so the benchmarks measure encoding, not generation.
const benchRing = 1024

func benchRecords() []privacy.Record {
	base := time.Date(2024, 1, 1, 9, 0, 0, 0, time.UTC)
	notes := []string{"", "Levering, \"spoed\"", "=HYPERLINK(\"x\")", "Tweede regel\nderde", "Gewone notitie zonder bijzonderheden", "-5 korting"}
	recs := make([]privacy.Record, benchRing)
	for i := range recs {
		r := privacy.Record{
			Ref:     privacy.Ref{Category: "invoice", ID: "2024-" + strconv.Itoa(100000+i)},
			Subject: privacy.SubjectID("client-" + strconv.Itoa(i%97)),
			Created: base.Add(time.Duration(i) * 37 * time.Minute),
			Fields: []privacy.Field{
				{Name: "customer", Value: "Klant " + strconv.Itoa(i) + " B.V.", Class: privacy.Personal},
				{Name: "email", Value: "klant" + strconv.Itoa(i) + "@example.nl", Class: privacy.Personal},
				{Name: "amount_cents", Value: int64(i*1234 - 50000), Class: privacy.Plain},
				{Name: "vat_rate", Value: []float64{0.21, 0.09, 0}[i%3], Class: privacy.Plain},
				{Name: "paid", Value: i%2 == 0, Class: privacy.Plain},
				{Name: "due", Value: base.AddDate(0, 1, i%28), Class: privacy.Plain},
				{Name: "note", Value: notes[i%len(notes)], Class: privacy.Plain},
			},
		}
		if i%4 == 0 {
			r.Events = map[string]time.Time{privacy.EventContractEnded: base.AddDate(1, 0, 0)}
		}
		recs[i] = r
	}
	return recs
}

// ring yields n records from recs, round and round.
func ring(recs []privacy.Record, n int) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		for i := range n {
			if !yield(recs[i%len(recs)], nil) {
				return
			}
		}
	}
}

// sink counts what the encoders write and how many calls it takes.
type sink struct{ bytes, calls int64 }

func (s *sink) Write(p []byte) (int, error) {
	s.bytes += int64(len(p))
	s.calls++
	return len(p), nil
}

// statusMiB reads a memory figure of this process from /proc/self/status,
// in MiB; -1 where there is none.
func statusMiB(key string) float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return float64(kb) / 1024
		}
	}
	return -1
}

// peakRSS resets the process's peak resident memory and returns a function
// that reads the peak since, and the resident memory at the reset, in MiB;
// -1 where Linux's /proc is not there.
func peakRSS() func() (peak, before float64) {
	debug.FreeOSMemory()
	if os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) != nil {
		return func() (float64, float64) { return -1, -1 }
	}
	before := statusMiB("VmRSS")
	return func() (float64, float64) { return statusMiB("VmHWM"), before }
}

// peakHeap samples the live heap every millisecond until stop is called,
// and returns the highest value seen, in MiB.
func peakHeap() (stop func() float64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() float64 {
		close(done)
		<-finished
		return float64(peak) / (1 << 20)
	}
}

// measure runs encode over b.N records and reports the metrics.
func measure(b *testing.B, encode func(records iter.Seq2[privacy.Record, error], w io.Writer) error) {
	recs := benchRecords()
	s := &sink{}
	rss := peakRSS()
	heap := peakHeap()
	b.ReportAllocs()
	b.ResetTimer()
	if err := encode(ring(recs, b.N), s); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
	b.ReportMetric(heap(), "peak-heap-MiB")
	peak, before := rss()
	b.ReportMetric(peak, "peak-RSS-MiB")
	b.ReportMetric(peak-before, "RSS-growth-MiB")
	b.ReportMetric(float64(s.calls)*1000/float64(b.N), "writes/krec")
}

func encoderBench(f export.Format, opts *export.Options) func(*testing.B) {
	return func(b *testing.B) {
		enc, err := export.NewEncoder(opts)
		if err != nil {
			b.Fatal(err)
		}
		measure(b, func(records iter.Seq2[privacy.Record, error], w io.Writer) error {
			_, err := enc.Encode(context.Background(), w, f, "invoice", records)
			return err
		})
	}
}

func BenchmarkCSV(b *testing.B) {
	b.Run("steward", encoderBench(export.CSV, nil))
	b.Run("steward-raw", encoderBench(export.CSV, &export.Options{Raw: true}))
	b.Run("encoding-csv", func(b *testing.B) { measure(b, handCSV) })
	b.Run("gocsv", func(b *testing.B) { measure(b, gocsvRows) })
}

func BenchmarkNDJSON(b *testing.B) {
	b.Run("steward", encoderBench(export.NDJSON, nil))
	b.Run("json-encoder", func(b *testing.B) { measure(b, jsonEncoder) })
}

func BenchmarkXML(b *testing.B) {
	b.Run("steward", encoderBench(export.XML, nil))
	b.Run("xml-encoder", func(b *testing.B) { measure(b, xmlEncoder) })
}

func BenchmarkOtherFormats(b *testing.B) {
	b.Run("json", encoderBench(export.JSON, nil))
	b.Run("html", encoderBench(export.HTML, nil))
	b.Run("xlsx", encoderBench(export.XLSX, &export.Options{TempDir: b.TempDir()}))
	b.Run("archive-csv-json-ndjson", func(b *testing.B) {
		// One category in three formats, two of them spooled, all deflated.
		measure(b, func(records iter.Seq2[privacy.Record, error], w io.Writer) error {
			a, err := export.NewArchive(w, "client-1", &export.ArchiveOptions{
				Options: export.Options{TempDir: b.TempDir()},
				Formats: []export.Format{export.CSV, export.JSON, export.NDJSON},
			})
			if err != nil {
				return err
			}
			// The benchmark's records belong to many subjects; give them one.
			one := func(yield func(privacy.Record, error) bool) {
				for r, err := range records {
					r.Subject = "client-1"
					if !yield(r, err) {
						return
					}
				}
			}
			if err := a.Add(context.Background(), "invoice", one); err != nil {
				return err
			}
			return a.Close()
		})
	})
}

// defend is the injection defence as a hand-written encoder would do it.
func defend(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r\n\x00", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// handCSV is the baseline: the same table written with encoding/csv and
// strconv, with the same defence.
func handCSV(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	cw := csv.NewWriter(bufio.NewWriterSize(w, 64<<10))
	cw.UseCRLF = true
	header := []string{"id", "subject", "created", "restricted", "events", "customer", "email", "amount_cents", "vat_rate", "paid", "due", "note"}
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	var names []string
	for r, err := range records {
		if err != nil {
			return err
		}
		row = append(row[:0], defend(r.Ref.ID), defend(string(r.Subject)), r.Created.UTC().Format(time.RFC3339Nano), strconv.FormatBool(r.Restricted))
		if len(r.Events) == 0 {
			row = append(row, "")
		} else {
			names = names[:0]
			for k := range r.Events {
				names = append(names, k)
			}
			slices.Sort(names)
			var sb strings.Builder
			sb.WriteByte('{')
			for i, k := range names {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(strconv.Quote(k))
				sb.WriteString(`:"`)
				sb.WriteString(r.Events[k].UTC().Format(time.RFC3339Nano))
				sb.WriteByte('"')
			}
			sb.WriteByte('}')
			row = append(row, sb.String())
		}
		for _, f := range r.Fields {
			switch v := f.Value.(type) {
			case nil:
				row = append(row, "")
			case string:
				row = append(row, defend(v))
			case int64:
				row = append(row, strconv.FormatInt(v, 10))
			case float64:
				row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
			case bool:
				row = append(row, strconv.FormatBool(v))
			case time.Time:
				row = append(row, v.UTC().Format(time.RFC3339Nano))
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// invoiceRow is how a host would declare the table for gocsv.
type invoiceRow struct {
	ID         string    `csv:"id"`
	Subject    string    `csv:"subject"`
	Created    time.Time `csv:"created"`
	Restricted bool      `csv:"restricted"`
	Events     string    `csv:"events"`
	Customer   string    `csv:"customer"`
	Email      string    `csv:"email"`
	Amount     int64     `csv:"amount_cents"`
	VATRate    float64   `csv:"vat_rate"`
	Paid       bool      `csv:"paid"`
	Due        time.Time `csv:"due"`
	Note       string    `csv:"note"`
}

// gocsvRows is the gocsv baseline: records mapped to structs and marshalled
// in batches, through gocsv's writer-taking functions.
func gocsvRows(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	cw := gocsv.NewSafeCSVWriter(csv.NewWriter(bufio.NewWriterSize(w, 64<<10)))
	batch := make([]invoiceRow, 0, 256)
	first := true
	put := func() error {
		var err error
		if first {
			err = gocsv.MarshalCSV(batch, cw)
			first = false
		} else {
			err = gocsv.MarshalCSVWithoutHeaders(batch, cw)
		}
		batch = batch[:0]
		return err
	}
	for r, err := range records {
		if err != nil {
			return err
		}
		row := invoiceRow{ID: r.Ref.ID, Subject: string(r.Subject), Created: r.Created, Restricted: r.Restricted}
		if t, ok := r.Events[privacy.EventContractEnded]; ok {
			row.Events = `{"contract.ended":"` + t.UTC().Format(time.RFC3339Nano) + `"}`
		}
		row.Customer = r.Fields[0].Value.(string)
		row.Email = r.Fields[1].Value.(string)
		row.Amount = r.Fields[2].Value.(int64)
		row.VATRate = r.Fields[3].Value.(float64)
		row.Paid = r.Fields[4].Value.(bool)
		row.Due = r.Fields[5].Value.(time.Time)
		row.Note = r.Fields[6].Value.(string)
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := put(); err != nil {
				return err
			}
		}
	}
	return put()
}

// jsonRecord and jsonField mirror the NDJSON format, so that json.Encoder
// does the same work.
type jsonRecord struct {
	Category   string               `json:"category"`
	ID         string               `json:"id"`
	Subject    string               `json:"subject"`
	Created    time.Time            `json:"created"`
	Restricted bool                 `json:"restricted"`
	Events     map[string]time.Time `json:"events"`
	Fields     []jsonField          `json:"fields"`
}

type jsonField struct {
	Name  string `json:"name"`
	Class string `json:"class"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "string"
	case int64:
		return "int"
	case float64:
		return "float"
	case bool:
		return "bool"
	case time.Time:
		return "time"
	}
	return "null"
}

// jsonEncoder is the NDJSON baseline: json.Encoder, one Encode per record.
func jsonEncoder(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	var jr jsonRecord
	for r, err := range records {
		if err != nil {
			return err
		}
		jr = jsonRecord{Category: string(r.Ref.Category), ID: r.Ref.ID, Subject: string(r.Subject), Created: r.Created.UTC(), Restricted: r.Restricted, Events: r.Events, Fields: jr.Fields[:0]}
		for _, f := range r.Fields {
			jr.Fields = append(jr.Fields, jsonField{Name: f.Name, Class: f.Class.String(), Type: typeName(f.Value), Value: f.Value})
		}
		if err := enc.Encode(&jr); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// xmlRecord and xmlField mirror the XML format for xml.Encoder.
type xmlRecord struct {
	XMLName    xml.Name   `xml:"record"`
	ID         string     `xml:"id,attr"`
	Subject    string     `xml:"subject,attr"`
	Created    string     `xml:"created,attr"`
	Restricted bool       `xml:"restricted,attr"`
	Events     []xmlEvent `xml:"event"`
	Fields     []xmlField `xml:"field"`
}

type xmlEvent struct {
	Name string `xml:"name,attr"`
	At   string `xml:"at,attr"`
}

type xmlField struct {
	Name  string `xml:"name,attr"`
	Class string `xml:"class,attr"`
	Type  string `xml:"type,attr"`
	Value string `xml:",chardata"`
}

// xmlEncoder is the XML baseline: xml.Encoder, one Encode per record. Given
// a *bufio.Writer, xml.Encoder uses it as its own buffer and flushes it at
// the end of every Encode, so the writer sees one call per record
// (writes/krec shows it).
func xmlEncoder(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header + `<export format="steward-export" version="1" category="invoice">` + "\n")
	enc := xml.NewEncoder(bw)
	var xr xmlRecord
	var buf bytes.Buffer
	for r, err := range records {
		if err != nil {
			return err
		}
		xr = xmlRecord{ID: r.Ref.ID, Subject: string(r.Subject), Created: r.Created.UTC().Format(time.RFC3339Nano), Restricted: r.Restricted, Events: xr.Events[:0], Fields: xr.Fields[:0]}
		for k, t := range r.Events {
			xr.Events = append(xr.Events, xmlEvent{Name: k, At: t.UTC().Format(time.RFC3339Nano)})
		}
		for _, f := range r.Fields {
			buf.Reset()
			switch v := f.Value.(type) {
			case string:
				buf.WriteString(v)
			case int64:
				buf.Write(strconv.AppendInt(buf.AvailableBuffer(), v, 10))
			case float64:
				buf.Write(strconv.AppendFloat(buf.AvailableBuffer(), v, 'g', -1, 64))
			case bool:
				buf.Write(strconv.AppendBool(buf.AvailableBuffer(), v))
			case time.Time:
				buf.WriteString(v.UTC().Format(time.RFC3339Nano))
			}
			xr.Fields = append(xr.Fields, xmlField{Name: f.Name, Class: f.Class.String(), Type: typeName(f.Value), Value: buf.String()})
		}
		if err := enc.Encode(&xr); err != nil {
			return err
		}
	}
	bw.WriteString("\n</export>\n")
	return bw.Flush()
}

func BenchmarkNothing(b *testing.B) {
	measure(b, func(records iter.Seq2[privacy.Record, error], w io.Writer) error {
		for range records {
		}
		return nil
	})
}
