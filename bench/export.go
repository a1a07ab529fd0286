package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"iter"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gocarina/gocsv"
	"github.com/xuri/excelize/v2"

	"github.com/smartbooqing/steward/bench/internal/invoices"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// The export works write one category of n records to a writer that counts
// what it is given and keeps nothing. Steward's encoders buffer themselves
// (64 KiB); the baselines get a 64 KiB bufio.Writer, as a careful host
// would give them.

// counter is the writer every export contender writes to.
type counter struct{ bytes, calls int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.bytes += int64(len(p))
	c.calls++
	return len(p), nil
}

// encodeFunc writes records to w in one contender's way.
type encodeFunc func(records iter.Seq2[privacy.Record, error], w io.Writer) error

// exportContender times one encode of n records of the ring.
func exportContender(name string, baseline bool, n int, recs []privacy.Record, encode encodeFunc) contender {
	return contender{name: name, baseline: baseline, prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
		return func(ctx context.Context) (outcome, error) {
			w := &counter{}
			if err := encode(invoices.Cycle(recs, n), w); err != nil {
				return outcome{}, err
			}
			return outcome{records: int64(n), done: int64(n), bytes: w.bytes, calls: w.calls}, nil
		}, nil
	}}
}

func stewardEncode(f export.Format, opts *export.Options) (encodeFunc, error) {
	enc, err := export.NewEncoder(opts)
	if err != nil {
		return nil, err
	}
	return func(records iter.Seq2[privacy.Record, error], w io.Writer) error {
		sum, err := enc.Encode(context.Background(), w, f, "invoice", records)
		if err == nil && sum.Records == 0 {
			err = fmt.Errorf("no records written")
		}
		return err
	}, nil
}

func sameCount(outs []outcome) error {
	for _, o := range outs[1:] {
		if o.done != outs[0].done {
			return fmt.Errorf("contenders handled different numbers of records: %d and %d", outs[0].done, o.done)
		}
	}
	return nil
}

func setupCSV(ctx context.Context, cfg *config) (*workRun, error) {
	recs := invoices.Records()
	steward, err := stewardEncode(export.CSV, nil)
	if err != nil {
		return nil, err
	}
	raw, err := stewardEncode(export.CSV, &export.Options{Raw: true})
	if err != nil {
		return nil, err
	}
	return &workRun{
		contenders: []contender{
			exportContender("encoding/csv+strconv", true, cfg.n, recs, handCSV),
			exportContender("steward", false, cfg.n, recs, steward),
			exportContender("steward raw", false, cfg.n, recs, raw),
			exportContender("gocsv", false, cfg.n, recs, gocsvRows),
		},
		targets: []target{
			atLeast("steward", "encoding/csv+strconv", 1.3, "steward ≥ 1.3× encoding/csv+strconv (defence on)"),
			atLeast("steward", "gocsv", 3, "steward ≥ 3× gocsv"),
			{What: "steward peak RSS ≤ 16 MiB (a process that only exports)", check: func(rows map[string]*row) (string, bool) {
				r := rows["steward"]
				if r == nil {
					return "n/a", false
				}
				alone, idle, err := childRSS(ctx, cfg)
				if err != nil {
					return "n/a: " + err.Error(), false
				}
				return fmt.Sprintf("%.1f MiB (%.1f MiB exporting nothing; in the bench: heap %.1f MiB, RSS +%.0f MiB)",
					alone, idle, r.PeakHeapMiB, r.RSSGrowthMiB), alone <= 16
			}},
		},
		check: sameCount,
	}, nil
}

func setupNDJSON(ctx context.Context, cfg *config) (*workRun, error) {
	recs := invoices.Records()
	steward, err := stewardEncode(export.NDJSON, nil)
	if err != nil {
		return nil, err
	}
	return &workRun{
		contenders: []contender{
			exportContender("json.Encoder", true, cfg.n, recs, jsonEncoder),
			exportContender("steward", false, cfg.n, recs, steward),
		},
		targets: []target{atLeast("steward", "json.Encoder", 1.5, "steward ≥ 1.5× json.Encoder per record")},
		check:   sameCount,
	}, nil
}

