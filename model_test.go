package steward_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/language"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

var (
	modelSequences = flag.Int("model.sequences", 3000, "random lifecycles the model-based test runs per store")
	modelSteps     = flag.Int("model.steps", 40, "operations per lifecycle")
	modelSeed      = flag.Uint64("model.seed", 0, "run only the lifecycle with this seed (printed by a failure)")
	modelSQLite    = flag.Int("model.sqlite", 300, "random lifecycles the model-based test runs on SQLite")
)

// The model: plain maps and the statutes written out by hand, obviously
// right, against which the library is compared after every step.

type mRecord struct {
	ref        privacy.Ref
	subject    privacy.SubjectID
	created    time.Time
	ended      time.Time // contract.ended, zero if not yet
	fields     map[string]any
	restricted bool
	minimised  bool
	pending    bool // erasure held back by a hold
}

type mHold struct {
	id    string
	scope retention.Scope
}

type model struct {
	now     time.Time
	records map[privacy.Ref]*mRecord
	holds   map[string]mHold // active only
	erased  map[privacy.SubjectID]bool
	deleted int // disposals, each of which must have one tombstone
}

func (m *model) held(r *mRecord) bool {
	probe := privacy.Record{Ref: r.ref, Subject: r.subject}
	for _, h := range m.holds {
		if h.scope.Covers(&probe) {
			return true
		}
	}
	return false
}

// fiscalEnd is the first instant an invoice may go: 1 January, eight years
// after the year it was made, 00:00 in Amsterdam (kept through 31 December
// of the seventh year after).
func fiscalEnd(created time.Time) time.Time {
	return time.Date(created.In(ams).Year()+8, 1, 1, 0, 0, 0, 0, ams)
}

// contactEnd is the first instant contact details must go: the day after two
// years from the contract's end, by date in Amsterdam, 29 February clamped.
func contactEnd(ended time.Time) time.Time {
	y, m, d := ended.In(ams).Date()
	y += 2
	if m == time.February && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		d = 28
	}
	return time.Date(y, m, d+1, 0, 0, 0, 0, ams)
}

// retained: an invoice inside its fiscal period.
func (m *model) retained(r *mRecord) bool {
	return r.ref.Category == "invoice" && m.now.Before(fiscalEnd(r.created))
}

// due: what a sweep disposes of.
func (m *model) due(r *mRecord) bool {
	if m.held(r) {
		return false
	}
	switch r.ref.Category {
	case "invoice":
		return !m.now.Before(fiscalEnd(r.created))
	case "contact":
		return !r.ended.IsZero() && !m.now.Before(contactEnd(r.ended))
	}
	return false
}

func (m *model) subjectRecords(s privacy.SubjectID) []*mRecord {
	var out []*mRecord
	for _, r := range m.records {
		if r.subject == s {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *mRecord) int { return a.ref.Compare(b.ref) })
	return out
}

func (m *model) dueRefs() []privacy.Ref {
	var out []privacy.Ref
	for _, r := range m.records {
		if m.due(r) {
			out = append(out, r.ref)
		}
	}
	slices.SortFunc(out, privacy.Ref.Compare)
	return out
}

func (m *model) erase(s privacy.SubjectID) {
	for _, r := range m.subjectRecords(s) {
		m.eraseRecord(r)
	}
	m.erased[s] = true
}

// completePending finishes the erasures holds held back, once no hold keeps
// the record.
func (m *model) completePending() {
	for _, r := range m.allRecords() {
		if r.pending && !m.held(r) {
			m.eraseRecord(r)
		}
	}
}

func (m *model) allRecords() []*mRecord {
	var out []*mRecord
	for _, ref := range m.allRefs() {
		out = append(out, m.records[ref])
	}
	return out
}

func (m *model) eraseRecord(r *mRecord) {
	{
		switch {
		case m.held(r):
			r.pending = true
		case m.retained(r):
			if !r.minimised {
				for name := range r.fields {
					if name == "email" {
						r.fields[name] = nil
					}
				}
				r.restricted, r.minimised = true, true
			}
			r.pending = false
		default:
			delete(m.records, r.ref)
			m.deleted++
		}
	}
}

// lifecycle is the real library under test.
type lifecycle struct {
	ctx    context.Context
	clock  *privacy.SettableClock
	audit  privacy.AuditLog
	store  modelStore
	ledger *consent.Ledger
	s      *steward.Steward
}

// modelStore is what the test needs of a store: Steward's records, a sweep
// inventory, holds, and putting and reading records.
type modelStore interface {
	steward.Records
	retention.Inventory
	retention.HoldStore
	PutRecord(ctx context.Context, r privacy.Record) error
}

