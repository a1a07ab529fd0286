package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// env is an open database with a Steward over it.
type env struct {
	store   *sqlstore.Store
	steward *steward.Steward
}

func (e *env) Close() error { return e.store.Close() }

// open opens the database and, when needPolicy, the policy.
func open(ctx context.Context, g *globals, needPolicy bool) (*env, error) {
	dsn := g.db
	if g.dsnSet {
		if strings.TrimSpace(g.dsn) == "" {
			return nil, usagef("--dsn is empty: give a PostgreSQL DSN such as postgres://user@host:5432/db")
		}
		dsn = g.dsn
	}
	if dsn == "" {
		return nil, usagef("--db is empty")
	}
	var policy *retention.Policy
	if needPolicy {
		p, err := loadPolicy(g.policy)
		if err != nil {
			return nil, usageError{err.Error()}
		}
		policy = p
	}
	if _, err := languageOf(g.lang); err != nil {
		return nil, err
	}
	st, err := sqlstore.Open(ctx, dsn, nil)
	if err != nil {
		return nil, fmt.Errorf("opening the database: %w", err)
	}
	key, err := pseudonymKey(g.keyFile)
	if err != nil {
		st.Close()
		return nil, err
	}
	ledger, err := consent.New(st.Consent(), &consent.Options{
		Audit: st.AuditLog(), Notices: st.Notices(), Disclosures: st.Disclosures(), PseudonymKey: key,
	})
	if err != nil {
		st.Close()
		return nil, err
	}
	s, err := steward.New(st, &steward.Options{Policy: policy, Consent: ledger, Audit: st.AuditLog(), Actor: "steward-cli"})
	if err != nil {
		st.Close()
		return nil, err
	}
	return &env{store: st, steward: s}, nil
}

// pseudonymKey reads the key file, creating it with a new random key if it
// does not exist.
func pseudonymKey(path string) ([]byte, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
			return nil, fmt.Errorf("creating key file: %w", err)
		}
		return key, nil
	}
	if err != nil {
		return nil, err
	}
	key, err := hex.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(key) < privacy.MinPseudonymKey {
		return nil, fmt.Errorf("key file %s: want at least %d bytes in hex", path, privacy.MinPseudonymKey)
	}
	return key, nil
}

