package sqlstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Statements are written once, in PostgreSQL's $N placeholder style; bind
// turns them into SQLite's: a plain ? where the placeholders run $1, $2, ...
// in order, each once, and ?N otherwise. (The driver looks up the name of
// every numbered parameter, which costs time quadratic in their number: a
// multi-row INSERT must use plain ones.) Where the dialects differ in more
// than that, the statement is built per dialect in newQueries.
func bind(d Dialect, query string) string {
	if d != SQLite {
		return query
	}
	var b strings.Builder
	b.Grow(len(query))
	inOrder, next := true, 1
	for i := 0; i < len(query); i++ {
		if query[i] != '$' {
			continue
		}
		j := i + 1
		for j < len(query) && query[j] >= '0' && query[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(query[i+1 : j]); err != nil || n != next {
			inOrder = false
			break
		}
		next++
	}
	if !inOrder {
		return strings.ReplaceAll(query, "$", "?")
	}
	for i := 0; i < len(query); i++ {
		if query[i] != '$' {
			b.WriteByte(query[i])
			continue
		}
		b.WriteByte('?')
		for i+1 < len(query) && query[i+1] >= '0' && query[i+1] <= '9' {
			i++
		}
	}
	return b.String()
}

// timeArg is t as a statement argument: timestamptz in PostgreSQL, integer
// microseconds since the epoch in SQLite. Both keep microseconds.
func timeArg(d Dialect, t time.Time) any {
	if d == SQLite {
		return t.UnixMicro()
	}
	return t.UTC().Truncate(time.Microsecond)
}

// nullTimeArg is timeArg with the zero time as NULL.
func nullTimeArg(d Dialect, t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return timeArg(d, t)
}

// dbTime scans a time column of either dialect into a UTC time; NULL is the
// zero time.
type dbTime struct{ t time.Time }

func (x *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		x.t = time.Time{}
	case time.Time:
		x.t = v.UTC()
	case int64:
		x.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("sqlstore: cannot read %T as a time", v)
	}
	return nil
}

// queries are the statements whose text differs between the dialects.
type queries struct {
	// forUpdate locks the rows a SELECT reads until the transaction ends,
	// and forUpdateSkipLocked also passes over rows another transaction
	// locked; both are empty in SQLite, where the write transaction already
	// excludes every other writer.
	forUpdate, forUpdateSkipLocked string
	// lockHolds makes hold changes wait until the transaction ends, and a
	// transaction that starts it wait for hold changes under way: SHARE mode
	// in PostgreSQL (which does not block other SHARE holders, so sweepers
	// run side by side), nothing in SQLite (the write lock does it).
	lockHolds string
}

func newQueries(d Dialect) *queries {
	if d == PostgreSQL {
		return &queries{
			forUpdate:           " FOR UPDATE",
			forUpdateSkipLocked: " FOR UPDATE SKIP LOCKED",
			lockHolds:           "LOCK TABLE holds IN SHARE MODE",
		}
	}
	return &queries{}
}

// placeholders returns "($1, ..., $cols), (...)" for rows rows of cols
// columns, for a multi-row VALUES list.
func placeholders(rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 6)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "$%d", r*cols+c+1)
		}
		b.WriteByte(')')
	}
	return b.String()
}
