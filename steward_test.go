package steward_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/export"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ams) }

// world is a bookkeeping host: clients with invoices, orders and contact
// details, a fiscal rule for invoices, a two-year limit on contact details
// after the contract, a newsletter on consent.
type world struct {
	ctx      context.Context
	clock    *privacy.SettableClock
	audit    *privacy.MemoryAuditLog
	store    *retention.MemoryStore
	ledger   *consent.Ledger
	s        *steward.Steward
	notified []steward.Notification
}

func (w *world) Notify(_ context.Context, n steward.Notification) error {
	w.notified = append(w.notified, n)
	return nil
}

func newWorld(t *testing.T) *world {
	t.Helper()
	w := &world{ctx: context.Background(), clock: privacy.NewSettableClock(day(2019, 1, 2)), audit: privacy.NewMemoryAuditLog()}
	w.store = retention.NewMemoryStore(w.audit)
	policy, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount", "client_name"}}),
		retention.Rule{Name: "contact-limit", Category: "contact", Delete: retention.Years(2),
			Anchor: retention.OnEvent(privacy.EventContractEnded), Basis: "AVG art. 5(1)(e)", Zone: retention.DutchZone},
	)
	require.NoError(t, err)
	w.ledger, err = consent.New(nil, &consent.Options{
		Clock: w.clock, Audit: w.audit, PseudonymKey: []byte("0123456789abcdef0123456789abcdef"),
		Purposes: []consent.Purpose{
			{Name: "delivery", Basis: privacy.Contract},
			{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
			{Name: "tax", Basis: privacy.LegalObligation},
		},
	})
	require.NoError(t, err)
	_, err = w.ledger.Publish(w.ctx, consent.Notice{ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"}, Texts: map[string]consent.Text{
		"en": {Title: "Privacy statement", Body: "We use your data only for delivery and quality control."},
		"nl": {Title: "Privacyverklaring", Body: "Wij gebruiken uw gegevens alleen voor levering en kwaliteitscontrole."},
	}})
	require.NoError(t, err)
	w.s, err = steward.New(w.store, &steward.Options{
		Policy: policy, Consent: w.ledger, Audit: w.audit, Clock: w.clock, Notifier: w, Source: "",
		Labels: steward.Labels{
			"invoice": {NL: "Factuur", EN: "Invoice"},
			"order":   {NL: "Bestelling", EN: "Order"},
			"contact": {NL: "Contactgegevens", EN: "Contact details"},
		},
	})
	require.NoError(t, err)
	return w
}

func (w *world) put(t *testing.T, r privacy.Record) {
	t.Helper()
	require.NoError(t, w.store.PutRecord(w.ctx, r))
}

func invoice(id string, subject privacy.SubjectID, made time.Time) privacy.Record {
	return privacy.Record{
		Ref: privacy.Ref{Category: "invoice", ID: id}, Subject: subject, Created: made,
		Fields: []privacy.Field{
			{Name: "number", Value: id},
			{Name: "amount", Value: int64(12100)},
			{Name: "client_name", Value: "Jan de Vries", Class: privacy.Personal},
			{Name: "email", Value: "jan@example.nl", Class: privacy.Personal},
			{Name: "phone", Value: "+31 20 123 4567", Class: privacy.Personal},
		},
	}
}

func order(id string, subject privacy.SubjectID, made time.Time) privacy.Record {
	return privacy.Record{
		Ref: privacy.Ref{Category: "order", ID: id}, Subject: subject, Created: made,
		Fields: []privacy.Field{{Name: "product", Value: "bookkeeping plus"}, {Name: "delivery_address", Value: "Damrak 1, Amsterdam", Class: privacy.Personal}},
	}
}

func contact(id string, subject privacy.SubjectID, made time.Time) privacy.Record {
	return privacy.Record{
		Ref: privacy.Ref{Category: "contact", ID: id}, Subject: subject, Created: made,
		Fields: []privacy.Field{{Name: "email", Value: "jan@example.nl", Class: privacy.Personal}},
	}
}

