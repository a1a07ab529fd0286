// Package export writes a data subject's records in the formats a privacy
// statement promises — CSV, JSON, NDJSON, XML, XLSX and a page to read in
// HTML — and packs them into one zip per export with a manifest, checksums
// and an index page in the subject's language, optionally encrypted with age.
//
// # Basics
//
// Records arrive as an iter.Seq2[privacy.Record, error] and leave through an
// io.Writer; no function takes a slice of all records, and memory stays flat
// however many there are. An [Encoder] writes one category in one format:
//
//	enc, err := export.NewEncoder(&export.Options{Language: language.Dutch})
//	sum, err := enc.Encode(ctx, w, export.CSV, "invoice", store.BySubject(ctx, id))
//
// An [Archive] writes a whole export. The host feeds it category by category
// and closes it:
//
//	a, err := export.NewArchive(w, id, &export.ArchiveOptions{Formats: []export.Format{export.CSV, export.JSON}})
//	err = a.Add(ctx, "invoice", invoices)
//	err = a.Add(ctx, "contact", contacts)
//	err = a.Close()
//
// [ReadCSV], [ReadJSON] and [ReadNDJSON] read the files back. Hosts that
// export their own structs use [WriteStructs] and [ReadStructs], which go
// through gocsv's struct tags without touching gocsv's package-level
// settings.
//
// # Formats
//
// Every record carries its envelope — ID, subject, creation time, whether it
// is restricted, its named events — and its fields, each with a name, a
// class and a value.
//
//   - CSV follows RFC 4180: a header row of labels, one row per record, CRLF
//     line ends, cells quoted only when they must be, and the empty string
//     written as "" so that it differs from nil, an empty unquoted cell. The
//     envelope columns come first (keys id, subject, created, restricted,
//     events; events is a JSON object of name to time), then one column per
//     field.
//   - JSON is one document per category: {"format":"steward-export",
//     "version":1,"category":…,"records":[…]} with one record per line.
//     NDJSON is one record object per line. A record object is
//     {"category","id","subject","created","restricted","events","fields"},
//     and each field {"name","class","type","value"}, where type is string,
//     int, float, bool, time or null, so that every value reads back as the
//     type it was.
//   - XML is one document per category: <export> holding a <record> per
//     record, with <event name at> and <field name class type> elements.
//   - XLSX is a workbook with one sheet named after the category, written
//     with excelize's stream writer: a bold, frozen header row, strings as
//     inline strings, int64 and float64 as numbers, booleans as booleans,
//     times as date cells in UTC shown as yyyy-mm-ddThh:mm:ssZ.
//   - HTML is a page for people: one section per record, each field a row
//     with its label, value and kind of data, in the encoder's language.
//
// # Columns
//
// CSV and XLSX are tables, but records of one category may have different
// fields. The columns of a category are the ones declared in
// Options.Columns or, when none are declared, the fields of its first
// record. Either way they are settled before the first row, so nothing is
// buffered. A later record may lack a column (its cell stays empty) or have
// its fields in another order, but a field that is not a column is an error
// naming the record and the field: a silent new column would shift every
// cell after it, and a silently dropped field would be data the subject
// never gets. Declare the columns of any category whose records differ.
// A field must also have its column's class, and a value of its column's
// kind; a column of [KindAny] takes the kind of its first non-nil value.
// [Summary.Columns] and the manifest report each column as written.
//
// # Spreadsheet injection
//
// Spreadsheet programs run a cell that begins with = + - or @ as a formula,
// and some also one that begins with a tab, CR, LF or NUL. By default the CSV
// and XLSX encoders prefix such a string cell with an apostrophe, which
// spreadsheets show as text. Typed numbers are never changed: -5 as an int64
// stays -5, while the string "-5" becomes '-5. Apostrophes already at the
// start are counted — a string that already begins with an apostrophe and
// then = gets one apostrophe more — so the prefix can always be told from
// the data: [ReadCSV] and [ReadStructs] remove it again and the
// round trip is exact. Options.Raw turns the defence off for machine
// consumers; the manifest records which was used ("cells": "defended" or
// "raw"), and ReadOptions.Raw must match it. JSON, NDJSON, XML and HTML are
// never changed: they are not opened as spreadsheets.
//
// [WriteStructs] cannot see which of gocsv's cells were numbers, so there the
// defence leaves alone every cell that is a plain decimal number.
//
// # Round trip
//
// What [Encoder.Encode] writes as JSON or NDJSON reads back equal to what went
// in, as compared by go-cmp with cmpopts.EquateEmpty: empty Events and Fields
// come back nil, times come back in UTC (time.Time.Equal holds). CSV is a
// table, so it reads back in canonical form: every column a field, in column
// order, a missing field as nil. Records whose fields are the columns in
// order read back equal, injection probes, commas, quotes, newlines and
// non-ASCII text included.
//
// # Archives
//
// An archive is a zip holding data/<category>.<format> for each category and
// format (deflated at flate.BestSpeed; XLSX stored, being compressed
// already), index.html, and manifest.json, in that order. The manifest lists
// the format version, subject, generation time, the language and the cells
// mode, and for every file its path, category, format, record count, size
// and SHA-256, and for tables the column keys with their labels, kinds and
// classes. Its last key is "complete", and it is the archive's last file.
//
// An archive that fails part-way — the records' iterator fails, a record is
// refused, the context is cancelled, the Kept lines fail — is never marked
// complete: Close still finishes the zip so that the subject can see what
// there is, but the manifest says "complete": false with a short reason,
// index.html says the export is incomplete, and Close returns the first
// error. An archive whose writer failed is not a valid zip at all.
//
// A zip writes one entry at a time and a record stream can be ranged over
// only once, so when several streaming formats are requested the first is
// written straight into the zip and the others into temporary files in
// Options.TempDir, each encrypted to an X25519 key that exists only in
// memory and deleted when the category is done. Expect temporary disk use of
// about the size of the category's files.
//
// The index page lists the files and what is kept until when. The host
// supplies those lines ([Kept]) from its retention rules; this package does
// not import retention.
//
// # Encryption
//
// ArchiveOptions.Recipients encrypts the whole archive with age to X25519
// recipients (age1…); any of their identities decrypts it, with the age tool
// or filippo.io/age. ArchiveOptions.Passphrase uses age's scrypt passphrase
// mode instead. Its cost is set by WorkFactor (log2 N, default
// [DefaultWorkFactor] = 18): scrypt then needs 2^(WorkFactor+10) bytes of
// memory — 256 MiB at the default — and about a second of CPU, both to
// encrypt and to decrypt. The age tool refuses work factors above 22.
//
// # Labels and language
//
// Column labels, the HTML pages and index.html are in English or Dutch
// (Options.Language, matched with golang.org/x/text/language; anything else
// gets English). The built-in texts live in a catalog each [Encoder] builds
// for itself; the package never touches message.DefaultCatalog. The host's
// own labels for its field and category names come from Options.Labels, a
// catalog.Catalog keyed by those names.
//
// # Stability
//
// Stable, within one [DocumentVersion]: the format names; the CSV dialect
// (RFC 4180, CRLF, quoting rules, the injection prefix, the cells of each
// kind); the order of the envelope columns and their keys; the JSON and
// NDJSON keys and value encodings; the XML element and attribute names;
// timestamps as RFC 3339 in UTC with only the fractional digits needed
// (2024-03-15T10:30:00Z, 2024-06-01T08:00:00.25Z); numbers as Go's
// shortest round-tripping decimal with '.' as the decimal mark whatever the
// delimiter; UTF-8 throughout; the manifest's keys and the "complete" flag.
// Byte-for-byte, CSV, JSON, NDJSON and XML output is fixed for given records
// and options, which the golden files in testdata check.
//
// Not stable: the labels (they are for people and may be reworded), the HTML
// pages and index.html, the bytes of XLSX workbooks and of the zip (they
// depend on excelize and compress/flate), the order of entries inside the
// zip other than manifest.json last, and the wording of errors.
//
// # Errors
//
// Bad input is an error, never a panic. A value of an unsupported type, a NaN
// or infinite float, a zero time, invalid UTF-8, a character XML cannot carry
// (in XML and XLSX), a string longer than an XLSX cell holds, or a field
// outside the columns gives a [*privacy.Error] wrapping [privacy.ErrInvalid]
// that names the record and the field; an error never quotes a value. A
// failing writer gives a [*privacy.Error] that names the record being
// encoded when the write failed and wraps the writer's error. Errors from the
// record stream and context errors are returned as they are.
//
// # Caveats
//
// XLSX is the one format whose memory is not small: excelize gathers up to
// 16 MiB of sheet XML in memory (its buffer can reach twice that, so expect
// some 64 MiB of heap for a large category) and the rest in unencrypted
// temporary files in Options.TempDir until the workbook is written; point
// TempDir at encrypted storage when exporting large categories as XLSX. The
// other formats hold a 64 KiB buffer and one record. Spreadsheet programs hold numbers as float64, so an
// int64 beyond 2^53 loses precision in XLSX (CSV and JSON keep it exact), and
// XLSX date cells keep milliseconds at most. Reading CSV needs the columns:
// take them from [Summary.Columns] or the manifest.
package export