func setupXML(ctx context.Context, cfg *config) (*workRun, error) {
	recs := invoices.Records()
	steward, err := stewardEncode(export.XML, nil)
	if err != nil {
		return nil, err
	}
	return &workRun{
		contenders: []contender{
			exportContender("xml.Encoder", true, cfg.n, recs, xmlEncoder),
			exportContender("steward", false, cfg.n, recs, steward),
		},
		targets: []target{atLeast("steward", "xml.Encoder", 3, "steward ≥ 3× xml.Encoder per record")},
		check:   sameCount,
	}, nil
}

func setupXLSX(ctx context.Context, cfg *config) (*workRun, error) {
	recs := invoices.Records()
	steward, err := stewardEncode(export.XLSX, &export.Options{TempDir: cfg.tmp})
	if err != nil {
		return nil, err
	}
	return &workRun{
		contenders: []contender{
			exportContender("excelize StreamWriter", true, cfg.n, recs, excelizeRows(cfg.tmp)),
			exportContender("steward", false, cfg.n, recs, steward),
		},
		check: sameCount,
	}, nil
}

// childRSS builds ./rss and runs it twice: exporting n records as CSV, and
// exporting nothing. It returns the two peak resident sets in MiB.
func childRSS(ctx context.Context, cfg *config) (export, idle float64, err error) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return 0, 0, errors.New("no go command to build ./rss with")
	}
	bin := filepath.Join(cfg.tmp, "rss")
	build := exec.CommandContext(ctx, goCmd, "build", "-o", bin, "github.com/smartbooqing/steward/bench/rss")
	if out, err := build.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("building ./rss (run the bench from its module): %v: %s", err, bytes.TrimSpace(out))
	}
	run := func(n int) (float64, error) {
		out, err := exec.CommandContext(ctx, bin, "-n", strconv.Itoa(n)).Output()
		if err != nil {
			return 0, fmt.Errorf("./rss: %v", err)
		}
		kb, err := strconv.Atoi(strings.TrimSpace(string(out)))
		return float64(kb) / 1024, err
	}
	if export, err = run(cfg.n); err != nil {
		return 0, 0, err
	}
	idle, err = run(0)
	return export, idle, err
}

