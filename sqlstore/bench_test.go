package sqlstore_test

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// The sweep and erasure benchmarks build a bookkeeping of -records records
// (the fixture: every tenth due, 50 per subject) with 1,000 active holds,
// 990 on subjects and 10 on single records.
var benchRecords = flag.Int("records", 1_000_000, "records in the sweep and erasure benchmarks")

const benchHolds = 1000

func benchSetup(b *testing.B) int {
	if testing.Short() {
		b.Skip("the sweep and erasure benchmarks load many records: skipped under -short")
	}
	return *benchRecords
}

// placeBenchHolds places the benchmark's holds: subject holds spread over
// the subjects, and record holds on due records of other subjects. It
// returns the subjects that have a hold on them or on one of their records.
func placeBenchHolds(b *testing.B, s *sqlstore.Store, n int) map[privacy.SubjectID]bool {
	ctx := context.Background()
	subjects := n / perSubject
	// Every stride-th subject is held: spread over all of them, and never
	// all of them, however few records there are.
	stride := max(subjects/(benchHolds-10), 2)
	held := map[privacy.SubjectID]bool{}
	for k := range benchHolds {
		h := retention.Hold{ID: fmt.Sprintf("hold-%04d", k), Matter: "matter", Ground: retention.GroundLegalClaim, PlacedBy: "legal", PlacedAt: sweepDay}
		if k < benchHolds-10 {
			i := k * stride % subjects * perSubject
			h.Scope = retention.SubjectScope(fixtureSubject(i))
			held[fixtureSubject(i)] = true
		} else {
			i := ((k-benchHolds+10)*subjects/10+1)%subjects*perSubject + 10
			h.Scope = retention.RecordScope(fixtureRef(i))
			held[fixtureSubject(i)] = true
		}
		require.NoError(b, s.Put(ctx, h))
	}
	return held
}

// fiscalCutoff is the SQL form of the fiscal rule's decision on 1 January
// 2027: an invoice made before 2020 in Amsterdam is due.
func fiscalCutoff(b *testing.B) time.Time {
	zone, err := time.LoadLocation(retention.DutchZone)
	require.NoError(b, err)
	return time.Date(2020, 1, 1, 0, 0, 0, 0, zone)
}

// The statements the sweep is measured against: the same work in one
// set-based statement (in SQLite, which has no DELETE in a WITH, one
// transaction of set-based statements). It deletes every due record that no
// active hold covers, with one NOT EXISTS per kind of scope, and inserts a
// tombstone for each; it computes no hash chain.
const postgresSweepStatement = `WITH gone AS (
	DELETE FROM records r
	WHERE r.created < $1
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 1 AND h.subject = r.subject)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 2 AND h.category = r.category)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 3 AND h.category = r.category AND h.record_id = r.id)
	RETURNING r.category, r.id, r.subject
), head AS (
	UPDATE audit_head SET seq = seq + (SELECT count(*) FROM gone) WHERE id = 1 RETURNING seq - (SELECT count(*) FROM gone) AS seq
)
INSERT INTO audit (seq, time, action, actor, subject, category, record_id, object, count, reason, prev, hash)
SELECT head.seq + row_number() OVER (ORDER BY g.category, g.id), $2, 'record.disposed', 'system', g.subject, g.category, g.id,
	'nl-fiscal:invoice', 0, 'retention_ended', '\x'::bytea, '\x'::bytea
FROM gone g, head`

const sqliteHoldChecks = `created < ?1
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 1 AND h.subject = r.subject)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 2 AND h.category = r.category)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 3 AND h.category = r.category AND h.record_id = r.id)`

var sqliteSweepStatements = []string{
	`INSERT INTO audit (seq, time, action, actor, subject, category, record_id, object, count, reason, prev, hash)
SELECT (SELECT seq FROM audit_head) + row_number() OVER (ORDER BY r.category, r.id), ?2, 'record.disposed', 'system', r.subject, r.category, r.id,
	'nl-fiscal:invoice', 0, 'retention_ended', x'', x''
FROM records r WHERE ` + sqliteHoldChecks,
	`DELETE FROM records AS r WHERE ` + sqliteHoldChecks,
	`UPDATE audit_head SET seq = (SELECT max(seq) FROM audit) WHERE id = 1`,
}

