package sqlstore_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

func tombOf(r privacy.Record) privacy.Event {
	return privacy.Event{Time: sweepDay, Action: privacy.ActionDisposed, Actor: "system", Subject: r.Subject, Ref: r.Ref, Reason: "test"}
}

func approve(privacy.Record, []retention.Hold) error { return nil }

func testHold(id string, scope retention.Scope) retention.Hold {
	return retention.Hold{ID: id, Matter: "matter " + id, Ground: retention.GroundCourtOrder, Scope: scope, PlacedBy: "legal", PlacedAt: sweepDay}
}

func auditActions(t *testing.T, s *sqlstore.Store) []privacy.Action {
	var out []privacy.Action
	for e, err := range s.AuditLog().Events(context.Background(), 0) {
		require.NoError(t, err)
		out = append(out, e.Action)
	}
	return out
}

// Every value a field can hold comes back from the database exactly:
// floats bit for bit, integers at their limits, times as the same instant
// in UTC, microseconds kept.
func TestRecordValuesRoundTrip(t *testing.T) {
	zone := time.FixedZone("CEST", 2*3600)
	want := privacy.Record{
		Ref: privacy.Ref{Category: "Invoice ü", ID: "2019/17"}, Subject: "client-ë", Restricted: true,
		Created: time.Date(2019, 3, 15, 9, 30, 0, 123456789, zone),
		Events:  map[string]time.Time{privacy.EventContractEnded: time.Date(2024, 1, 1, 0, 0, 0, 1000, zone)},
		Fields: []privacy.Field{
			{Name: "text", Value: "Jan de Vriës — 日本", Class: privacy.Personal},
			{Name: "empty", Value: ""},
			{Name: "min", Value: int64(math.MinInt64)},
			{Name: "max", Value: int64(math.MaxInt64)},
			{Name: "rate", Value: 0.1 + 0.2},
			{Name: "negative zero", Value: math.Copysign(0, -1)},
			{Name: "subnormal", Value: math.SmallestNonzeroFloat64},
			{Name: "yes", Value: true},
			{Name: "when", Value: time.Date(2019, 3, 15, 9, 30, 0, 123456000, zone), Class: privacy.Special},
			{Name: "nothing", Value: nil},
		},
	}
	exact := cmp.Options{
		cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
		cmp.Comparer(func(a, b time.Time) bool { return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond)) }),
	}
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			require.NoError(t, s.PutRecord(ctx, want))
			got, err := s.Record(ctx, want.Ref)
			require.NoError(t, err)
			assert.Empty(t, cmp.Diff(want, got, exact))
			assert.Equal(t, time.UTC, got.Created.Location())
			assert.Equal(t, 123456000, got.Created.Nanosecond(), "microseconds are kept")
			assert.Equal(t, time.UTC, got.Fields[8].Value.(time.Time).Location())
		})
	}
}

func TestPutRecord(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))

			t.Run("a record with the same ref is replaced", func(t *testing.T) {
				r := fixtureRecord(1)
				require.NoError(t, s.PutRecord(ctx, r))
				r.Subject, r.Restricted, r.Fields = "someone-else", true, r.Fields[:1]
				require.NoError(t, s.PutRecord(ctx, r))
				got, err := s.Record(ctx, r.Ref)
				require.NoError(t, err)
				assert.Equal(t, privacy.SubjectID("someone-else"), got.Subject)
				assert.True(t, got.Restricted)
				assert.Len(t, got.Fields, 1)
			})
			t.Run("an invalid record is refused", func(t *testing.T) {
				r := fixtureRecord(2)
				r.Fields = append(r.Fields, privacy.Field{Name: "bad", Value: 3})
				assert.ErrorIs(t, s.PutRecord(ctx, r), privacy.ErrInvalid)
				assert.ErrorIs(t, s.PutRecords(ctx, []privacy.Record{fixtureRecord(3), r}), privacy.ErrInvalid)
				_, err := s.Record(ctx, fixtureRef(3))
				assert.ErrorIs(t, err, privacy.ErrNotFound, "PutRecords stored none")
			})
			t.Run("of two records with one ref in a batch the later wins", func(t *testing.T) {
				a, b := fixtureRecord(4), fixtureRecord(4)
				b.Subject = "later"
				require.NoError(t, s.PutRecords(ctx, []privacy.Record{a, fixtureRecord(5), b}))
				got, err := s.Record(ctx, a.Ref)
				require.NoError(t, err)
				assert.Equal(t, privacy.SubjectID("later"), got.Subject)
			})
			t.Run("a missing record is not found", func(t *testing.T) {
				_, err := s.Record(ctx, privacy.Ref{Category: "invoice", ID: "nope"})
				assert.ErrorIs(t, err, privacy.ErrNotFound)
			})
		})
	}
}

