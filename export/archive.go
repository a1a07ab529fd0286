package export

import (
	"archive/zip"
	"compress/flate"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/smartbooqing/steward/privacy"
)

// DefaultWorkFactor is the scrypt work factor (log2 N) of passphrase
// encryption when ArchiveOptions.WorkFactor is zero: age's own default.
// Encrypting and decrypting then each take about a second and 256 MiB of
// memory (scrypt needs 128 × r × N bytes, with r = 8 and N = 2^18).
const DefaultWorkFactor = 18

// The work factors ArchiveOptions.WorkFactor accepts. 22 is the most the age
// tool accepts when decrypting (4 GiB, some fifteen seconds); 10 (1 MiB) is
// for tests only.
const (
	MinWorkFactor = 10
	MaxWorkFactor = 22
)

// ArchiveOptions configure an [Archive]. The zero value writes CSV, JSON and
// HTML files, unencrypted, with the defaults of [Options].
type ArchiveOptions struct {
	// Options configure the encoders and the language of index.html.
	Options
	// Formats to write each category in, in this order. Nil means CSV, JSON
	// and HTML.
	Formats []Format
	// Clock gives the generation time. Nil means the system clock.
	Clock privacy.Clock
	// Kept lists what is kept and until when, for index.html. It is ranged
	// over once, by Close. Nil means index.html says no retention
	// information came with the export.
	Kept iter.Seq2[Kept, error]
	// Recipients encrypt the whole archive to these age recipients, such as
	// an *age.X25519Recipient from age.ParseX25519Recipient. Any one of
	// their identities decrypts it.
	Recipients []age.Recipient
	// Passphrase encrypts the whole archive with an age scrypt passphrase
	// instead. It cannot be combined with Recipients.
	Passphrase string
	// WorkFactor is the scrypt work factor (log2 N) for Passphrase: memory
	// is 2^(WorkFactor+10) bytes for both encrypting and decrypting. Zero
	// means [DefaultWorkFactor]; else it must be between [MinWorkFactor] and
	// [MaxWorkFactor].
	WorkFactor int
}

// Kept is one line of index.html's table of what is kept and until when.
// The host supplies it from its retention rules; export does not work it
// out.
type Kept struct {
	Category privacy.Category
	// ID names one record. Empty, the line covers Records records of the
	// category, or every record of it when Records is zero.
	ID      string
	Records int64
	// Until is when the data may be deleted, shown in its own time zone.
	// Zero means there is no end date yet, as under a legal hold.
	Until time.Time
	// Basis is the reason, in words the subject reads, such as
	// "Fiscal retention, AWR art. 52 lid 4".
	Basis string
}

// Archive writes one export as a zip file: one file per category per format
// under data/, then index.html, then manifest.json. Feed it category by
// category with Add; it holds one record at a time, and for each extra
// format an encrypted temporary file (see "Archives" in the package
// documentation). Close finishes it.
//
// An Archive is not safe for concurrent use.
type Archive struct {
	enc      *Encoder
	subject  privacy.SubjectID
	formats  []Format
	now      time.Time
	kept     iter.Seq2[Kept, error]
	crypt    io.WriteCloser // the age writer, or nil
	zw       *zip.Writer
	files    []ManifestFile
	names    map[string]bool // file base names in use, lower-cased
	cats     map[privacy.Category]bool
	err      error  // the first failure
	failure  string // what failed, for the manifest
	closed   bool
	manifest Manifest
}

