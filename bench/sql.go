package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
)

// The sweep and erasure works run on sqlstore's real schema, loaded with n
// records of the bookkeeping (data.go) and the active holds of placeHolds.
// A loaded database is kept for the run and put back as loaded before each
// repetition of a sweep: SQLite by copying a template file, PostgreSQL by
// refilling the records table from a copy of it.

// loadedDB is a database of one dialect holding the bookkeeping.
type loadedDB struct {
	dialect  sqlstore.Dialect
	dsn      string // where the works run
	template string // SQLite: the loaded file that dsn is copied from
	n        int
	holds    int
	held     map[privacy.SubjectID]bool // subjects a hold covers, wholly or in part
	drop     func()                     // PostgreSQL: drops the schema
}

// databases are the loaded databases of the run, by dialect, shared by the
// sweep and erasure works of that dialect.
var databases = map[sqlstore.Dialect]*loadedDB{}

// closeDatabases drops what the run made in PostgreSQL; the SQLite files go
// with the run's temporary directory.
func closeDatabases() {
	for _, db := range databases {
		if db.drop != nil {
			db.drop()
		}
	}
	clear(databases)
}

func loadDatabase(ctx context.Context, cfg *config, dialect sqlstore.Dialect) (*loadedDB, error) {
	if db := databases[dialect]; db != nil && db.n == cfg.n {
		return db, nil
	}
	db := &loadedDB{dialect: dialect, n: cfg.n}
	openDSN := ""
	switch dialect {
	case sqlstore.SQLite:
		db.template = filepath.Join(cfg.tmp, "template.db")
		db.dsn = filepath.Join(cfg.tmp, "run.db")
		openDSN = db.template
	case sqlstore.PostgreSQL:
		dsn, drop, err := postgresSchema(ctx, cfg.dsn)
		if err != nil {
			return nil, skipError{fmt.Sprintf("PostgreSQL at %s: %v", redact(cfg.dsn), err)}
		}
		db.dsn, db.drop, openDSN = dsn, drop, dsn
	}
	start := time.Now()
	s, err := sqlstore.Open(ctx, openDSN, nil)
	if err != nil {
		if db.drop != nil {
			db.drop()
		}
		return nil, err
	}
	defer s.Close()
	fail := func(err error) (*loadedDB, error) {
		if db.drop != nil {
			db.drop()
		}
		return nil, err
	}
	const batch = 5000
	recs := make([]privacy.Record, 0, batch)
	for r := range storedRecords(0, cfg.n) {
		recs = append(recs, r)
		if len(recs) == batch {
			if err := s.PutRecords(ctx, recs); err != nil {
				return fail(err)
			}
			recs = recs[:0]
			if done := atoiID(r.Ref.ID) + 1; done%200_000 == 0 {
				cfg.logf("  %s: %d records loaded (%v)", dialect, done, time.Since(start).Round(time.Second))
			}
		}
	}
	if err := s.PutRecords(ctx, recs); err != nil {
		return fail(err)
	}
	if db.held, db.holds, err = placeHolds(ctx, s, cfg.n); err != nil {
		return fail(err)
	}
	switch dialect {
	case sqlstore.SQLite:
		for _, q := range []string{`ANALYZE`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
			if _, err := s.DB().ExecContext(ctx, q); err != nil {
				return fail(err)
			}
		}
	case sqlstore.PostgreSQL:
		if _, err := s.DB().ExecContext(ctx, `CREATE TABLE bench_records AS SELECT * FROM records`); err != nil {
			return fail(err)
		}
	}
	cfg.logf("  %s: loaded %d records and %d active holds in %v", dialect, cfg.n, db.holds, time.Since(start).Round(time.Millisecond))
	databases[dialect] = db
	return db, nil
}

func atoiID(id string) int {
	n := 0
	for _, c := range id {
		n = n*10 + int(c-'0')
	}
	return n
}