func TestBySubject(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			// 300 records of one subject in two categories (more than a
			// page), and the neighbours' records around them.
			var recs []privacy.Record
			for i := range 400 {
				r := fixtureRecord(i)
				r.Subject = "other"
				if i >= 50 && i < 350 {
					r.Subject = "client"
				}
				if i%2 == 0 {
					r.Ref.Category = "order"
				}
				recs = append(recs, r)
			}
			require.NoError(t, s.PutRecords(ctx, recs))
			var got []privacy.Ref
			for r, err := range s.BySubject(ctx, "client") {
				require.NoError(t, err)
				assert.Equal(t, privacy.SubjectID("client"), r.Subject)
				got = append(got, r.Ref)
			}
			require.Len(t, got, 300)
			for i := 1; i < len(got); i++ {
				assert.Negative(t, got[i-1].Compare(got[i]), "in ref order")
			}
			n := 0
			for range s.BySubject(ctx, "client") {
				n++
				break
			}
			assert.Equal(t, 1, n)
			for range s.BySubject(ctx, "nobody") {
				t.Error("an unknown subject has no records")
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			r := fixtureRecord(1)
			require.NoError(t, s.PutRecord(ctx, r))
			require.NoError(t, s.Put(ctx, testHold("h", retention.RecordScope(r.Ref))))
			minimised := r.Clone()
			minimised.Fields, minimised.Restricted = minimised.Fields[:2], true
			event := privacy.Event{Time: sweepDay, Action: privacy.ActionMinimised, Actor: "system", Subject: r.Subject, Ref: r.Ref}

			t.Run("check's error comes back unchanged and nothing changes", func(t *testing.T) {
				boom := errors.New("boom")
				var seen []retention.Hold
				err := s.Update(ctx, minimised, func(_ privacy.Record, hs []retention.Hold) error { seen = hs; return boom }, event)
				assert.Same(t, boom, err)
				assert.Equal(t, []string{"h"}, []string{seen[0].ID}, "check sees the record's holds")
				got, err := s.Record(ctx, r.Ref)
				require.NoError(t, err)
				assert.Len(t, got.Fields, len(r.Fields))
				assert.Empty(t, auditActions(t, s))
			})
			t.Run("an approved update replaces the record and appends its event", func(t *testing.T) {
				require.NoError(t, s.Update(ctx, minimised, approve, event))
				got, err := s.Record(ctx, r.Ref)
				require.NoError(t, err)
				assert.True(t, got.Restricted)
				assert.Len(t, got.Fields, 2)
				assert.Equal(t, []privacy.Action{privacy.ActionMinimised}, auditActions(t, s))
			})
			t.Run("a missing record is not found, an invalid one invalid", func(t *testing.T) {
				missing := fixtureRecord(2)
				assert.ErrorIs(t, s.Update(ctx, missing, approve, event), privacy.ErrNotFound)
				bad := minimised.Clone()
				bad.Subject = ""
				assert.ErrorIs(t, s.Update(ctx, bad, approve, event), privacy.ErrInvalid)
			})
		})
	}
}

func TestEraseSubject(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			load(t, s, 0, 150) // subjects client-000000 .. client-000002
			subject := fixtureSubject(50)
			require.NoError(t, s.Put(ctx, testHold("held", retention.RecordScope(fixtureRef(60)))))

			t.Run("a decision that fails changes nothing", func(t *testing.T) {
				boom := errors.New("boom")
				_, err := s.EraseSubject(ctx, subject, func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					return nil, nil, boom
				})
				assert.Same(t, boom, err)
				assert.Len(t, present(t, s), 150)
			})
			t.Run("a tombstone or update for another subject's record is refused whole", func(t *testing.T) {
				_, err := s.EraseSubject(ctx, subject, func(recs []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					return []privacy.Event{tombOf(recs[0]), tombOf(fixtureRecord(1))}, nil, nil
				})
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				_, err = s.EraseSubject(ctx, subject, func(recs []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					return []privacy.Event{tombOf(recs[0])}, []privacy.Record{fixtureRecord(1)}, nil
				})
				assert.ErrorIs(t, err, privacy.ErrInvalid)
				_, err = s.EraseSubject(ctx, subject, func(recs []privacy.Record, _ [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					return []privacy.Event{tombOf(recs[0])}, []privacy.Record{recs[0]}, nil
				})
				assert.ErrorIs(t, err, privacy.ErrInvalid, "deleted and updated at once")
				assert.Len(t, present(t, s), 150)
				assert.Empty(t, auditActions(t, s))
			})
			t.Run("deletes, minimises and keeps, with the events in order", func(t *testing.T) {
				n, err := s.EraseSubject(ctx, subject, func(recs []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					var events []privacy.Event
					var updates []privacy.Record
					for i, r := range recs {
						assert.Equal(t, subject, r.Subject)
						switch {
						case len(holds[i]) > 0:
							assert.Equal(t, fixtureRef(60), r.Ref, "only the held record has a hold")
						case r.Created.Year() == 2024:
							m := r.Clone()
							m.Fields, m.Restricted = m.Fields[:3], true
							updates = append(updates, m)
							events = append(events, privacy.Event{Time: sweepDay, Action: privacy.ActionMinimised, Actor: "system", Subject: r.Subject, Ref: r.Ref})
						default:
							events = append(events, tombOf(r))
						}
					}
					return events, updates, nil
				})
				require.NoError(t, err)
				assert.Equal(t, perSubject, n)
				left := present(t, s)
				assert.Len(t, left, 150-4, "the subject's four unheld records of 2019 are gone")
				assert.Len(t, left[fixtureRef(60)].Fields, len(fixtureRecord(60).Fields), "the held record is whole")
				assert.True(t, left[fixtureRef(61)].Restricted, "a retained record is minimised")
				assert.Len(t, left[fixtureRef(61)].Fields, 3)
				assert.False(t, left[fixtureRef(1)].Restricted, "another subject's record is untouched")
				actions := auditActions(t, s)
				assert.Len(t, actions, perSubject-1)
				_, err = privacy.Verify(ctx, s.AuditLog())
				assert.NoError(t, err)
			})
			t.Run("an unknown subject has nothing to decide", func(t *testing.T) {
				n, err := s.EraseSubject(ctx, "nobody", func([]privacy.Record, [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
					t.Error("decide called for no records")
					return nil, nil, nil
				})
				require.NoError(t, err)
				assert.Zero(t, n)
			})
		})
	}
}