// client1 is the client who cancels; client2 is a bystander.
func (w *world) clients(t *testing.T) {
	w.put(t, invoice("2019-17", "client-1", time.Date(2019, 3, 15, 14, 0, 0, 0, ams)))
	w.put(t, invoice("2019-18", "client-1", time.Date(2019, 5, 1, 9, 0, 0, 0, ams)))
	w.put(t, order("o-1", "client-1", day(2019, 3, 1)))
	w.put(t, contact("c-1", "client-1", day(2019, 1, 2)))
	w.put(t, invoice("2020-01", "client-2", day(2020, 1, 10)))
	w.put(t, contact("c-2", "client-2", day(2019, 1, 2)))
	_, err := w.ledger.Give(w.ctx, consent.Choice{Subject: "client-1", Purpose: "newsletter", Notice: "privacy", Version: 1, Language: language.Dutch, Method: consent.MethodWeb})
	require.NoError(t, err)
	_, err = w.ledger.Give(w.ctx, consent.Choice{Subject: "client-2", Purpose: "newsletter", Notice: "privacy", Version: 1, Language: language.Dutch, Method: consent.MethodWeb})
	require.NoError(t, err)
}

func (w *world) record(ref privacy.Ref) (privacy.Record, bool) {
	r, err := w.store.Record(w.ctx, ref)
	return r, err == nil
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update to create %s", path)
	assert.Empty(t, cmp.Diff(string(want), got), "%s differs; run go test -update after checking the change", path)
}

// snapshot returns every record of subject, as stored.
func (w *world) snapshot(t *testing.T, subject privacy.SubjectID) []privacy.Record {
	var out []privacy.Record
	for r, err := range w.store.BySubject(w.ctx, subject) {
		require.NoError(t, err)
		out = append(out, r)
	}
	return out
}

// TestCancellationScenario is the privacy statement's promise on
// cancellation: erase all personal data except what record-keeping law
// requires, keep what a legal hold keeps, and dispose of the rest when the
// law lets it go.
func TestCancellationScenario(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	_, err := w.ledger.Disclose(w.ctx, "client-1", "", "newsletter", privacy.Consent)
	require.Error(t, err, "no recipient named in the consent")
	_, err = w.s.Holds().Place(w.ctx, retention.Hold{ID: "h-1", Matter: "FIOD 2021-8", Ground: retention.GroundCourtOrder,
		Scope: retention.RecordScope(privacy.Ref{Category: "invoice", ID: "2019-18"}), PlacedBy: "legal"})
	require.NoError(t, err)
	bystander := w.snapshot(t, "client-2")

	w.clock.Set(day(2021, 6, 1))
	term, err := w.s.Terminate(w.ctx, "client-1", w.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, 4, term.Recorded)
	assert.Equal(t, map[privacy.Category]int{"invoice": 2, "order": 1, "contact": 1}, term.Exportable)

	rep, err := w.s.Erase(w.ctx, "client-1")
	require.NoError(t, err)
	assert.True(t, rep.Changed())

	// Contact details and the order are gone.
	_, ok := w.record(privacy.Ref{Category: "contact", ID: "c-1"})
	assert.False(t, ok, "contact details deleted")
	_, ok = w.record(privacy.Ref{Category: "order", ID: "o-1"})
	assert.False(t, ok, "order deleted")

	// The invoice is kept, restricted, with only the fields the fiscal rule needs.
	inv, ok := w.record(privacy.Ref{Category: "invoice", ID: "2019-17"})
	require.True(t, ok)
	assert.True(t, inv.Restricted)
	values := map[string]any{}
	for _, f := range inv.Fields {
		values[f.Name] = f.Value
	}
	assert.Equal(t, map[string]any{"number": "2019-17", "amount": int64(12100), "client_name": "Jan de Vries", "email": nil, "phone": nil}, values)

	// The held invoice is untouched.
	held, ok := w.record(privacy.Ref{Category: "invoice", ID: "2019-18"})
	require.True(t, ok)
	assert.False(t, held.Restricted)
	f, _ := held.Field("email")
	assert.Equal(t, "jan@example.nl", f.Value)

	// Marketing consent is withdrawn and the subject no longer named in the history.
	assert.Equal(t, []privacy.Purpose{"newsletter"}, rep.Withdrawn)
	for e, err := range w.ledger.History(w.ctx, "client-1") {
		require.NoError(t, err)
		t.Errorf("consent history still names the subject: %+v", e)
	}

	// The other client is untouched.
	assert.Empty(t, cmp.Diff(bystander, w.snapshot(t, "client-2")))
	cur, err := w.ledger.Current(w.ctx, "client-2", "newsletter")
	require.NoError(t, err)
	assert.Equal(t, consent.Given, cur.State)

	golden(t, "erasure.nl.golden", w.s.RenderErasure(rep, language.Dutch))
	golden(t, "erasure.en.golden", w.s.RenderErasure(rep, language.English))
	assert.Contains(t, w.s.RenderErasure(rep, steward.Language("nl-NL,nl;q=0.9")), "Factuur 2019-17 bewaard tot 1 januari 2027: fiscale bewaarplicht (AWR art. 52 lid 4).")

	// Erasing again changes nothing more, and says so.
	again, err := w.s.Erase(w.ctx, "client-1")
	require.NoError(t, err)
	assert.False(t, again.Changed())
	golden(t, "erasure-again.en.golden", w.s.RenderErasure(again, language.English))

	// The clock passes the end of retention: a sweep removes the invoice but not the held one.
	w.clock.Set(day(2027, 1, 1))
	sweeper, err := w.s.Sweeper()
	require.NoError(t, err)
	sw, err := sweeper.Execute(w.ctx, nil)
	require.NoError(t, err)
	_, ok = w.record(privacy.Ref{Category: "invoice", ID: "2019-17"})
	assert.False(t, ok, "invoice disposed of from 1 January 2027")
	_, ok = w.record(privacy.Ref{Category: "invoice", ID: "2019-18"})
	assert.True(t, ok, "held invoice stays")
	// client-2's contact details: their contract never ended, so no limit runs.
	assert.Equal(t, 1, sw.Disposed)
	_, err = privacy.Verify(w.ctx, w.audit)
	require.NoError(t, err)
}