// NewArchive starts an archive of the subject's data, written to w (through
// age encryption if the options ask for it). It writes nothing until the
// first Add. It returns an error wrapping [privacy.ErrInvalid] for an empty
// subject, an unknown or repeated format, both recipients and a passphrase,
// or a work factor out of range.
func NewArchive(w io.Writer, subject privacy.SubjectID, opts *ArchiveOptions) (*Archive, error) {
	const op = "export.NewArchive"
	if opts == nil {
		opts = &ArchiveOptions{}
	}
	if subject == "" {
		return nil, invalid(op, privacy.Ref{}, "", "empty subject")
	}
	formats := opts.Formats
	if formats == nil {
		formats = []Format{CSV, JSON, HTML}
	}
	if len(formats) == 0 {
		return nil, invalid(op, privacy.Ref{}, "", "no formats")
	}
	for i, f := range formats {
		if err := f.Validate(); err != nil {
			return nil, err
		}
		for _, g := range formats[:i] {
			if f == g {
				return nil, invalid(op, privacy.Ref{}, "", fmt.Sprintf("format %s asked for twice", f))
			}
		}
	}
	enc, err := NewEncoder(&opts.Options)
	if err != nil {
		return nil, err
	}
	clock := opts.Clock
	if clock == nil {
		clock = privacy.SystemClock{}
	}
	a := &Archive{
		enc:     enc,
		subject: subject,
		formats: append([]Format(nil), formats...),
		now:     clock.Now().UTC(),
		kept:    opts.Kept,
		files:   []ManifestFile{},
		names:   map[string]bool{},
		cats:    map[privacy.Category]bool{},
	}
	switch {
	case len(opts.Recipients) > 0 && opts.Passphrase != "":
		return nil, invalid(op, privacy.Ref{}, "", "both recipients and a passphrase: choose one")
	case len(opts.Recipients) > 0:
		if a.crypt, err = age.Encrypt(w, opts.Recipients...); err != nil {
			return nil, &privacy.Error{Op: op, Msg: "starting encryption", Err: err}
		}
	case opts.Passphrase != "":
		wf := opts.WorkFactor
		if wf == 0 {
			wf = DefaultWorkFactor
		}
		if wf < MinWorkFactor || wf > MaxWorkFactor {
			return nil, invalid(op, privacy.Ref{}, "", fmt.Sprintf("work factor %d: want %d to %d", wf, MinWorkFactor, MaxWorkFactor))
		}
		r, err := age.NewScryptRecipient(opts.Passphrase)
		if err != nil {
			return nil, invalid(op, privacy.Ref{}, "", "unusable passphrase")
		}
		r.SetWorkFactor(wf)
		if a.crypt, err = age.Encrypt(w, r); err != nil {
			return nil, &privacy.Error{Op: op, Msg: "starting encryption", Err: err}
		}
	}
	if a.crypt != nil {
		w = a.crypt
	}
	a.zw = zip.NewWriter(w)
	a.zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	a.manifest = Manifest{
		Format:    DocumentType,
		Version:   DocumentVersion,
		Subject:   subject,
		Generated: a.now,
		Language:  enc.lang.String(),
		Cells:     CellsDefended,
		CSV:       ManifestDialect{Delimiter: string(rune(enc.delim)), BOM: enc.bom},
	}
	if !enc.defend {
		a.manifest.Cells = CellsRaw
	}
	return a, nil
}

// Add writes the subject's records of one category, once per format. It
// ranges over records once. Every record must be of that category and of the
// archive's subject: a record of anyone else is refused, so one person's
// export never carries another's data.
//
// After Add fails the archive is spoiled: later calls to Add fail too, and
// Close writes a manifest whose complete flag is false. A category can be
// added once.
func (a *Archive) Add(ctx context.Context, category privacy.Category, records iter.Seq2[privacy.Record, error]) error {
	const op = "export.Archive.Add"
	switch {
	case a.closed:
		return &privacy.Error{Op: op, Msg: "archive is closed", Err: privacy.ErrConflict}
	case a.err != nil:
		return &privacy.Error{Op: op, Msg: "an earlier Add failed; the archive will be marked incomplete", Err: privacy.ErrConflict}
	case a.cats[category]:
		return &privacy.Error{Op: op, Ref: privacy.Ref{Category: category}, Msg: "category added twice", Err: privacy.ErrConflict}
	}
	if err := checkCategory(op, category); err != nil {
		return err
	}
	a.cats[category] = true
	if err := a.add(ctx, category, records); err != nil {
		a.err = err
		a.failure = fmt.Sprintf("category %q could not be exported", string(category))
		return err
	}
	return nil
}

// part is one file of a category being written.
type part struct {
	format Format
	path   string
	m      *meter
	s      sink
	spool  *spool // for a streaming format after the first
	open   bool   // its zip entry is the one being written
}