var modelPolicy = func() *retention.Policy {
	p, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount", "client_name"}}),
		retention.Rule{Name: "contact-limit", Category: "contact", Delete: retention.Years(2),
			Anchor: retention.OnEvent(privacy.EventContractEnded), Basis: "AVG art. 5(1)(e)", Zone: retention.DutchZone},
	)
	if err != nil {
		panic(err)
	}
	return p
}()

func newLifecycle(t *testing.T, store modelStore, audit privacy.AuditLog, start time.Time) *lifecycle {
	l := &lifecycle{ctx: context.Background(), clock: privacy.NewSettableClock(start), audit: audit, store: store}
	var err error
	l.ledger, err = consent.New(nil, &consent.Options{
		Clock: l.clock, Audit: audit, PseudonymKey: []byte("model test pseudonym key 0123456"),
		Purposes: []consent.Purpose{{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"}},
	})
	require.NoError(t, err)
	_, err = l.ledger.Publish(l.ctx, consent.Notice{ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"}, Texts: map[string]consent.Text{
		"en": {Title: "Privacy", Body: "Delivery and quality control."}, "nl": {Title: "Privacy", Body: "Levering en kwaliteitscontrole."},
	}})
	require.NoError(t, err)
	l.s, err = steward.New(store, &steward.Options{Policy: modelPolicy, Consent: l.ledger, Audit: audit, Clock: l.clock})
	require.NoError(t, err)
	return l
}

// runLifecycle plays one random sequence of operations on the model and the
// library, comparing them after every step. It returns a description of the
// first disagreement, or "".
func runLifecycle(t *testing.T, seed uint64, steps int, newStore func(t *testing.T) (modelStore, privacy.AuditLog)) string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	start := time.Date(2019, 1, 1, 9, 0, 0, 0, ams).Add(time.Duration(rng.IntN(365*24)) * time.Hour)
	store, audit := newStore(t)
	l := newLifecycle(t, store, audit, start)
	m := &model{now: start, records: map[privacy.Ref]*mRecord{}, holds: map[string]mHold{}, erased: map[privacy.SubjectID]bool{}}
	subjects := []privacy.SubjectID{"s1", "s2", "s3", "x'); DROP TABLE records;--"}
	categories := []privacy.Category{"invoice", "contact", "order"}
	nextID, nextHold := 0, 0
	var log []string
	fail := func(format string, args ...any) string {
		return fmt.Sprintf("seed %d, after %s: %s", seed, strings.Join(log, " → "), fmt.Sprintf(format, args...))
	}
	for step := 0; step < steps; step++ {
		s := subjects[rng.IntN(len(subjects))]
		var op string
		switch k := rng.IntN(100); {
		case k < 30: // create a record
			if m.erased[s] {
				continue
			}
			cat := categories[rng.IntN(len(categories))]
			nextID++
			r := &mRecord{ref: privacy.Ref{Category: cat, ID: fmt.Sprintf("r%03d", nextID)}, subject: s, created: m.now, fields: map[string]any{}}
			pr := privacy.Record{Ref: r.ref, Subject: s, Created: m.now}
			for _, f := range fieldsOf(cat, nextID) {
				pr.Fields = append(pr.Fields, f)
				r.fields[f.Name] = f.Value
			}
			if err := l.store.PutRecord(l.ctx, pr); err != nil {
				return fail("create: %v", err)
			}
			m.records[r.ref] = r
			op = "create " + r.ref.String()
		case k < 38: // consent
			if m.erased[s] {
				continue
			}
			var err error
			if rng.IntN(2) == 0 {
				_, err = l.ledger.Give(l.ctx, consent.Choice{Subject: s, Purpose: "newsletter", Notice: "privacy", Version: 1, Language: language.English, Method: consent.MethodWeb})
				op = "give"
			} else {
				_, err = l.ledger.Withdraw(l.ctx, consent.Choice{Subject: s, Purpose: "newsletter", Method: consent.MethodWeb})
				if isNotFoundErr(err) {
					err = nil // never asked: nothing to withdraw
				}
				op = "withdraw"
			}
			if err != nil {
				return fail("%s: %v", op, err)
			}
		case k < 50: // place a hold of some scope
			nextHold++
			id := fmt.Sprintf("h%d", nextHold)
			var scope retention.Scope
			switch rng.IntN(3) {
			case 0:
				scope = retention.SubjectScope(s)
			case 1:
				scope = retention.CategoryScope(categories[rng.IntN(len(categories))])
			default:
				refs := m.allRefs()
				if len(refs) == 0 {
					continue
				}
				scope = retention.RecordScope(refs[rng.IntN(len(refs))])
			}
			if _, err := l.s.Holds().Place(l.ctx, retention.Hold{ID: id, Matter: "matter " + id, Ground: retention.GroundLegalClaim, Scope: scope, PlacedBy: "legal"}); err != nil {
				return fail("hold: %v", err)
			}
			m.holds[id] = mHold{id: id, scope: scope}
			op = "hold " + scope.String()
		case k < 58: // release a hold
			ids := make([]string, 0, len(m.holds))
			for id := range m.holds {
				ids = append(ids, id)
			}
			if len(ids) == 0 {
				continue
			}
			slices.Sort(ids)
			id := ids[rng.IntN(len(ids))]
			if _, _, err := l.s.Release(l.ctx, id, "legal"); err != nil {
				return fail("release: %v", err)
			}
			delete(m.holds, id)
			m.completePending()
			op = "release " + id
		case k < 66: // erase
			if _, err := l.s.Erase(l.ctx, s); err != nil {
				return fail("erase: %v", err)
			}
			m.erase(s)
			op = "erase"
		case k < 72: // terminate
			if _, err := l.s.Terminate(l.ctx, s, m.now); err != nil {
				return fail("terminate: %v", err)
			}
			for _, r := range m.subjectRecords(s) {
				if r.ended.IsZero() {
					r.ended = m.now
				}
			}
			op = "terminate"
		case k < 75: // archive
			if _, err := l.s.Archive(l.ctx, s, "accountant", m.now.AddDate(1, 0, 0)); err != nil {
				return fail("archive: %v", err)
			}
			n := 0
			for _, err := range l.s.Read(l.ctx, "accountant", steward.PurposeAccountingConsultation, s) {
				if err != nil {
					return fail("archive read: %v", err)
				}
				n++
			}
			if n != len(m.subjectRecords(s)) {
				return fail("archive read %d records, model has %d", n, len(m.subjectRecords(s)))
			}
			for _, err := range l.s.Read(l.ctx, "someone else", steward.PurposeAccountingConsultation, s) {
				if err == nil {
					return fail("archive read by someone else was allowed")
				}
			}
			op = "archive"
		case k < 87: // move the clock
			var d time.Duration
			switch rng.IntN(3) {
			case 0:
				d = time.Duration(1+rng.IntN(72)) * time.Hour
			case 1:
				d = time.Duration(1+rng.IntN(400)) * 24 * time.Hour
			default:
				d = time.Duration(1+rng.IntN(4*365)) * 24 * time.Hour
			}
			m.now = m.now.Add(d)
			l.clock.Set(m.now)
			op = "clock +" + d.String()
		default: // sweep: plan, execute, or execute with a cap
			sw, err := l.s.Sweeper()
			if err != nil {
				return fail("sweeper: %v", err)
			}
			var planned []privacy.Ref
			for c, err := range sw.Plan(l.ctx) {
				if err != nil {
					return fail("plan: %v", err)
				}
				planned = append(planned, c.Ref)
			}
			want := m.dueRefs()
			if !slices.Equal(planned, want) {
				return fail("plan %v, model says due %v", planned, want)
			}
			capN := 0
			if rng.IntN(2) == 0 {
				capN = 1 + rng.IntN(3)
			}
			rep, err := sw.Execute(l.ctx, &retention.ExecuteOptions{Max: capN})
			if err != nil {
				return fail("execute: %v", err)
			}
			gone := want
			if capN > 0 && len(gone) > capN {
				gone = gone[:capN]
			}
			for _, ref := range gone {
				delete(m.records, ref)
				m.deleted++
			}
			if rep.Disposed != len(gone) || len(rep.Refusals) > 0 {
				return fail("execute (cap %d) disposed %d with refusals %v, model %d", capN, rep.Disposed, rep.Refusals, len(gone))
			}
			op = fmt.Sprintf("sweep(cap %d)", capN)
		}
		log = append(log, op)
		if msg := l.compare(m); msg != "" {
			return fail("%s", msg)
		}
	}
	return ""
}