// defend is the spreadsheet-injection defence as a hand-written encoder
// would do it.
func defend(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r\n\x00", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// eventsJSON writes a record's events as the JSON object of name to time
// that steward's CSV has in its events column.
func eventsJSON(events map[string]time.Time, names []string) (string, []string) {
	if len(events) == 0 {
		return "", names
	}
	names = names[:0]
	for k := range events {
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
		sb.WriteString(events[k].UTC().Format(time.RFC3339Nano))
		sb.WriteByte('"')
	}
	sb.WriteByte('}')
	return sb.String(), names
}

// handCSV is the CSV baseline: the same table written with encoding/csv and
// strconv, with the same defence.
func handCSV(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	header := append([]string{"id", "subject", "created", "restricted", "events"}, invoices.Fields...)
	if err := cw.Write(header); err != nil {
		return err
	}
	row := make([]string, 0, len(header))
	var names []string
	for r, err := range records {
		if err != nil {
			return err
		}
		var events string
		events, names = eventsJSON(r.Events, names)
		row = append(row[:0], defend(r.Ref.ID), defend(string(r.Subject)), r.Created.UTC().Format(time.RFC3339Nano), strconv.FormatBool(r.Restricted), events)
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
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
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

// gocsvRows is the gocsv peer: records mapped to structs, with the same
// defence, and marshalled 256 at a time through gocsv's writer-taking
// functions. It never calls gocsv's package-level Set* functions.
func gocsvRows(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := gocsv.NewSafeCSVWriter(csv.NewWriter(bw))
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
	var names []string
	for r, err := range records {
		if err != nil {
			return err
		}
		row := invoiceRow{ID: defend(r.Ref.ID), Subject: defend(string(r.Subject)), Created: r.Created.UTC(), Restricted: r.Restricted}
		row.Events, names = eventsJSON(r.Events, names)
		row.Customer = defend(r.Fields[0].Value.(string))
		row.Email = defend(r.Fields[1].Value.(string))
		row.Amount = r.Fields[2].Value.(int64)
		row.VATRate = r.Fields[3].Value.(float64)
		row.Paid = r.Fields[4].Value.(bool)
		row.Due = r.Fields[5].Value.(time.Time).UTC()
		row.Note = defend(r.Fields[6].Value.(string))
		batch = append(batch, row)
		if len(batch) == cap(batch) {
			if err := put(); err != nil {
				return err
			}
		}
	}
	if err := put(); err != nil {
		return err
	}
	return bw.Flush()
}

// jsonRecord and jsonField mirror steward's NDJSON record, so that
// json.Encoder does the same work.
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
		jr = jsonRecord{Category: string(r.Ref.Category), ID: r.Ref.ID, Subject: string(r.Subject), Created: r.Created.UTC(),
			Restricted: r.Restricted, Events: r.Events, Fields: jr.Fields[:0]}
		for _, f := range r.Fields {
			v := f.Value
			if t, ok := v.(time.Time); ok {
				v = t.UTC()
			}
			jr.Fields = append(jr.Fields, jsonField{Name: f.Name, Class: f.Class.String(), Type: typeName(f.Value), Value: v})
		}
		if err := enc.Encode(&jr); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// xmlRecord, xmlEvent and xmlField mirror steward's XML record for
// xml.Encoder.
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
// a *bufio.Writer, xml.Encoder writes into it directly and flushes it at the
// end of every Encode, so the writer below sees one call per record (the
// note column shows it): that is how a host using xml.Encoder per record
// gets it.
func xmlEncoder(records iter.Seq2[privacy.Record, error], w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	bw.WriteString(xml.Header + `<export format="steward-export" version="1" category="invoice">` + "\n")
	enc := xml.NewEncoder(bw)
	var xr xmlRecord
	var buf bytes.Buffer
	var names []string
	for r, err := range records {
		if err != nil {
			return err
		}
		xr = xmlRecord{ID: r.Ref.ID, Subject: string(r.Subject), Created: r.Created.UTC().Format(time.RFC3339Nano),
			Restricted: r.Restricted, Events: xr.Events[:0], Fields: xr.Fields[:0]}
		names = names[:0]
		for k := range r.Events {
			names = append(names, k)
		}
		slices.Sort(names)
		for _, k := range names {
			xr.Events = append(xr.Events, xmlEvent{Name: k, At: r.Events[k].UTC().Format(time.RFC3339Nano)})
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

// excelizeRows is the XLSX baseline: excelize's stream writer used
// directly, with the workbook steward writes — a bold frozen header, strings
// defended, numbers and booleans typed, times as date cells in UTC.
func excelizeRows(tmpDir string) encodeFunc {
	return func(records iter.Seq2[privacy.Record, error], w io.Writer) (err error) {
		f := excelize.NewFile(excelize.Options{TmpDir: tmpDir})
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}()
		if err := f.SetSheetName(f.GetSheetName(0), "invoice"); err != nil {
			return err
		}
		bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
		if err != nil {
			return err
		}
		timeFormat := `yyyy-mm-dd"T"hh:mm:ss"Z"`
		timeStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &timeFormat})
		if err != nil {
			return err
		}
		sw, err := f.NewStreamWriter("invoice")
		if err != nil {
			return err
		}
		if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return err
		}
		header := []any{"id", "subject", "created", "restricted", "events"}
		for _, name := range invoices.Fields {
			header = append(header, name)
		}
		if err := sw.SetRow("A1", header, excelize.RowOpts{StyleID: bold}); err != nil {
			return err
		}
		cells := make([]any, 0, len(header))
		var names []string
		row := 1
		for r, err := range records {
			if err != nil {
				return err
			}
			var events string
			events, names = eventsJSON(r.Events, names)
			cells = append(cells[:0], defend(r.Ref.ID), defend(string(r.Subject)),
				excelize.Cell{StyleID: timeStyle, Value: r.Created.UTC()}, r.Restricted, nil)
			if events != "" {
				cells[4] = events
			}
			for _, fl := range r.Fields {
				switch v := fl.Value.(type) {
				case string:
					cells = append(cells, defend(v))
				case time.Time:
					cells = append(cells, excelize.Cell{StyleID: timeStyle, Value: v.UTC()})
				default:
					cells = append(cells, v)
				}
			}
			row++
			cell, err := excelize.CoordinatesToCellName(1, row)
			if err != nil {
				return err
			}
			if err := sw.SetRow(cell, cells); err != nil {
				return err
			}
		}
		if err := sw.Flush(); err != nil {
			return err
		}
		return f.Write(w)
	}
}