func (a *Archive) add(ctx context.Context, cat privacy.Category, records iter.Seq2[privacy.Record, error]) (err error) {
	const op = "export.Archive.Add"
	base := a.fileBase(cat)
	l := newLabels(a.enc.lang, a.enc.own, a.enc.host)
	parts := make([]*part, len(a.formats))
	defer func() {
		for _, p := range parts {
			if p == nil {
				continue
			}
			if p.s != nil {
				p.s.close()
			}
			if p.spool != nil {
				p.spool.remove()
			}
		}
	}()
	direct := false
	for i, f := range a.formats {
		p := &part{format: f, path: base + "." + string(f), m: &meter{h: sha256.New()}}
		parts[i] = p
		switch {
		case f == XLSX:
			// The workbook is written at the end in one go; its entry is
			// made then.
		case !direct:
			direct, p.open = true, true
			if p.m.w, err = a.entry(p.path, f); err != nil {
				return err
			}
		default:
			if p.spool, err = newSpool(a.enc.tmpDir); err != nil {
				return &privacy.Error{Op: op, Ref: privacy.Ref{Category: cat}, Msg: "making a spool file", Err: err}
			}
			p.m.w = p.spool.w
		}
		if p.s, err = a.enc.newSink(p.m, f, cat, l); err != nil {
			return err
		}
	}
	sinks := make([]sink, len(parts))
	for i, p := range parts {
		sinks[i] = p.s
	}
	n, err := feed(ctx, op, cat, a.subject, records, sinks...)
	if err != nil {
		return err
	}
	// The streamed file's entry is open: finish it first.
	for _, p := range parts {
		if p.open {
			if err := p.s.finish(); err != nil {
				return err
			}
		}
	}
	for _, p := range parts {
		switch {
		case p.spool != nil:
			if err := p.s.finish(); err != nil {
				return err
			}
			r, err := p.spool.reader()
			if err != nil {
				return &privacy.Error{Op: op, Ref: privacy.Ref{Category: cat}, Msg: "reading a spool file", Err: err}
			}
			w, err := a.entry(p.path, p.format)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, r); err != nil {
				return &privacy.Error{Op: op, Ref: privacy.Ref{Category: cat}, Msg: "copying " + string(p.format) + " into the archive", Err: err}
			}
		case p.format == XLSX:
			if p.m.w, err = a.entry(p.path, p.format); err != nil {
				return err
			}
			if err := p.s.finish(); err != nil {
				return err
			}
		}
	}
	for _, p := range parts {
		mf := ManifestFile{
			Path:     p.path,
			Category: cat,
			Format:   p.format,
			Records:  n,
			Bytes:    p.m.n,
			SHA256:   hex.EncodeToString(p.m.h.Sum(nil)),
		}
		if p.format.tabular() {
			mf.Columns = manifestColumns(p.s.columns(), l)
		}
		a.files = append(a.files, mf)
	}
	return nil
}

// entry starts a zip entry. XLSX is compressed already and is stored as it
// is; everything else is deflated.
func (a *Archive) entry(path string, f Format) (io.Writer, error) {
	h := &zip.FileHeader{Name: path, Method: zip.Deflate, Modified: a.now}
	if f == XLSX {
		h.Method = zip.Store
	}
	w, err := a.zw.CreateHeader(h)
	if err != nil {
		return nil, &privacy.Error{Op: "export.Archive", Msg: "writing " + path + " failed", Err: err}
	}
	return w, nil
}

// fileBase returns "data/<name>" for a category: its name with anything but
// ASCII letters, digits, '-', '_' and inner '.' replaced by '_', made unique
// ignoring case (for case-insensitive file systems).
func (a *Archive) fileBase(cat privacy.Category) string {
	var b strings.Builder
	for i, r := range string(cat) {
		switch {
		case b.Len() >= 64:
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == '.' && i > 0:
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	name := b.String()
	for i := 2; a.names[strings.ToLower(name)]; i++ {
		name = fmt.Sprintf("%s-%d", b.String(), i)
	}
	a.names[strings.ToLower(name)] = true
	return "data/" + name
}

// Close writes index.html and manifest.json and finishes the zip and the
// encryption. The manifest's complete flag is true only if every Add
// succeeded and the Kept lines could be read; otherwise Close still
// finishes the archive, marked incomplete, and returns the first error. A
// failing writer leaves no valid zip at all. Close does not close the
// writer given to NewArchive.
func (a *Archive) Close() error {
	const op = "export.Archive.Close"
	if a.closed {
		return &privacy.Error{Op: op, Msg: "archive is closed", Err: privacy.ErrConflict}
	}
	a.closed = true
	first := a.err
	index, err := a.writeIndex()
	if err != nil && first == nil {
		first = err
		a.err = err
	}
	a.manifest.Files = a.files
	a.manifest.Index = index
	a.manifest.Complete = a.err == nil
	a.manifest.Failure = a.failure
	if err := a.writeManifest(); err != nil && first == nil {
		first = err
	}
	if err := a.zw.Close(); err != nil && first == nil {
		first = &privacy.Error{Op: op, Msg: "finishing the zip failed", Err: err}
	}
	if a.crypt != nil {
		if err := a.crypt.Close(); err != nil && first == nil {
			first = &privacy.Error{Op: op, Msg: "finishing the encryption failed", Err: err}
		}
	}
	return first
}

func (a *Archive) writeManifest() error {
	w, err := a.entry("manifest.json", JSON)
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(&a.manifest, "", "  ")
	if err != nil {
		return &privacy.Error{Op: "export.Archive.Close", Msg: "encoding the manifest", Err: err}
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return &privacy.Error{Op: "export.Archive.Close", Msg: "writing manifest.json failed", Err: err}
	}
	return nil
}