func TestAccessReport(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	w.clock.Set(day(2021, 6, 1))
	_, err := w.ledger.RecordOrder(w.ctx, "legal", consent.LegalOrder{Authority: "Belastingdienst", Reference: "BD-2021-77", Date: day(2021, 5, 1),
		Basis: privacy.LegalObligation, Scope: consent.OrderScope{Subjects: []privacy.SubjectID{"client-1"}, Purposes: []privacy.Purpose{"tax"}}})
	require.NoError(t, err)
	_, err = w.ledger.Disclose(w.ctx, "client-1", "Belastingdienst", "tax", privacy.LegalObligation)
	require.NoError(t, err)

	rep, err := w.s.Access(w.ctx, "client-1")
	require.NoError(t, err)
	require.Len(t, rep.Records, 4)
	for _, r := range rep.Records {
		assert.Equal(t, privacy.SubjectID("client-1"), r.Record.Subject, "only the subject's own records")
	}
	assert.Equal(t, []string{"Belastingdienst"}, rep.Recipients)
	assert.ElementsMatch(t, []privacy.Category{"invoice", "order", "contact"}, rep.Categories)
	golden(t, "access.nl.golden", w.s.RenderAccess(rep, language.Dutch))
	golden(t, "access.en.golden", w.s.RenderAccess(rep, language.English))
}