func languageOf(s string) (language.Tag, error) {
	switch s {
	case "en":
		return language.English, nil
	case "nl":
		return language.Dutch, nil
	}
	return language.Und, usagef("--lang %q: want en or nl", s)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

type candidateJSON struct {
	Ref     string   `json:"ref"`
	Since   string   `json:"since,omitempty"`
	Rule    string   `json:"rule,omitempty"`
	Reasons []string `json:"reasons"`
}

func sweepPlan(ctx context.Context, g *globals, stdout io.Writer) error {
	e, err := open(ctx, g, true)
	if err != nil {
		return err
	}
	defer e.Close()
	sw, err := e.steward.Sweeper()
	if err != nil {
		return err
	}
	out := []candidateJSON{}
	for c, err := range sw.Plan(ctx) {
		if err != nil {
			return err
		}
		cj := candidateJSON{Ref: c.Ref.String()}
		if !c.Decision.Until.IsZero() {
			cj.Since = c.Decision.Until.Format(time.RFC3339)
		}
		if c.Decision.Rule != nil {
			cj.Rule = c.Decision.Rule.Name
		}
		for _, r := range c.Decision.Reasons() {
			cj.Reasons = append(cj.Reasons, r.String())
		}
		out = append(out, cj)
	}
	if g.json {
		return printJSON(stdout, map[string]any{"due": out})
	}
	if len(out) == 0 {
		fmt.Fprintln(stdout, "Nothing is due.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RECORD\tDUE SINCE\tREASON")
	for _, c := range out {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Ref, c.Since, strings.Join(c.Reasons, "; "))
	}
	tw.Flush()
	fmt.Fprintf(stdout, "%d records are due.\n", len(out))
	return nil
}

func sweepApply(ctx context.Context, g *globals, max int, stdout, stderr io.Writer) error {
	e, err := open(ctx, g, true)
	if err != nil {
		return err
	}
	defer e.Close()
	bar := newProgress(stderr)
	rep, err := e.steward.Sweep(ctx, &retention.ExecuteOptions{Max: max, Progress: func(p retention.Progress) {
		bar.show("swept %d records, disposed of %d", p.Scanned, p.Disposed)
	}})
	bar.done()
	if err != nil {
		return err
	}
	if g.json {
		refusals := []map[string]string{}
		for _, r := range rep.Refusals {
			refusals = append(refusals, map[string]string{"ref": r.Ref.String(), "error": r.Err.Error()})
		}
		return printJSON(stdout, map[string]any{
			"scanned": rep.Scanned, "disposed": rep.Disposed, "refused": refusals, "gone": rep.Gone,
			"capped": rep.Capped, "erasures_completed": rep.Completed,
		})
	}
	switch {
	case rep.Disposed == 0 && rep.Completed == 0 && len(rep.Refusals) == 0:
		fmt.Fprintf(stdout, "Nothing to dispose of: %d records looked at.\n", rep.Scanned)
	default:
		fmt.Fprintf(stdout, "Disposed of %d records (%d looked at).\n", rep.Disposed, rep.Scanned)
		if rep.Completed > 0 {
			fmt.Fprintf(stdout, "Completed the erasure of %d records a released hold had kept.\n", rep.Completed)
		}
		for _, r := range rep.Refusals {
			fmt.Fprintf(stdout, "Kept %s: %v\n", r.Ref, r.Err)
		}
		if rep.Capped {
			fmt.Fprintf(stdout, "Stopped at --max %d; run again to go on.\n", max)
		}
	}
	return nil
}

type holdFlags struct {
	id, matter, ground, subject, category, record, by string
}

func (h *holdFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&h.id, "id", "", "hold ID")
	fs.StringVar(&h.matter, "matter", "", "the case or matter")
	fs.StringVar(&h.ground, "ground", "", "law, court_order or legal_claim")
	fs.StringVar(&h.subject, "subject", "", "hold every record of this subject")
	fs.StringVar(&h.category, "category", "", "hold every record of this category")
	fs.StringVar(&h.record, "record", "", "hold this record, as CATEGORY/ID")
	fs.StringVar(&h.by, "by", "", "who places or releases the hold")
}

func holdPlace(ctx context.Context, g *globals, h *holdFlags, stdout io.Writer) error {
	var scope retention.Scope
	n := 0
	if h.subject != "" {
		scope, n = retention.SubjectScope(privacy.SubjectID(h.subject)), n+1
	}
	if h.category != "" {
		scope, n = retention.CategoryScope(privacy.Category(h.category)), n+1
	}
	if h.record != "" {
		cat, id, ok := strings.Cut(h.record, "/")
		if !ok || cat == "" || id == "" {
			return usagef("--record %q: want CATEGORY/ID", h.record)
		}
		scope, n = retention.RecordScope(privacy.Ref{Category: privacy.Category(cat), ID: id}), n+1
	}
	if n != 1 {
		return usagef("hold place: give exactly one of --subject, --category, --record")
	}
	e, err := open(ctx, g, false)
	if err != nil {
		return err
	}
	defer e.Close()
	hold, err := e.steward.Holds().Place(ctx, retention.Hold{ID: h.id, Matter: h.matter, Ground: retention.Ground(h.ground), Scope: scope, PlacedBy: h.by})
	if err != nil {
		if errors.Is(err, privacy.ErrInvalid) {
			return usageError{err.Error()}
		}
		return err
	}
	if g.json {
		return printJSON(stdout, holdJSON(hold))
	}
	fmt.Fprintf(stdout, "Placed hold %s on %s (matter %s).\n", hold.ID, hold.Scope, hold.Matter)
	return nil
}

func holdRelease(ctx context.Context, g *globals, id, by string, stdout io.Writer) error {
	if by == "" {
		return usagef("hold release: --by is required")
	}
	e, err := open(ctx, g, true)
	if err != nil {
		return err
	}
	defer e.Close()
	hold, completed, err := e.steward.Release(ctx, id, by)
	if err != nil {
		return err
	}
	if g.json {
		j := holdJSON(hold)
		j["erasures_completed"] = completed
		return printJSON(stdout, j)
	}
	fmt.Fprintf(stdout, "Released hold %s.\n", hold.ID)
	if completed > 0 {
		fmt.Fprintf(stdout, "Completed the erasure of %d records it had kept.\n", completed)
	}
	return nil
}