// placeHolds places the active holds: for 1M records 1,000 of them (one
// per 1,000 records, at least 3): one on a category ("payslip", which has
// no records here, so that the category check runs and finds nothing), a
// hundredth (at least 1) on single due records, the rest on subjects spread
// over the table. It returns the subjects a hold covers and the number of
// holds.
func placeHolds(ctx context.Context, s *sqlstore.Store, n int) (map[privacy.SubjectID]bool, int, error) {
	subjects := n / perSubject
	total := max(3, n/1000)
	onRecords := max(1, total/100)
	onSubjects := total - onRecords - 1
	held := map[privacy.SubjectID]bool{}
	hold := func(k int, scope retention.Scope) error {
		return s.Put(ctx, retention.Hold{ID: fmt.Sprintf("hold-%05d", k), Matter: "matter-" + pad7(k), Ground: retention.GroundLegalClaim,
			Scope: scope, PlacedBy: "legal", PlacedAt: sweepDay.AddDate(0, -1, 0)})
	}
	k := 0
	if err := hold(k, retention.CategoryScope("payslip")); err != nil {
		return nil, 0, err
	}
	for j := range onSubjects {
		k++
		sub := storedSubject(j * subjects / onSubjects * perSubject)
		held[sub] = true
		if err := hold(k, retention.SubjectScope(sub)); err != nil {
			return nil, 0, err
		}
	}
	for j := range onRecords {
		k++
		// The first due record of a subject half-way between two subject holds.
		i := (j*subjects/onRecords + subjects/onRecords/2) * perSubject
		held[storedSubject(i)] = true
		if err := hold(k, retention.RecordScope(storedRef(i))); err != nil {
			return nil, 0, err
		}
	}
	return held, k + 1, nil
}