// sweepStatement runs the statement(s) and returns how many records went.
func sweepStatement(b *testing.B, s *sqlstore.Store) int64 {
	ctx := context.Background()
	if s.Dialect() == sqlstore.PostgreSQL {
		res, err := s.DB().ExecContext(ctx, postgresSweepStatement, fiscalCutoff(b), sweepDay)
		require.NoError(b, err)
		n, err := res.RowsAffected()
		require.NoError(b, err)
		return n
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	require.NoError(b, err)
	defer tx.Rollback()
	var n int64
	for i, q := range sqliteSweepStatements {
		res, err := tx.ExecContext(ctx, q, fiscalCutoff(b).UnixMicro(), sweepDay.UnixMicro())
		require.NoError(b, err)
		if i == 1 {
			n, err = res.RowsAffected()
			require.NoError(b, err)
		}
	}
	require.NoError(b, tx.Commit())
	return n
}

// benchDB is a loaded benchmark database that can be put back as it was
// before each run.
type benchDB struct {
	dialect  string
	dsn      string // the database runs work on
	template string // SQLite: the file a run's database is copied from
	held     map[privacy.SubjectID]bool
}

func newBenchDB(b *testing.B, dialect string, n int) *benchDB {
	ctx := context.Background()
	db := &benchDB{dialect: dialect}
	if dialect == "SQLite" {
		dir := b.TempDir()
		db.template, db.dsn = filepath.Join(dir, "template.db"), filepath.Join(dir, "run.db")
	} else {
		// The server's own synchronous_commit, not the tests' "off": a
		// page's commit waits for the disk, as it does in production.
		u, err := url.Parse(postgresSchema(b))
		require.NoError(b, err)
		q := u.Query()
		q.Del("synchronous_commit")
		u.RawQuery = q.Encode()
		db.dsn = u.String()
	}
	start := time.Now()
	s, err := sqlstore.Open(ctx, dsnOr(db.template, db.dsn), nil)
	require.NoError(b, err)
	load(b, s, 0, n)
	db.held = placeBenchHolds(b, s, n)
	if dialect == "SQLite" {
		_, err = s.DB().ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
		require.NoError(b, err)
	} else {
		_, err = s.DB().ExecContext(ctx, `CREATE TABLE bench_records AS SELECT * FROM records`)
		require.NoError(b, err)
	}
	require.NoError(b, s.Close())
	b.Logf("%s: loaded %d records and %d holds in %v", dialect, n, benchHolds, time.Since(start).Round(time.Millisecond))
	return db
}

func dsnOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// reset puts the records back as loaded, empties the audit log, and returns
// a store over the database, vacuumed and analysed.
func (db *benchDB) reset(b *testing.B) *sqlstore.Store {
	ctx := context.Background()
	if db.dialect == "SQLite" {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db.dsn + suffix)
		}
		copyFile(b, db.template, db.dsn)
		s := open(b, db.dsn)
		_, err := s.DB().ExecContext(ctx, `ANALYZE`)
		require.NoError(b, err)
		return s
	}
	s := open(b, db.dsn)
	for _, q := range []string{
		`TRUNCATE records, audit`,
		`UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`,
		`INSERT INTO records SELECT * FROM bench_records`,
		`VACUUM (ANALYZE) records`,
		`VACUUM (ANALYZE) holds`,
		`CHECKPOINT`,
	} {
		_, err := s.DB().ExecContext(ctx, q)
		require.NoError(b, err, q)
	}
	return s
}

func copyFile(b *testing.B, from, to string) {
	in, err := os.Open(from)
	require.NoError(b, err)
	defer in.Close()
	out, err := os.Create(to)
	require.NoError(b, err)
	_, err = io.Copy(out, in)
	require.NoError(b, err)
	require.NoError(b, out.Close())
}