// A sweep keeps the active holds in memory between pages; a hold released,
// or placed by the host's own SQL, is seen by the next page all the same.
func TestPagesSeeEveryHoldChange(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t, d.dsn(t))
			load(t, s, 0, 10)
			holdsOf := func() []int {
				var n []int
				_, _, err := s.DisposePage(ctx, privacy.Ref{}, 10, func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error) {
					for i := range page {
						n = append(n, len(holds[i]))
					}
					return nil, nil
				})
				require.NoError(t, err)
				return n
			}
			require.NoError(t, s.Put(ctx, testHold("all", retention.CategoryScope("invoice"))))
			assert.Equal(t, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, holdsOf())
			_, err := s.Release(ctx, "all", "legal", sweepDay)
			require.NoError(t, err)
			assert.Equal(t, []int{0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, holdsOf())
			placedAt := any(sweepDay.UnixMicro())
			if d.name == "PostgreSQL" {
				placedAt = sweepDay
			}
			_, err = s.DB().ExecContext(ctx, fmt.Sprintf(`INSERT INTO holds (id, matter, ground, scope, category, record_id, placed_by, placed_at)
VALUES ('raw', 'm', 'law', 3, 'invoice', '0000003', 'dba', %s)`, map[bool]string{true: "$1", false: "?"}[d.name == "PostgreSQL"]), placedAt)
			require.NoError(t, err)
			assert.Equal(t, []int{0, 0, 0, 1, 0, 0, 0, 0, 0, 0}, holdsOf())
		})
	}
}

func TestHoldArguments(t *testing.T) {
	ctx := context.Background()
	s := openSQLite(t)
	assert.ErrorIs(t, s.Put(ctx, retention.Hold{Scope: retention.SubjectScope("a")}), privacy.ErrInvalid, "no ID")
	assert.ErrorIs(t, s.Put(ctx, retention.Hold{ID: "x"}), privacy.ErrInvalid, "no scope")
	require.NoError(t, s.Put(ctx, testHold("h", retention.SubjectScope("a"))))
	_, err := s.Release(ctx, "h", "legal", time.Time{})
	assert.ErrorIs(t, err, privacy.ErrInvalid, "a zero release time would leave the hold active")
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{"mysql://x", "steward", "data.txt", "host=localhost dbname=x"} {
		_, err := sqlstore.Open(ctx, dsn, nil)
		assert.ErrorIs(t, err, privacy.ErrInvalid, dsn)
	}
	_, err := sqlstore.Open(ctx, "postgres://u:secret@127.0.0.1:1/x?connect_timeout=1", nil)
	if assert.Error(t, err) {
		assert.NotContains(t, err.Error(), "secret", "no password in an error")
	}
	_, err = sqlstore.Open(ctx, filepath.Join(t.TempDir(), "x.db?_pragma=foo"), nil)
	assert.ErrorIs(t, err, privacy.ErrInvalid, "a path with a query")

	for _, dsn := range []string{
		":memory:",
		"file:mem-" + t.Name() + "?mode=memory&cache=shared",
		"file:" + filepath.Join(t.TempDir(), "uri.db") + "?_pragma=busy_timeout(2000)",
		filepath.Join(t.TempDir(), "plain.sqlite3"),
	} {
		s, err := sqlstore.Open(ctx, dsn, nil)
		require.NoError(t, err, dsn)
		assert.Equal(t, sqlstore.SQLite, s.Dialect())
		require.NoError(t, s.PutRecord(ctx, fixtureRecord(1)), dsn)
		_, err = s.Record(ctx, fixtureRef(1))
		assert.NoError(t, err, dsn)
		require.NoError(t, s.Close())
	}
}

// A store from New leaves the host's database open when it closes.
func TestCloseLeavesAHostsDatabaseOpen(t *testing.T) {
	db, dialect := rawDB(t, sqliteFile(t))
	s, err := sqlstore.New(context.Background(), db, dialect, nil)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	assert.NoError(t, db.Ping())
}