func fieldsOf(cat privacy.Category, n int) []privacy.Field {
	switch cat {
	case "invoice":
		return []privacy.Field{
			{Name: "number", Value: fmt.Sprintf("INV-%d", n)}, {Name: "amount", Value: int64(100 * n)},
			{Name: "client_name", Value: fmt.Sprintf("Client %d", n), Class: privacy.Personal},
			{Name: "email", Value: fmt.Sprintf("c%d@example.nl", n), Class: privacy.Personal},
		}
	case "contact":
		return []privacy.Field{{Name: "email", Value: fmt.Sprintf("c%d@example.nl", n), Class: privacy.Personal}, {Name: "sector", Value: "retail"}}
	}
	return []privacy.Field{{Name: "product", Value: "plus"}, {Name: "address", Value: fmt.Sprintf("Damrak %d", n), Class: privacy.Personal}}
}

func (m *model) allRefs() []privacy.Ref {
	var out []privacy.Ref
	for ref := range m.records {
		out = append(out, ref)
	}
	slices.SortFunc(out, privacy.Ref.Compare)
	return out
}

func isNotFoundErr(err error) bool { return errors.Is(err, privacy.ErrNotFound) }

// compare checks the invariants: the library holds exactly the model's
// records with the same fields and restriction; no erased subject's
// personal field is readable beyond what the fiscal rule needs; every
// disposal has one tombstone; the audit log verifies.
func (l *lifecycle) compare(m *model) string {
	seen := map[privacy.Ref]bool{}
	for r, err := range l.store.Scan(l.ctx, privacy.Ref{}) {
		if err != nil {
			return "scan: " + err.Error()
		}
		seen[r.Ref] = true
		mr, ok := m.records[r.Ref]
		if !ok {
			return fmt.Sprintf("%s exists; the model says it is gone", r.Ref)
		}
		if r.Subject != mr.subject || r.Restricted != mr.restricted {
			return fmt.Sprintf("%s: subject %q restricted %v; model %q %v", r.Ref, r.Subject, r.Restricted, mr.subject, mr.restricted)
		}
		if len(r.Fields) != len(mr.fields) {
			return fmt.Sprintf("%s has %d fields, model %d", r.Ref, len(r.Fields), len(mr.fields))
		}
		for _, f := range r.Fields {
			if want, ok := mr.fields[f.Name]; !ok || want != f.Value {
				return fmt.Sprintf("%s field %s differs from the model", r.Ref, f.Name)
			}
			if m.erased[mr.subject] && f.Class.IsPersonal() && f.Value != nil && f.Name != "client_name" && !m.held(mr) && !r.Restricted {
				return fmt.Sprintf("%s: erased subject's field %s readable", r.Ref, f.Name)
			}
		}
	}
	for ref, mr := range m.records {
		if !seen[ref] {
			if m.held(mr) {
				return fmt.Sprintf("held record %s is gone", ref)
			}
			if m.retained(mr) {
				return fmt.Sprintf("retained record %s is gone", ref)
			}
			return fmt.Sprintf("%s is gone; the model keeps it", ref)
		}
	}
	tombs := 0
	for e, err := range l.audit.Events(l.ctx, 0) {
		if err != nil {
			return "audit: " + err.Error()
		}
		if e.Action == privacy.ActionDisposed {
			tombs++
		}
	}
	if tombs != m.deleted {
		return fmt.Sprintf("%d tombstones for %d disposals", tombs, m.deleted)
	}
	if _, err := privacy.Verify(l.ctx, l.audit); err != nil {
		return "audit log does not verify: " + err.Error()
	}
	return ""
}