func TestRectify(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	_, err := w.ledger.Give(w.ctx, consent.Choice{Subject: "client-1", Purpose: "newsletter", Notice: "privacy", Version: 1, Language: language.Dutch, Method: consent.MethodWeb, Recipients: []string{"Mailer BV"}})
	require.NoError(t, err)
	_, err = w.ledger.Disclose(w.ctx, "client-1", "Mailer BV", "newsletter", privacy.Consent)
	require.NoError(t, err)
	ref := privacy.Ref{Category: "contact", ID: "c-1"}
	const marker = "nieuw-adres@example.nl"

	out, err := w.s.Rectify(w.ctx, "client-1", ref, []privacy.Field{{Name: "email", Value: marker}})
	require.NoError(t, err)
	assert.Equal(t, []string{"email"}, out.Fields)
	assert.Equal(t, []string{"Mailer BV"}, out.Notified, "recipients are told (Art. 19)")
	require.Len(t, w.notified, 1)
	assert.Equal(t, []string{"email"}, w.notified[0].Fields)
	r, _ := w.record(ref)
	f, _ := r.Field("email")
	assert.Equal(t, marker, f.Value)
	assert.Equal(t, privacy.Personal, f.Class, "the field keeps its class")
	for e, err := range w.audit.Events(w.ctx, 0) {
		require.NoError(t, err)
		assert.NotContains(t, e.Object+e.Reason+e.Actor, marker, "no value in the audit log")
	}

	cases := []struct {
		name    string
		subject privacy.SubjectID
		ref     privacy.Ref
		changes []privacy.Field
		is      error
	}{
		{"another subject's record is not found", "client-2", ref, []privacy.Field{{Name: "email", Value: "x@example.nl"}}, privacy.ErrNotFound},
		{"an unknown field is invalid", "client-1", ref, []privacy.Field{{Name: "shoe_size", Value: int64(44)}}, privacy.ErrInvalid},
		{"a plain field is not rectified this way", "client-1", privacy.Ref{Category: "order", ID: "o-1"}, []privacy.Field{{Name: "product", Value: "x"}}, privacy.ErrInvalid},
		{"a value of an unsupported type is invalid", "client-1", ref, []privacy.Field{{Name: "email", Value: 42}}, privacy.ErrInvalid},
		{"no changes is invalid", "client-1", ref, nil, privacy.ErrInvalid},
		{"an empty subject is invalid", "", ref, []privacy.Field{{Name: "email", Value: "x"}}, privacy.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := w.snapshot(t, "client-1")
			_, err := w.s.Rectify(w.ctx, tc.subject, tc.ref, tc.changes)
			assert.ErrorIs(t, err, tc.is)
			assert.Empty(t, cmp.Diff(before, w.snapshot(t, "client-1")), "nothing changed")
		})
	}

	t.Run("a held record is refused", func(t *testing.T) {
		_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundLaw, Scope: retention.RecordScope(ref), PlacedBy: "legal"})
		require.NoError(t, err)
		_, err = w.s.Rectify(w.ctx, "client-1", ref, []privacy.Field{{Name: "email", Value: "y@example.nl"}})
		assert.ErrorIs(t, err, privacy.ErrHeld)
	})
	t.Run("a restricted record is refused", func(t *testing.T) {
		w.clock.Set(day(2021, 6, 1))
		_, err := w.s.Erase(w.ctx, "client-1")
		require.NoError(t, err)
		_, err = w.s.Rectify(w.ctx, "client-1", privacy.Ref{Category: "invoice", ID: "2019-17"}, []privacy.Field{{Name: "client_name", Value: "J. de Vries"}})
		assert.ErrorIs(t, err, privacy.ErrRetained)
	})
}