func holdList(ctx context.Context, g *globals, stdout io.Writer) error {
	e, err := open(ctx, g, false)
	if err != nil {
		return err
	}
	defer e.Close()
	var holds []map[string]any
	for h, err := range e.steward.Holds().Active(ctx) {
		if err != nil {
			return err
		}
		holds = append(holds, holdJSON(h))
	}
	if g.json {
		if holds == nil {
			holds = []map[string]any{}
		}
		return printJSON(stdout, map[string]any{"holds": holds})
	}
	if len(holds) == 0 {
		fmt.Fprintln(stdout, "No active holds.")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSCOPE\tGROUND\tMATTER\tPLACED")
	for _, h := range holds {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", h["id"], h["scope"], h["ground"], h["matter"], h["placed_at"])
	}
	return tw.Flush()
}

func holdJSON(h retention.Hold) map[string]any {
	scope := h.Scope.String()
	if h.Scope.Kind == retention.ScopeSubject {
		scope = "subject " + string(h.Scope.Subject)
	}
	j := map[string]any{"id": h.ID, "matter": h.Matter, "ground": string(h.Ground), "scope": scope,
		"placed_by": h.PlacedBy, "placed_at": h.PlacedAt.UTC().Format(time.RFC3339)}
	if !h.Active() {
		j["released_by"], j["released_at"] = h.ReleasedBy, h.ReleasedAt.UTC().Format(time.RFC3339)
	}
	return j
}

func erase(ctx context.Context, g *globals, subject string, stdout io.Writer) error {
	e, err := open(ctx, g, true)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := known(ctx, e, subject); err != nil {
		return err
	}
	rep, err := e.steward.Erase(ctx, privacy.SubjectID(subject))
	if err != nil {
		return err
	}
	if g.json {
		return printJSON(stdout, rep)
	}
	lang, _ := languageOf(g.lang)
	fmt.Fprint(stdout, e.steward.RenderErasure(rep, lang))
	if !rep.Changed() {
		fmt.Fprintln(stdout, "Nothing changed: an earlier erasure did all that may be done.")
	}
	return nil
}

// known fails for a subject with no records.
func known(ctx context.Context, e *env, subject string) error {
	if subject == "" {
		return usagef("empty subject")
	}
	for _, err := range e.store.BySubject(ctx, privacy.SubjectID(subject)) {
		return err
	}
	return fmt.Errorf("subject %q has no records", subject)
}

type exportFlags struct {
	formats, out, recipient string
}

func (x *exportFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&x.formats, "format", "csv,json,html", "formats: csv, json, ndjson, xml, xlsx, html")
	fs.StringVar(&x.out, "out", "", "the archive file to write")
	fs.StringVar(&x.recipient, "recipient", "", "encrypt to this age X25519 recipient (age1...)")
}

func exportSubject(ctx context.Context, g *globals, subject string, x *exportFlags, stdout, stderr io.Writer) error {
	if x.out == "" {
		return usagef("export: --out FILE is required")
	}
	var formats []export.Format
	for _, f := range strings.Split(x.formats, ",") {
		format := export.Format(strings.TrimSpace(f))
		if err := format.Validate(); err != nil {
			return usagef("--format: unknown format %q", f)
		}
		formats = append(formats, format)
	}
	opts := &export.ArchiveOptions{Formats: formats}
	if x.recipient != "" {
		r, err := age.ParseX25519Recipient(x.recipient)
		if err != nil {
			return usagef("--recipient: %v", err)
		}
		opts.Recipients = []age.Recipient{r}
	}
	lang, err := languageOf(g.lang)
	if err != nil {
		return err
	}
	opts.Language = lang
	e, err := open(ctx, g, true)
	if err != nil {
		return err
	}
	defer e.Close()
	if err := known(ctx, e, subject); err != nil {
		return err
	}
	// Write beside the target and rename when complete, so that a failed
	// export never leaves a file that looks finished.
	tmp, err := os.CreateTemp(filepath.Dir(x.out), ".steward-export-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bar := newProgress(stderr)
	w := &countingWriter{w: tmp, report: func(n int64) { bar.show("exported %d KiB", n/1024) }}
	err = e.steward.Export(ctx, privacy.SubjectID(subject), w, opts)
	bar.done()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("export of %s failed, nothing written to %s: %w", subject, x.out, err)
	}
	if err := os.Rename(tmp.Name(), x.out); err != nil {
		return err
	}
	if g.json {
		return printJSON(stdout, map[string]any{"subject": subject, "out": x.out, "bytes": w.n, "formats": formats, "encrypted": x.recipient != ""})
	}
	fmt.Fprintf(stdout, "Wrote %s (%d bytes).\n", x.out, w.n)
	return nil
}