// BenchmarkSweep measures a sweep of -records records, a tenth of them due,
// with 1,000 active holds: retention.Sweeper over the store (its paged fast
// path) against the same work as one hand-written statement. ns/op is the
// sweep; statement-ns/op the statement; ratio the one over the other.
//
//	go test -run '^$' -bench Sweep -benchtime 1x -records 1000000 ./sqlstore/
func BenchmarkSweep(b *testing.B) {
	n := benchSetup(b)
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			if d.name == "PostgreSQL" {
				postgresDSN(b)
			}
			db := newBenchDB(b, d.name, n)
			var stmt, sweep time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				s := db.reset(b)
				start := time.Now()
				gone := sweepStatement(b, s)
				stmt += time.Since(start)
				s.Close()

				s = db.reset(b)
				sw := newSweeper(b, s, "invoice")
				b.StartTimer()
				start = time.Now()
				rep, err := sw.Execute(context.Background(), nil)
				sweep += time.Since(start)
				b.StopTimer()
				require.NoError(b, err)
				require.Equal(b, int(gone), rep.Disposed, "the sweep and the statement dispose of the same records")
				// A candidate walk reads only the records that can be due.
				require.LessOrEqual(b, rep.Scanned, n)
				s.Close()
			}
			b.ReportMetric(float64(stmt.Nanoseconds())/float64(b.N), "statement-ns/op")
			b.ReportMetric(float64(sweep)/float64(stmt), "ratio")
			b.ReportMetric(float64(n)*float64(b.N)/sweep.Seconds(), "records/s")
		})
	}
}

// fixtureIndex is the index of the first record of subject.
func fixtureIndex(subject privacy.SubjectID) int {
	var k int
	fmt.Sscanf(string(subject), "client-%d", &k)
	return k * perSubject
}

// BenchmarkErasure measures erasure-shaped work among -records records:
// reading one subject's 50 records and deleting them, each with its hold
// check and tombstone. "records" does it a record at a time (BySubject,
// then Dispose each, as steward.Records offers); "subject" in one
// transaction (EraseSubject). It reports the median and the 99th
// percentile.
//
//	go test -run '^$' -bench Erasure -records 1000000 ./sqlstore/
func BenchmarkErasure(b *testing.B) {
	n := benchSetup(b)
	for _, d := range dialects {
		b.Run(d.name, func(b *testing.B) {
			if d.name == "PostgreSQL" {
				postgresDSN(b)
			}
			db := newBenchDB(b, d.name, n)
			s := db.reset(b)
			ctx := context.Background()
			tomb := func(r privacy.Record) privacy.Event {
				return privacy.Event{Time: sweepDay, Action: privacy.ActionDisposed, Actor: "system", Subject: r.Subject, Ref: r.Ref, Reason: "erased"}
			}
			unheld := func(_ privacy.Record, hs []retention.Hold) error {
				if len(hs) > 0 {
					return privacy.ErrHeld
				}
				return nil
			}
			// Subjects in an order that visits the whole table, none held.
			next := 0
			subject := func() privacy.SubjectID {
				for {
					next++
					sub := fixtureSubject((next * 7919) % (n / perSubject) * perSubject)
					if !db.held[sub] {
						return sub
					}
				}
			}
			measure := func(b *testing.B, erase func(privacy.SubjectID) int) {
				var times []time.Duration
				for range b.N {
					sub := subject()
					start := time.Now()
					got := erase(sub)
					times = append(times, time.Since(start))
					if got != perSubject {
						b.Fatalf("subject %s: %d records erased, want %d", sub, got, perSubject)
					}
					// Put the subject back, so that every subject can be
					// erased again however long the benchmark runs.
					b.StopTimer()
					i := fixtureIndex(sub)
					load(b, s, i, i+perSubject)
					b.StartTimer()
				}
				slices.Sort(times)
				b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
				b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
			}
			b.Run("records", func(b *testing.B) {
				measure(b, func(sub privacy.SubjectID) int {
					var recs []privacy.Record
					for r, err := range s.BySubject(ctx, sub) {
						require.NoError(b, err)
						recs = append(recs, r)
					}
					for _, r := range recs {
						require.NoError(b, s.Dispose(ctx, r.Ref, unheld, tomb(r)))
					}
					return len(recs)
				})
			})
			b.Run("subject", func(b *testing.B) {
				measure(b, func(sub privacy.SubjectID) int {
					n, err := s.EraseSubject(ctx, sub, func(recs []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, []privacy.Record, error) {
						var events []privacy.Event
						for i, r := range recs {
							if len(holds[i]) == 0 {
								events = append(events, tomb(r))
							}
						}
						return events, nil, nil
					})
					require.NoError(b, err)
					return n
				})
			})
		})
	}
}