func TestArchiveReadsOnlyByTheAdministrator(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	read := func(actor string, purpose privacy.Purpose) (int, error) {
		n := 0
		for _, err := range w.s.Read(w.ctx, actor, purpose, "client-1") {
			if err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	}
	_, err := read("accountant@firm", steward.PurposeAccountingConsultation)
	assert.ErrorIs(t, err, privacy.ErrNotFound, "no archive yet")

	_, err = w.s.Archive(w.ctx, "client-1", "accountant@firm", day(2020, 1, 1))
	require.NoError(t, err)
	n, err := read("accountant@firm", steward.PurposeAccountingConsultation)
	require.NoError(t, err)
	assert.Equal(t, 4, n)

	for name, tc := range map[string]struct {
		actor   string
		purpose privacy.Purpose
	}{
		"another actor":        {"support@host", steward.PurposeAccountingConsultation},
		"the client itself":    {"client-1", steward.PurposeAccountingConsultation},
		"another purpose":      {"accountant@firm", "marketing"},
		"an empty actor":       {"", steward.PurposeAccountingConsultation},
		"another subject's ID": {"client-2", steward.PurposeAccountingConsultation},
	} {
		t.Run(name, func(t *testing.T) {
			n, err := read(tc.actor, tc.purpose)
			assert.ErrorIs(t, err, privacy.ErrNoConsent)
			assert.Zero(t, n, "no record before the refusal")
		})
	}
	w.clock.Set(day(2020, 1, 1))
	_, err = read("accountant@firm", steward.PurposeAccountingConsultation)
	assert.ErrorIs(t, err, privacy.ErrNoConsent, "the archive ended")

	reads, refused := 0, 0
	for e, err := range w.audit.Events(w.ctx, 0) {
		require.NoError(t, err)
		if e.Action == privacy.ActionArchiveRead {
			if e.Reason == "refused" {
				refused++
			} else {
				reads++
				assert.Equal(t, int64(4), e.Count)
			}
		}
	}
	assert.Equal(t, 1, reads, "every read is audited")
	assert.Equal(t, 6, refused, "every refusal is audited")

	_, err = w.s.Archive(w.ctx, "client-1", "accountant@firm", day(2019, 1, 1))
	assert.ErrorIs(t, err, privacy.ErrInvalid, "an archive must end in the future")
}

func TestTerminateKeepsTheFirstDate(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	first := day(2021, 6, 1)
	_, err := w.s.Terminate(w.ctx, "client-1", first)
	require.NoError(t, err)
	term, err := w.s.Terminate(w.ctx, "client-1", day(2022, 1, 1))
	require.NoError(t, err)
	assert.Zero(t, term.Recorded)
	r, _ := w.record(privacy.Ref{Category: "contact", ID: "c-1"})
	assert.True(t, first.Equal(r.Events[privacy.EventContractEnded]))
	// The contact limit now runs: two years after the end.
	for _, k := range term.Retained {
		if k.Ref.ID == "c-1" {
			assert.Equal(t, retention.NotDue, k.Outcome)
			assert.True(t, day(2023, 6, 2).Equal(k.Until), "until %v", k.Until)
		}
	}
	_, ok := w.record(privacy.Ref{Category: "contact", ID: "c-2"})
	require.True(t, ok)
	r2, _ := w.record(privacy.Ref{Category: "contact", ID: "c-2"})
	assert.NotContains(t, r2.Events, privacy.EventContractEnded, "another subject's records are not touched")
	_, err = w.s.Terminate(w.ctx, "client-1", time.Time{})
	assert.ErrorIs(t, err, privacy.ErrInvalid)
}

func TestExportArchive(t *testing.T) {
	w := newWorld(t)
	w.clients(t)
	_, err := w.s.Holds().Place(w.ctx, retention.Hold{ID: "h", Matter: "m", Ground: retention.GroundLaw,
		Scope: retention.RecordScope(privacy.Ref{Category: "invoice", ID: "2019-18"}), PlacedBy: "legal"})
	require.NoError(t, err)
	_, err = w.s.Holds().Place(w.ctx, retention.Hold{ID: "other", Matter: "m", Ground: retention.GroundLaw,
		Scope: retention.SubjectScope("client-2"), PlacedBy: "legal"})
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, w.s.Export(w.ctx, "client-1", &buf, &export.ArchiveOptions{
		Options: export.Options{Language: language.Dutch}, Formats: []export.Format{export.CSV, export.JSON},
	}))
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	require.NoError(t, err)
	files := map[string]*zip.File{}
	for _, f := range zr.File {
		files[f.Name] = f
	}
	require.Contains(t, files, "manifest.json")
	rc, err := files["manifest.json"].Open()
	require.NoError(t, err)
	var m export.Manifest
	require.NoError(t, json.NewDecoder(rc).Decode(&m))
	assert.True(t, m.Complete)
	assert.Equal(t, privacy.SubjectID("client-1"), m.Subject)
	records := map[privacy.Category]int64{}
	for _, f := range m.Files {
		if f.Format == export.CSV {
			records[f.Category] = f.Records
		}
	}
	assert.Equal(t, map[privacy.Category]int64{"contact": 1, "invoice": 2, "order": 1}, records, "only client-1's records, per category")
	rc, err = files["index.html"].Open()
	require.NoError(t, err)
	index, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Contains(t, string(index), "fiscale bewaarplicht (AWR art. 52 lid 4)")
	assert.Equal(t, 1, strings.Count(string(index), "bewaard vanwege een juridische bewaarplicht"),
		"the held invoice says so; another subject's hold covers nothing here")
	assert.NotContains(t, buf.String(), "client-2")
}
