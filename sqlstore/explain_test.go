package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/internal/pgtest"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// explainStore returns a store of the dialect filled with 20,000 records
// and 1,000 holds, analysed, or skips when PostgreSQL is not configured.
func explainStore(t *testing.T, d Dialect) *Store {
	ctx := context.Background()
	var dsn string
	if d == SQLite {
		dsn = filepath.Join(t.TempDir(), "explain.db")
	} else {
		dsn = pgtest.DSN(t)
	}
	s, err := Open(ctx, dsn, nil)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	made := time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
	var recs []privacy.Record
	n := 20000
	if d == SQLite {
		n = 5000 // SQLite plans by the index whatever the size; PostgreSQL by its statistics
	}
	for i := range n {
		recs = append(recs, privacy.Record{
			Ref: privacy.Ref{Category: "invoice", ID: fmt.Sprintf("%07d", i)}, Subject: privacy.SubjectID(fmt.Sprintf("client-%05d", i/50)),
			Created: made, Fields: []privacy.Field{{Name: "amount", Value: int64(i)}, {Name: "name", Value: "Jan", Class: privacy.Personal}},
		})
	}
	require.NoError(t, s.PutRecords(ctx, recs))
	for k := range 1000 {
		h := retention.Hold{ID: fmt.Sprintf("h%04d", k), Matter: "m", Ground: retention.GroundLaw, PlacedBy: "legal", PlacedAt: made,
			Scope: retention.SubjectScope(privacy.SubjectID(fmt.Sprintf("client-%05d", k%400)))}
		if k%10 == 0 {
			h.Scope = retention.RecordScope(recs[(k*7)%n].Ref)
		}
		require.NoError(t, s.Put(ctx, h))
		if k%3 == 0 {
			_, err := s.Release(ctx, h.ID, "legal", made)
			require.NoError(t, err)
		}
	}
	_, err = s.db.ExecContext(ctx, "ANALYZE")
	require.NoError(t, err)
	return s
}

// The statements on the path of a sweep and an erasure all find their rows
// through an index: none reads the records or holds table whole, which
// at a million records is the difference between a second and minutes.
func TestSweepStatementsUseIndexes(t *testing.T) {
	type statement struct {
		name  string
		query string
		args  []any // for SQLite, bound as they are; for PostgreSQL, SQL literals
		want  string
		whole bool // reads its table whole by design
	}
	for _, d := range []Dialect{SQLite, PostgreSQL} {
		t.Run(d.String(), func(t *testing.T) {
			s := explainStore(t, d)
			q := newQueries(d)
			after := []any{"invoice", "0010000", 1000}
			candidates := []any{"invoice", "0010000", int64(1577836800000000), 1000}
			if d == PostgreSQL {
				after = []any{"'invoice'", "'0010000'", "1000"}
				candidates = []any{"'invoice'", "'0010000'", "'2020-01-01T00:00:00Z'", "1000"}
			}
			statements := []statement{
				{"page", pageQuery + q.forUpdateSkipLocked, after, `records_pkey|PRIMARY KEY`, false},
				{"candidate page", candidateQuery + q.forUpdateSkipLocked, candidates, `records_pkey|PRIMARY KEY`, false},
				{"holds version", holdsVersionQuery, nil, `holds_version`, false},
				// The active holds are read whole, once per change of
				// holds (SQLite reads them from the table, PostgreSQL from
				// the partial index holds_active).
				{"active holds", activeHoldsQuery, nil, `holds`, true},
				{"covering holds", coveringQuery, []any{"client-00007", "invoice", "0000350"}, `holds_active_subject`, false},
				{"subject's records", subjectQuery + q.forUpdate, []any{"client-00007"}, `records_subject`, false},
				{"pending erasures", pendingQuery, after, `records_erasure_pending`, false},
				{"audit head", auditHeadQuery + q.forUpdate, nil, `audit_head`, false},
			}
			if d == SQLite {
				statements = append(statements, statement{"delete", deleteSQLite(3), []any{"invoice", "0000001", "invoice", "0000002", "invoice", "0000003"}, `PRIMARY KEY`, false})
			} else {
				statements[4].args = []any{"'client-00007'", "'invoice'", "'0000350'"}
				statements[5].args = []any{"'client-00007'"}
				statements = append(statements,
					statement{"delete", deletePostgres, []any{"'{invoice,invoice}'", "'{0000001,0000002}'"}, `records_pkey`, false},
					statement{"delete a page", deleteTIDsPostgres, []any{"'{\"(0,1)\",\"(0,2)\"}'"}, `Tid Scan on records`, false},
					statement{"candidate page with ctids", withTID(candidateQuery) + q.forUpdateSkipLocked, candidates, `records_pkey`, false})
			}
			for _, st := range statements {
				plan := explain(t, s, st.query, st.args)
				t.Logf("%s:\n%s", st.name, plan)
				assert.Regexp(t, st.want, plan, "%s uses its index", st.name)
				if !st.whole {
					assert.NotRegexp(t, `(SCAN (records|holds)\b|Seq Scan on (records|holds)\b)`, plan, "%s reads no table whole", st.name)
				}
			}
		})
	}
}

// explain returns the plan of query: SQLite's EXPLAIN QUERY PLAN, or
// PostgreSQL's generic plan, the one a prepared statement ends up with.
func explain(t *testing.T, s *Store, query string, args []any) string {
	ctx := context.Background()
	conn, err := s.db.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	var rows *sql.Rows
	if s.dialect == SQLite {
		rows, err = conn.QueryContext(ctx, "EXPLAIN QUERY PLAN "+bind(SQLite, query), args...)
	} else {
		_, err = conn.ExecContext(ctx, "SET plan_cache_mode = force_generic_plan")
		require.NoError(t, err)
		_, err = conn.ExecContext(ctx, "PREPARE explained AS "+query)
		require.NoError(t, err)
		defer conn.ExecContext(ctx, "DEALLOCATE explained")
		lits := make([]string, len(args))
		for i, a := range args {
			lits[i] = fmt.Sprint(a)
		}
		call := ""
		if len(lits) > 0 {
			call = "(" + strings.Join(lits, ", ") + ")"
		}
		rows, err = conn.QueryContext(ctx, "EXPLAIN EXECUTE explained"+call)
	}
	require.NoError(t, err)
	defer rows.Close()
	cols, err := rows.Columns()
	require.NoError(t, err)
	var b strings.Builder
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		require.NoError(t, rows.Scan(ptrs...))
		fmt.Fprintln(&b, vals[len(vals)-1])
	}
	require.NoError(t, rows.Err())
	return b.String()
}
