package export_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"filippo.io/age"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
)

// exampleRecords is what a host's store would yield for one subject.
func exampleRecords() []privacy.Record {
	created := time.Date(2024, 3, 15, 10, 30, 0, 0, time.UTC)
	return []privacy.Record{
		{
			Ref: privacy.Ref{Category: "invoice", ID: "2024-001"}, Subject: "client-17", Created: created,
			Fields: []privacy.Field{
				{Name: "customer", Value: "Jan de Vries", Class: privacy.Personal},
				{Name: "amount_cents", Value: int64(-500), Class: privacy.Plain},
				{Name: "note", Value: "=1+1, \"quoted\"", Class: privacy.Plain},
			},
		},
		{
			Ref: privacy.Ref{Category: "invoice", ID: "2024-002"}, Subject: "client-17", Created: created.AddDate(0, 1, 0),
			Fields: []privacy.Field{
				{Name: "customer", Value: "Zoë Ærø", Class: privacy.Personal},
				{Name: "amount_cents", Value: int64(125000), Class: privacy.Plain},
				{Name: "note", Value: nil, Class: privacy.Plain},
			},
		},
	}
}

func ExampleEncoder_Encode() {
	enc, err := export.NewEncoder(&export.Options{Language: language.Dutch})
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	sum, err := enc.Encode(context.Background(), &buf, export.CSV, "invoice", all(exampleRecords()))
	if err != nil {
		panic(err)
	}
	// CSV rows end in CRLF; show them with plain newlines.
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	fmt.Println(sum.Records, "records,", len(sum.Columns), "field columns")
	// Output:
	// Record-ID,Betrokkene,Aangemaakt,Beperkt,Gebeurtenissen,customer,amount_cents,note
	// 2024-001,client-17,2024-03-15T10:30:00Z,false,,Jan de Vries,-500,"'=1+1, ""quoted"""
	// 2024-002,client-17,2024-04-15T10:30:00Z,false,,Zoë Ærø,125000,
	// 2 records, 3 field columns
}

func ExampleReadCSV() {
	ctx := context.Background()
	enc, err := export.NewEncoder(nil)
	if err != nil {
		panic(err)
	}
	var buf bytes.Buffer
	sum, err := enc.Encode(ctx, &buf, export.CSV, "invoice", all(exampleRecords()))
	if err != nil {
		panic(err)
	}
	for r, err := range export.ReadCSV(ctx, &buf, "invoice", sum.Columns, nil) {
		if err != nil {
			panic(err)
		}
		note, _ := r.Field("note")
		fmt.Printf("%s: %#v\n", r.Ref, note.Value)
	}
	// Output:
	// invoice/2024-001: "=1+1, \"quoted\""
	// invoice/2024-002: <nil>
}

func ExampleEncoder_Encode_ndjson() {
	enc, err := export.NewEncoder(nil)
	if err != nil {
		panic(err)
	}
	_, err = enc.Encode(context.Background(), os.Stdout, export.NDJSON, "invoice", all(exampleRecords()[:1]))
	if err != nil {
		panic(err)
	}
	// Output:
	// {"category":"invoice","id":"2024-001","subject":"client-17","created":"2024-03-15T10:30:00Z","restricted":false,"events":{},"fields":[{"name":"customer","class":"personal","type":"string","value":"Jan de Vries"},{"name":"amount_cents","class":"plain","type":"int","value":-500},{"name":"note","class":"plain","type":"string","value":"=1+1, \"quoted\""}]}
}

func ExampleNewArchive() {
	ctx := context.Background()
	var zipped bytes.Buffer
	a, err := export.NewArchive(&zipped, "client-17", &export.ArchiveOptions{
		Formats: []export.Format{export.CSV, export.JSON},
		Options: export.Options{Language: language.Dutch},
		Clock:   privacy.NewSettableClock(time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)),
	})
	if err != nil {
		panic(err)
	}
	if err := a.Add(ctx, "invoice", all(exampleRecords())); err != nil {
		panic(err)
	}
	if err := a.Close(); err != nil {
		panic(err)
	}

	zr, err := zip.NewReader(bytes.NewReader(zipped.Bytes()), int64(zipped.Len()))
	if err != nil {
		panic(err)
	}
	for _, f := range zr.File {
		fmt.Println(f.Name)
	}
	rc, err := zr.Open("manifest.json")
	if err != nil {
		panic(err)
	}
	var m export.Manifest
	if err := json.NewDecoder(rc).Decode(&m); err != nil {
		panic(err)
	}
	fmt.Println("complete:", m.Complete, "cells:", m.Cells, "records in", m.Files[0].Path+":", m.Files[0].Records)
	// Output:
	// data/invoice.csv
	// data/invoice.json
	// index.html
	// manifest.json
	// complete: true cells: defended records in data/invoice.csv: 2
}

func ExampleArchiveOptions_recipients() {
	// The subject's (or their administrator's) age key pair; the host only
	// ever needs the public recipient.
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		panic(err)
	}
	var sealed bytes.Buffer
	a, err := export.NewArchive(&sealed, "client-17", &export.ArchiveOptions{Recipients: []age.Recipient{identity.Recipient()}})
	if err != nil {
		panic(err)
	}
	if err := a.Add(context.Background(), "invoice", all(exampleRecords())); err != nil {
		panic(err)
	}
	if err := a.Close(); err != nil {
		panic(err)
	}

	plain, err := age.Decrypt(&sealed, identity)
	if err != nil {
		panic(err)
	}
	b, err := io.ReadAll(plain)
	if err != nil {
		panic(err)
	}
	_, err = zip.NewReader(bytes.NewReader(b), int64(len(b)))
	fmt.Println("decrypted to a zip:", err == nil)
	// Output:
	// decrypted to a zip: true
}

func ExampleWriteStructs() {
	type guest struct {
		Name   string `csv:"name"`
		Nights int    `csv:"nights"`
		Remark string `csv:"remark"`
	}
	rows := func(yield func(guest, error) bool) {
		_ = yield(guest{"Jan de Vries", 3, "@reception: late arrival"}, nil) &&
			yield(guest{"Zoë Ærø", -1, "-"}, nil)
	}
	var buf bytes.Buffer
	if _, err := export.WriteStructs(context.Background(), &buf, rows, nil); err != nil {
		panic(err)
	}
	fmt.Print(strings.ReplaceAll(buf.String(), "\r\n", "\n"))
	for g, err := range export.ReadStructs[guest](context.Background(), &buf, nil) {
		if err != nil {
			panic(err)
		}
		fmt.Printf("%+v\n", g)
	}
	// Output:
	// name,nights,remark
	// Jan de Vries,3,'@reception: late arrival
	// Zoë Ærø,-1,'-
	// {Name:Jan de Vries Nights:3 Remark:@reception: late arrival}
	// {Name:Zoë Ærø Nights:-1 Remark:-}
}