type countingWriter struct {
	w      io.Writer
	n      int64
	last   int64
	report func(int64)
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.n-c.last >= 1<<20 {
		c.last = c.n
		c.report(c.n)
	}
	return n, err
}

func stats(ctx context.Context, g *globals, k int, stdout io.Writer) error {
	if k < 2 {
		return usagef("--k must be at least 2")
	}
	e, err := open(ctx, g, false)
	if err != nil {
		return err
	}
	defer e.Close()
	rows := aggregate.Rows(e.store.Scan(ctx, privacy.Ref{}), func(r privacy.Record) (aggregate.Row, bool) {
		return aggregate.Row{Subject: r.Subject, Key: aggregate.Key{string(r.Ref.Category)}}, true
	})
	rel, err := aggregate.Build(ctx, []aggregate.Dim{{Name: "category"}}, rows, &aggregate.Options{MinSubjects: k})
	if err != nil {
		return err
	}
	type cell struct {
		Category string `json:"category"`
		Subjects *int64 `json:"subjects"`
		Records  *int64 `json:"records"`
		Status   string `json:"status"`
	}
	cells := []cell{}
	for _, c := range rel.Cells {
		x := cell{Category: c.Key[0], Status: c.Status.String()}
		if !c.Status.Suppressed() {
			x.Subjects, x.Records = &c.Subjects, &c.Records
		}
		cells = append(cells, x)
	}
	if g.json {
		return printJSON(stdout, map[string]any{"min_subjects": k, "cells": cells})
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CATEGORY\tSUBJECTS\tRECORDS")
	for _, c := range cells {
		if c.Subjects == nil {
			fmt.Fprintf(tw, "%s\t-\t-\t(%s)\n", c.Category, c.Status)
			continue
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\n", c.Category, *c.Subjects, *c.Records)
	}
	tw.Flush()
	fmt.Fprintf(stdout, "Figures of fewer than %d subjects are withheld.\n", k)
	return nil
}

func auditVerify(ctx context.Context, g *globals, stdout io.Writer) error {
	e, err := open(ctx, g, false)
	if err != nil {
		return err
	}
	defer e.Close()
	head, err := privacy.Verify(ctx, e.store.AuditLog())
	if g.json {
		out := map[string]any{"entries": head.Seq, "head": head.Hash.String(), "verified": err == nil}
		if err != nil {
			out["error"] = err.Error()
		}
		if perr := printJSON(stdout, out); perr != nil {
			return perr
		}
		return err
	}
	if err != nil {
		return fmt.Errorf("the audit log does not verify: %w", err)
	}
	fmt.Fprintf(stdout, "The audit log's %d entries verify; head %s.\n", head.Seq, head.Hash)
	return nil
}

// progress shows a one-line progress bar on a terminal, and nothing elsewhere.
type progress struct {
	w     io.Writer
	on    bool
	shown bool
	last  time.Time
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.on = true
		}
	}
	return p
}

func (p *progress) show(format string, args ...any) {
	if !p.on || time.Since(p.last) < 100*time.Millisecond {
		return
	}
	p.last, p.shown = time.Now(), true
	fmt.Fprintf(p.w, "\r\033[K"+format, args...)
}

func (p *progress) done() {
	if p.shown {
		fmt.Fprint(p.w, "\r\033[K")
	}
}
