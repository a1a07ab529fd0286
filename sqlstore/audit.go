package sqlstore

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"iter"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/stdlib"

	"github.com/smartbooqing/steward/privacy"
)

// auditLog is the store's hash-chained audit log, a privacy.AuditLog.
type auditLog struct{ s *Store }

// Append implements privacy.AuditLog: it chains e after the head and stores
// it, in one write transaction that holds the head until it commits.
func (l *auditLog) Append(ctx context.Context, e privacy.Event) (privacy.Event, error) {
	const op = "sqlstore.AuditLog.Append"
	if err := ctx.Err(); err != nil {
		return privacy.Event{}, err
	}
	var out []privacy.Event
	err := l.s.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = l.s.appendEvents(ctx, tx, []privacy.Event{e})
		return err
	})
	if err != nil {
		return privacy.Event{}, fail(ctx, op, err)
	}
	return out[0], nil
}

// eventsPage is how many events Events reads per query.
const eventsPage = 1000

const eventColumns = `seq, time, action, actor, subject, category, record_id, object, count, reason, prev, hash`

// Events implements privacy.AuditLog. It reads a page of events at a time
// and holds no connection while the caller handles them.
func (l *auditLog) Events(ctx context.Context, after uint64) iter.Seq2[privacy.Event, error] {
	const op = "sqlstore.AuditLog.Events"
	query := bind(l.s.dialect, `SELECT `+eventColumns+` FROM audit WHERE seq > $1 ORDER BY seq LIMIT $2`)
	return func(yield func(privacy.Event, error) bool) {
		if after > math.MaxInt64 {
			after = math.MaxInt64 // no stored sequence number is higher
		}
		page := make([]privacy.Event, 0, eventsPage)
		for {
			if err := ctx.Err(); err != nil {
				yield(privacy.Event{}, err)
				return
			}
			var err error
			page, err = l.s.readEvents(ctx, page[:0], query, int64(after), eventsPage)
			if err != nil {
				yield(privacy.Event{}, fail(ctx, op, err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < eventsPage {
				return
			}
			after = page[len(page)-1].Seq
		}
	}
}

func (s *Store) readEvents(ctx context.Context, dst []privacy.Event, query string, args ...any) ([]privacy.Event, error) {
	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return dst, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			e                         privacy.Event
			seq                       int64
			at                        dbTime
			subject, category, action string
			prev, hash                []byte
		)
		if err := rows.Scan(&seq, &at, &action, &e.Actor, &subject, &category, &e.Ref.ID, &e.Object, &e.Count, &e.Reason, &prev, &hash); err != nil {
			return dst, err
		}
		if len(prev) != len(e.Prev) || len(hash) != len(e.Hash) {
			return dst, fmt.Errorf("audit event %d: stored hashes have %d and %d bytes, want %d", seq, len(prev), len(hash), len(e.Hash))
		}
		e.Seq, e.Time, e.Action = uint64(seq), at.t, privacy.Action(action)
		e.Subject, e.Ref.Category = privacy.SubjectID(subject), privacy.Category(category)
		copy(e.Prev[:], prev)
		copy(e.Hash[:], hash)
		dst = append(dst, e)
	}
	return dst, rows.Err()
}

// appendEvents chains events after the log's head, in place, and stores
// them, inside tx, and returns them as stored. It locks the head row first
// (in SQLite the write transaction has it already), so appends are serial
// however many processes write; the lock is held until tx ends, so callers
// take it last.
func (s *Store) appendEvents(ctx context.Context, tx *sql.Tx, events []privacy.Event) ([]privacy.Event, error) {
	return s.appendEventsOn(ctx, tx, nil, events)
}

// copyMinEvents is how many events make appendEventsOn send them by COPY:
// fewer go faster as one INSERT, which needs no column types looked up.
const copyMinEvents = 64

// appendEventsOn is appendEvents with conn, if not nil, the connection tx
// runs on (see [Store.writeOn]): in PostgreSQL through pgx, many events go
// to the audit table by COPY, in tx, which the server takes in at about
// twice the rate of an INSERT of arrays.
func (s *Store) appendEventsOn(ctx context.Context, tx *sql.Tx, conn *sql.Conn, events []privacy.Event) ([]privacy.Event, error) {
	if len(events) == 0 {
		return nil, nil
	}
	var (
		seq  int64
		hash []byte
	)
	if err := tx.QueryRowContext(ctx, auditHeadQuery+s.q.forUpdate).Scan(&seq, &hash); err != nil {
		return nil, fmt.Errorf("reading the audit head: %w", err)
	}
	head := privacy.Head{Seq: uint64(seq)}
	if len(hash) != len(head.Hash) {
		return nil, fmt.Errorf("the audit head hash has %d bytes, want %d", len(hash), len(head.Hash))
	}
	copy(head.Hash[:], hash)
	out := events
	for i := range out {
		out[i] = out[i].Chain(head)
		head = privacy.Head{Seq: out[i].Seq, Hash: out[i].Hash}
	}
	var err error
	if s.dialect == PostgreSQL {
		copied := false
		if conn != nil && len(out) >= copyMinEvents {
			copied, err = copyEvents(ctx, conn, out)
		}
		switch {
		case err != nil:
		case copied:
			_, err = tx.ExecContext(ctx, `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, int64(head.Seq), head.Hash[:])
		default:
			err = s.insertEventsPostgres(ctx, tx, out, head)
		}
	} else {
		err = s.insertEventsSQLite(ctx, tx, out, head)
	}
	if err != nil {
		return nil, fmt.Errorf("appending %d audit events: %w", len(out), err)
	}
	return out, nil
}

// insertEventsPostgres inserts the events and moves the head in one
// statement, the events passed as one array per column.
func (s *Store) insertEventsPostgres(ctx context.Context, tx *sql.Tx, events []privacy.Event, head privacy.Head) error {
	n := len(events)
	var (
		seqs, counts                                       = make([]int64, n), make([]int64, n)
		times                                              = make([]time.Time, n)
		actions, actors, subjects, cats, ids, objs, reason = make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		prevs, hashes                                      = make([][]byte, n), make([][]byte, n)
	)
	for i := range events {
		e := &events[i]
		seqs[i], counts[i], times[i] = int64(e.Seq), e.Count, e.Time
		actions[i], actors[i], subjects[i] = string(e.Action), e.Actor, string(e.Subject)
		cats[i], ids[i], objs[i], reason[i] = string(e.Ref.Category), e.Ref.ID, e.Object, e.Reason
		prevs[i], hashes[i] = e.Prev[:], e.Hash[:]
	}
	_, err := tx.ExecContext(ctx, `WITH appended AS (
	INSERT INTO audit (`+eventColumns+`)
	SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[],
		$7::text[], $8::text[], $9::bigint[], $10::text[], $11::bytea[], $12::bytea[])
)
UPDATE audit_head SET seq = $13, hash = $14 WHERE id = 1`,
		seqs, times, actions, actors, subjects, cats, ids, objs, counts, reason, prevs, hashes, int64(head.Seq), head.Hash[:])
	return err
}

// sqliteEventRows is how many events one INSERT carries in SQLite: 12
// parameters each, well under SQLite's limit of 32,766.
const sqliteEventRows = 200

// insertEventsSQLite inserts n events, given as 12n arguments.
func insertEventsSQLite(n int) string {
	return bind(SQLite, `INSERT INTO audit (`+eventColumns+`) VALUES `+placeholders(n, 12))
}

func (s *Store) insertEventsSQLite(ctx context.Context, tx *sql.Tx, events []privacy.Event, head privacy.Head) error {
	args := make([]any, 0, 12*min(len(events), sqliteEventRows))
	for chunk := range slices.Chunk(events, sqliteEventRows) {
		args = args[:0]
		for i := range chunk {
			e := &chunk[i]
			args = append(args, int64(e.Seq), e.Time.UnixMicro(), string(e.Action), e.Actor, string(e.Subject),
				string(e.Ref.Category), e.Ref.ID, e.Object, e.Count, e.Reason, e.Prev[:], e.Hash[:])
		}
		if _, err := s.execIn(ctx, tx, insertEventsSQLite(len(chunk)), args); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `UPDATE audit_head SET seq = ?1, hash = ?2 WHERE id = 1`, int64(head.Seq), head.Hash[:])
	return err
}

// copyEvents sends events to the audit table by COPY on conn, which must be
// in the transaction that locked the audit head. It reports false, having
// sent nothing, when conn is not a pgx connection.
func copyEvents(ctx context.Context, conn *sql.Conn, events []privacy.Event) (bool, error) {
	copied := false
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return nil
		}
		copied = true
		tag, err := c.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(appendCopyEvents(nil, events)), copyEventsSQL)
		if err == nil && tag.RowsAffected() != int64(len(events)) {
			err = fmt.Errorf("COPY stored %d of %d audit events", tag.RowsAffected(), len(events))
		}
		return err
	})
	return copied, err
}

const copyEventsSQL = `COPY audit (` + eventColumns + `) FROM STDIN (FORMAT binary)`

// appendCopyEvents appends events to dst in PostgreSQL's binary COPY format
// (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4),
// a row of eventColumns each: bigint and timestamptz as 8 bytes big-endian
// (a timestamptz counts microseconds from 2000-01-01 UTC), text and bytea as
// their bytes.
func appendCopyEvents(dst []byte, events []privacy.Event) []byte {
	size := 21
	for i := range events {
		e := &events[i]
		size += 2 + 12*4 + 3*8 + 2*len(e.Hash) + len(e.Action) + len(e.Actor) + len(e.Subject) + len(e.Ref.Category) + len(e.Ref.ID) + len(e.Object) + len(e.Reason)
	}
	dst = slices.Grow(dst, size)
	dst = append(dst, "PGCOPY\n\xff\r\n\x00"...)
	dst = binary.BigEndian.AppendUint32(dst, 0) // flags
	dst = binary.BigEndian.AppendUint32(dst, 0) // header extension length
	num := func(dst []byte, v int64) []byte {
		dst = binary.BigEndian.AppendUint32(dst, 8)
		return binary.BigEndian.AppendUint64(dst, uint64(v))
	}
	for i := range events {
		e := &events[i]
		dst = binary.BigEndian.AppendUint16(dst, 12)
		dst = num(dst, int64(e.Seq))
		dst = num(dst, e.Time.UnixMicro()-postgresEpoch)
		dst = copyField(dst, e.Action)
		dst = copyField(dst, e.Actor)
		dst = copyField(dst, e.Subject)
		dst = copyField(dst, e.Ref.Category)
		dst = copyField(dst, e.Ref.ID)
		dst = copyField(dst, e.Object)
		dst = num(dst, e.Count)
		dst = copyField(dst, e.Reason)
		dst = copyField(dst, e.Prev[:])
		dst = copyField(dst, e.Hash[:])
	}
	return binary.BigEndian.AppendUint16(dst, 0xffff) // trailer: -1
}

// copyField appends a text or bytea field of a binary COPY row: its length
// and its bytes.
func copyField[T ~string | ~[]byte](dst []byte, v T) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(v)))
	return append(dst, v...)
}

// postgresEpoch is 2000-01-01 00:00:00 UTC in Unix microseconds.
var postgresEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()