func runModel(t *testing.T, name string, sequences int, newStore func(t *testing.T) (modelStore, privacy.AuditLog)) {
	t.Run(name, func(t *testing.T) {
		first, n := uint64(1), uint64(sequences)
		if *modelSeed != 0 {
			first, n = *modelSeed, 1
		}
		for seed := first; seed < first+n; seed++ {
			if msg := runLifecycle(t, seed, *modelSteps, newStore); msg != "" {
				t.Fatalf("%s\nreplay: go test -run 'TestModel/%s' -model.seed=%d", msg, name, seed)
			}
		}
		t.Logf("%d lifecycles of %d steps, %d operations (seeds %d–%d), agree with the model", n, *modelSteps, n*uint64(*modelSteps), first, first+n-1)
	})
}

func TestModel(t *testing.T) {
	sequences := *modelSequences
	if testing.Short() {
		sequences = 100
	}
	runModel(t, "memory", sequences, func(*testing.T) (modelStore, privacy.AuditLog) {
		audit := privacy.NewMemoryAuditLog()
		return retention.NewMemoryStore(audit), audit
	})
	sqliteSequences := *modelSQLite
	if testing.Short() {
		sqliteSequences = 20
	}
	runModel(t, "sqlite", sqliteSequences, func(t *testing.T) (modelStore, privacy.AuditLog) {
		st, err := sqlstore.Open(context.Background(), ":memory:", nil)
		require.NoError(t, err)
		t.Cleanup(func() { st.Close() })
		return st, st.AuditLog()
	})
}

// TestModelRegressions replays the lifecycles that once found a bug.
func TestModelRegressions(t *testing.T) {
	for _, tc := range []struct {
		seed uint64
		bug  string
	}{
		{6, "a hold released after erasure left the erased subject's email readable: erasure now completes when the hold goes"},
	} {
		t.Run(fmt.Sprint(tc.seed), func(t *testing.T) {
			msg := runLifecycle(t, tc.seed, 40, func(*testing.T) (modelStore, privacy.AuditLog) {
				audit := privacy.NewMemoryAuditLog()
				return retention.NewMemoryStore(audit), audit
			})
			require.Empty(t, msg, tc.bug)
		})
	}
}