// postgresSchema creates a schema of the run's own and returns a DSN whose
// search_path is that schema, and a function that drops it: the bench never
// touches another schema's tables.
func postgresSchema(ctx context.Context, dsn string) (string, func(), error) {
	var b [6]byte
	rand.Read(b[:])
	schema := "steward_bench_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(pctx, "CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, err
	}
	drop := func() {
		dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		admin.ExecContext(dctx, "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	}
	u, err := url.Parse(dsn)
	if err != nil {
		drop()
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), drop, nil
}

// redact hides a password in a DSN.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// reset puts the records back as loaded, with an empty audit log, and
// returns a store over them.
func (db *loadedDB) reset(ctx context.Context) (*sqlstore.Store, error) {
	if db.dialect == sqlstore.SQLite {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(db.dsn + suffix)
		}
		if err := copyFile(db.template, db.dsn); err != nil {
			return nil, err
		}
		return sqlstore.Open(ctx, db.dsn, nil)
	}
	s, err := sqlstore.Open(ctx, db.dsn, nil)
	if err != nil {
		return nil, err
	}
	for _, q := range []string{
		`TRUNCATE records, audit`,
		`UPDATE audit_head SET seq = 0, hash = decode(repeat('00', 32), 'hex')`,
		`INSERT INTO records SELECT * FROM bench_records`,
		`VACUUM (ANALYZE) records`,
		`VACUUM (ANALYZE) holds`,
		`CHECKPOINT`,
	} {
		if _, err := s.DB().ExecContext(ctx, q); err != nil {
			s.Close()
			return nil, fmt.Errorf("%s: %w", q, err)
		}
	}
	return s, nil
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func fiscalPolicy() (*retention.Policy, error) {
	return retention.NewPolicy(retention.DutchFiscal("invoice", nil))
}

// fiscalCutoff is the fiscal rule's decision on sweepDay in SQL form: an
// invoice made before 2020 in Amsterdam is due.
func fiscalCutoff() (time.Time, error) {
	zone, err := time.LoadLocation(retention.DutchZone)
	if err != nil {
		return time.Time{}, err
	}
	return time.Date(2020, 1, 1, 0, 0, 0, 0, zone), nil
}

// The baseline of the sweep: the same work as hand-written SQL. It deletes
// every due record that no active hold covers, with one NOT EXISTS per kind
// of scope (each served by its partial index; one NOT EXISTS with OR is
// slower), inserts a tombstone for each into the audit log and moves the
// audit head. It computes no hash chain, which a set-based statement cannot
// do cheaply; steward's sweep does, so the ratio includes it.
//
// PostgreSQL does it in one statement. SQLite has no DELETE inside WITH, so
// it is one transaction: the due keys into a temporary table, the tombstones
// from it, the DELETE by key, the head. The hold checks then run once, not
// twice.
const postgresSweep = `WITH gone AS (
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

var sqliteSweep = []string{
	`CREATE TEMP TABLE gone (category TEXT NOT NULL, id TEXT NOT NULL, subject TEXT NOT NULL, PRIMARY KEY (category, id)) WITHOUT ROWID`,
	`INSERT INTO gone SELECT r.category, r.id, r.subject FROM records r
	WHERE r.created < ?1
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 1 AND h.subject = r.subject)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 2 AND h.category = r.category)
	AND NOT EXISTS (SELECT 1 FROM holds h WHERE h.released_at IS NULL AND h.scope = 3 AND h.category = r.category AND h.record_id = r.id)`,
	`INSERT INTO audit (seq, time, action, actor, subject, category, record_id, object, count, reason, prev, hash)
	SELECT (SELECT seq FROM audit_head WHERE id = 1) + row_number() OVER (ORDER BY g.category, g.id), ?2, 'record.disposed', 'system',
		g.subject, g.category, g.id, 'nl-fiscal:invoice', 0, 'retention_ended', x'', x''
	FROM gone g`,
	`DELETE FROM records WHERE (category, id) IN (SELECT category, id FROM gone)`,
	`UPDATE audit_head SET seq = seq + (SELECT count(*) FROM gone) WHERE id = 1`,
	`DROP TABLE gone`,
}

// explainSweep shows the plans of the baseline's statements on stderr (with
// -v) and refuses a SQLite plan that scans the holds table per record.
func explainSweep(ctx context.Context, cfg *config, db *loadedDB) error {
	s, err := db.reset(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	cutoff, err := fiscalCutoff()
	if err != nil {
		return err
	}
	if db.dialect == sqlstore.PostgreSQL {
		tx, err := s.DB().BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback() // EXPLAIN without ANALYZE changes nothing; the rollback is belt and braces
		rows, err := tx.QueryContext(ctx, "EXPLAIN "+postgresSweep, cutoff, sweepDay)
		if err != nil {
			return err
		}
		plan, err := collect(rows)
		if err != nil {
			return err
		}
		if cfg.verbose {
			cfg.logf("  postgres: plan of the hand-written sweep:\n%s", indent(plan))
		}
		return nil
	}
	conn, err := s.DB().Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The temporary table must exist for the later statements to be planned.
	if _, err := conn.ExecContext(ctx, sqliteSweep[0]); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `DROP TABLE IF EXISTS gone`)
	for _, q := range sqliteSweep[1:5] {
		rows, err := conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+q, cutoff.UnixMicro(), sweepDay.UnixMicro())
		if err != nil {
			return err
		}
		plan, err := collectSQLitePlan(rows)
		if err != nil {
			return err
		}
		if cfg.verbose {
			cfg.logf("  sqlite: plan of %s\n%s", firstLine(q), indent(plan))
		}
		for line := range strings.Lines(plan) {
			if strings.Contains(line, "SCAN h") {
				return fmt.Errorf("the hand-written sweep scans the holds table per record (%s): the baseline would not be its fast form", strings.TrimSpace(line))
			}
		}
	}
	return nil
}

func collect(rows *sql.Rows) (string, error) {
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			return "", err
		}
		b.WriteString(line + "\n")
	}
	return b.String(), rows.Err()
}

func collectSQLitePlan(rows *sql.Rows) (string, error) {
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}

// sweepStatement runs the baseline and returns how many records it deleted.
func sweepStatement(ctx context.Context, s *sqlstore.Store) (int64, error) {
	cutoff, err := fiscalCutoff()
	if err != nil {
		return 0, err
	}
	if s.Dialect() == sqlstore.PostgreSQL {
		res, err := s.DB().ExecContext(ctx, postgresSweep, cutoff, sweepDay)
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	}
	tx, err := s.DB().BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var n int64
	for _, q := range sqliteSweep {
		res, err := tx.ExecContext(ctx, q, cutoff.UnixMicro(), sweepDay.UnixMicro())
		if err != nil {
			return 0, fmt.Errorf("%s: %w", firstLine(q), err)
		}
		if strings.HasPrefix(q, "DELETE") {
			if n, err = res.RowsAffected(); err != nil {
				return 0, err
			}
		}
	}
	return n, tx.Commit()
}

func setupSweepSQLite(ctx context.Context, cfg *config) (*workRun, error) {
	return setupSweep(ctx, cfg, sqlstore.SQLite)
}

func setupSweepPostgres(ctx context.Context, cfg *config) (*workRun, error) {
	return setupSweep(ctx, cfg, sqlstore.PostgreSQL)
}

// setupSweep measures a sweep of the whole bookkeeping: retention.Sweeper
// over sqlstore (its paged fast path, a transaction per 1,000 records)
// against the hand-written statement, each on the data as loaded.
func setupSweep(ctx context.Context, cfg *config, dialect sqlstore.Dialect) (*workRun, error) {
	db, err := loadDatabase(ctx, cfg, dialect)
	if err != nil {
		return nil, err
	}
	if err := explainSweep(ctx, cfg, db); err != nil {
		return nil, err
	}
	policy, err := fiscalPolicy()
	if err != nil {
		return nil, err
	}
	var open *sqlstore.Store // the store of the last repetition, closed before the next
	closeOpen := func() {
		if open != nil {
			open.Close()
			open = nil
		}
	}
	statement := contender{name: "hand-written SQL", baseline: true, prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
		closeOpen()
		s, err := db.reset(ctx)
		if err != nil {
			return nil, err
		}
		open = s
		return func(ctx context.Context) (outcome, error) {
			n, err := sweepStatement(ctx, s)
			return outcome{records: int64(db.n), done: n}, err
		}, nil
	}}
	sweeper := contender{name: "steward Sweeper", prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
		closeOpen()
		s, err := db.reset(ctx)
		if err != nil {
			return nil, err
		}
		open = s
		sw, err := retention.NewSweeper(s, s, policy, &retention.SweeperOptions{
			Clock: privacy.NewSettableClock(sweepDay), Audit: s.AuditLog(),
		})
		if err != nil {
			return nil, err
		}
		return func(ctx context.Context) (outcome, error) {
			rep, err := sw.Execute(ctx, nil)
			if err != nil {
				return outcome{}, err
			}
			// A candidate walk reads only the records that can be due.
			if rep.Scanned > db.n || rep.Refused != 0 {
				return outcome{}, fmt.Errorf("sweep scanned %d of %d records and refused %d", rep.Scanned, db.n, rep.Refused)
			}
			// Records per second count the whole inventory swept, as the
			// statement's do, however few of them a candidate walk reads.
			return outcome{records: int64(db.n), done: int64(rep.Disposed)}, nil
		}, nil
	}}
	return &workRun{
		contenders: []contender{statement, sweeper},
		targets:    []target{timeAtMost("steward Sweeper", "hand-written SQL", 1.5, "Sweeper ≤ 1.5× the time of the hand-written statement")},
		cleanup:    closeOpen,
		check: func(outs []outcome) error {
			if outs[0].done != outs[1].done {
				return fmt.Errorf("the statement disposed of %d records, the sweeper of %d", outs[0].done, outs[1].done)
			}
			if outs[0].done == 0 {
				return errors.New("nothing was due")
			}
			return nil
		},
	}, nil
}

func setupEraseSQLite(ctx context.Context, cfg *config) (*workRun, error) {
	return setupErase(ctx, cfg, sqlstore.SQLite)
}

func setupErasePostgres(ctx context.Context, cfg *config) (*workRun, error) {
	return setupErase(ctx, cfg, sqlstore.PostgreSQL)
}

// erasures is how many subjects one repetition of the erasure work erases.
const erasures = 200

// setupErase measures steward.Erase of one subject's 50 records among n,
// over sqlstore: under the fiscal rule the 5 records made in 2019 are
// deleted and the 45 of 2024 minimised and restricted, each with its audit
// event, in one transaction. Subjects no hold covers are erased in an order
// that visits the whole table; after each erasure, untimed, the subject's
// records are put back. records/s is 50 over the time of one erasure.
func setupErase(ctx context.Context, cfg *config, dialect sqlstore.Dialect) (*workRun, error) {
	db, err := loadDatabase(ctx, cfg, dialect)
	if err != nil {
		return nil, err
	}
	policy, err := fiscalPolicy()
	if err != nil {
		return nil, err
	}
	s, err := db.reset(ctx)
	if err != nil {
		return nil, err
	}
	st, err := steward.New(s, &steward.Options{Policy: policy, Clock: privacy.NewSettableClock(sweepDay)})
	if err != nil {
		s.Close()
		return nil, err
	}
	subjects := db.n / perSubject
	var order []privacy.SubjectID
	for k := 0; len(order) < min(erasures, subjects-len(db.held)) && k < subjects*2; k++ {
		sub := storedSubject((k * 7919) % subjects * perSubject)
		if !db.held[sub] {
			order = append(order, sub)
		}
	}
	if len(order) == 0 {
		s.Close()
		return nil, errors.New("every subject is held")
	}
	erase := contender{name: "steward.Erase", prepare: func(ctx context.Context) (func(context.Context) (outcome, error), error) {
		return func(ctx context.Context) (outcome, error) {
			out := outcome{latencies: make([]time.Duration, 0, len(order))}
			back := make([]privacy.Record, 0, perSubject)
			for _, sub := range order {
				start := time.Now()
				rep, err := st.Erase(ctx, sub)
				took := time.Since(start)
				if err != nil {
					return outcome{}, err
				}
				if len(rep.Items) != perSubject {
					return outcome{}, fmt.Errorf("erasure handled %d records of a subject, want %d", len(rep.Items), perSubject)
				}
				out.latencies = append(out.latencies, took)
				out.elapsed += took
				out.records += perSubject
				first := atoiID(string(sub[len("client-"):])) * perSubject
				back = back[:0]
				for r := range storedRecords(first, first+perSubject) {
					back = append(back, r)
				}
				if err := s.PutRecords(ctx, back); err != nil {
					return outcome{}, err
				}
			}
			out.done = out.records
			return out, nil
		}, nil
	}}
	return &workRun{
		contenders: []contender{erase},
		targets:    erasureTargets(dialect),
		cleanup:    func() { s.Close() },
	}, nil
}

func erasureTargets(dialect sqlstore.Dialect) []target {
	if dialect != sqlstore.PostgreSQL {
		return nil // DESIGN.md sets the target on PostgreSQL
	}
	return []target{{What: "steward.Erase p50 ≤ 10 ms", check: func(rows map[string]*row) (string, bool) {
		r := rows["steward.Erase"]
		if r == nil {
			return "n/a", false
		}
		return fmt.Sprintf("p50 %.2f ms (p99 %.2f ms)", r.P50ms, r.P99ms), r.P50ms <= 10
	}}}
}
