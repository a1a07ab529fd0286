package sqlstore

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// DisposePage implements retention.PagedInventory. One page is one write
// transaction:
//
//  1. PostgreSQL: LOCK TABLE holds IN SHARE MODE. A hold being placed is
//     waited for, and one placed from now on waits for the page to commit;
//     other sweepers' SHARE locks do not conflict, so they run side by side.
//     SQLite: the write transaction has the database's write lock already.
//  2. The holds version; the active holds are read again only if it moved.
//  3. The page: the next size records after after, in primary key order
//     (keyset pagination), locked FOR UPDATE SKIP LOCKED in PostgreSQL so that
//     sweepers running at once divide the records between them. The records
//     come without their fields (see retention.PagedInventory).
//  4. decide, with the holds covering each record.
//  5. One DELETE of the records the tombstones name (in PostgreSQL by the
//     ctids read with them), and the events appended after locking the
//     audit head (in PostgreSQL by COPY when there are many), both in the
//     page's transaction, so no record is deleted without its tombstone.
//
// In PostgreSQL a page has a connection of its own, and a sweep has two
// pages under way at once ([Store.PagesAtOnce]). decide must not use the
// store. An error from decide, the database or the context rolls the page
// back whole.
func (s *Store) DisposePage(ctx context.Context, after privacy.Ref, size int,
	decide func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	const op = "sqlstore.Store.DisposePage"
	if err := ctx.Err(); err != nil {
		return privacy.Ref{}, 0, err
	}
	if size <= 0 {
		return privacy.Ref{}, 0, &privacy.Error{Op: op, Msg: "page size must be positive", Err: privacy.ErrInvalid}
	}
	return s.disposePage(ctx, op, size, decide, pageQuery, string(after.Category), after.ID, size)
}

// PagesAtOnce implements retention.ConcurrentPages: in PostgreSQL a sweep
// reads its next page on a second connection while the last one is written
// and committed; in SQLite, where one transaction writes at a time, it has
// one page under way.
func (s *Store) PagesAtOnce() int {
	if s.dialect == PostgreSQL {
		return 2
	}
	return 1
}

// DisposeCandidatePage implements retention.CandidateInventory: it is
// DisposePage over the records of category created before before, filtered
// in the statement so that the others are neither read nor locked.
func (s *Store) DisposeCandidatePage(ctx context.Context, category privacy.Category, before time.Time, after privacy.Ref, size int,
	decide func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error)) (privacy.Ref, int, error) {
	const op = "sqlstore.Store.DisposeCandidatePage"
	if err := ctx.Err(); err != nil {
		return privacy.Ref{}, 0, err
	}
	if size <= 0 {
		return privacy.Ref{}, 0, &privacy.Error{Op: op, Msg: "page size must be positive", Err: privacy.ErrInvalid}
	}
	id := after.ID
	if after.Category != category {
		id = ""
	}
	return s.disposePage(ctx, op, size, decide, candidateQuery, string(category), id, timeArg(s.dialect, before), size)
}

// disposePage is one page of a sweep: the records query selects, decided and
// disposed of in one write transaction.
func (s *Store) disposePage(ctx context.Context, op string, size int,
	decide func(page []privacy.Record, holds [][]retention.Hold) ([]privacy.Event, error), query string, args ...any) (privacy.Ref, int, error) {
	var (
		last privacy.Ref
		n    int
	)
	err := s.writeOn(ctx, func(tx *sql.Tx, conn *sql.Conn) error {
		if err := s.lockHolds(ctx, tx); err != nil {
			return err
		}
		idx, err := s.activeHolds(ctx, tx)
		if err != nil {
			return err
		}
		// In PostgreSQL each row comes with its ctid: the page's rows are
		// locked until it commits, so the ctid names the row version read
		// until then, and the DELETE finds them without the primary key.
		var (
			rr   = recordReader{envelope: true}
			tids []string
			page = make([]privacy.Record, 0, min(size, maxPageAlloc))
			read bool
		)
		if s.dialect == PostgreSQL {
			tids = make([]string, 0, cap(page))
			rr.tids = &tids
			query = withTID(query)
			if page, read, err = readPagePostgres(ctx, conn, &rr, page, query+s.q.forUpdateSkipLocked, args...); err != nil {
				return err
			}
		}
		if !read {
			page, err = readRecords(ctx, tx, &rr, page, bind(s.dialect, query+s.q.forUpdateSkipLocked), args...)
		}
		if err != nil || len(page) == 0 {
			return err
		}
		holds := make([][]retention.Hold, len(page))
		for i := range page {
			holds[i] = idx.covering(page[i].Subject, page[i].Ref)
		}
		last, n = page[len(page)-1].Ref, len(page)
		events, err := decide(page, holds)
		if err != nil {
			return checkError{err}
		}
		var (
			gone     []privacy.Ref
			goneTIDs []string
			i        = -1
		)
		for _, e := range events {
			if e.Action != privacy.ActionDisposed {
				continue
			}
			if i = pageIndex(page, i, e.Ref); i < 0 {
				return &privacy.Error{Op: op, Ref: e.Ref, Msg: "tombstone for a record not in the page", Err: privacy.ErrInvalid}
			}
			if tids != nil {
				goneTIDs = append(goneTIDs, tids[i])
			} else {
				gone = append(gone, e.Ref)
			}
		}
		if tids != nil {
			err = s.deleteTIDs(ctx, tx, goneTIDs)
		} else {
			err = s.deleteRecords(ctx, tx, gone)
		}
		if err != nil {
			return err
		}
		_, err = s.appendEventsOn(ctx, tx, conn, events)
		return err
	})
	if ce, ok := err.(checkError); ok {
		return privacy.Ref{}, 0, ce.err
	}
	if err != nil {
		return privacy.Ref{}, 0, fail(ctx, op, err)
	}
	return last, n, nil
}

// deleteRecords deletes the records refs in one statement (a few in SQLite),
// and fails unless it deleted each of them (checkDeleted).
func (s *Store) deleteRecords(ctx context.Context, tx *sql.Tx, refs []privacy.Ref) error {
	if len(refs) == 0 {
		return nil
	}
	var deleted int64
	if s.dialect == PostgreSQL {
		cats, ids := make([]string, len(refs)), make([]string, len(refs))
		for i, ref := range refs {
			cats[i], ids[i] = string(ref.Category), ref.ID
		}
		res, err := tx.ExecContext(ctx, deletePostgres, cats, ids)
		if err != nil {
			return err
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
	} else {
		args := make([]any, 0, 2*min(len(refs), sqliteDeleteRows))
		for chunk := range slices.Chunk(refs, sqliteDeleteRows) {
			args = args[:0]
			for _, ref := range chunk {
				args = append(args, string(ref.Category), ref.ID)
			}
			res, err := s.execIn(ctx, tx, deleteSQLite(len(chunk)), args)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			deleted += k
		}
	}
	return checkDeleted(deleted, len(refs))
}

// pageIndex returns the index of ref in page, which is in Ref order, or -1.
// Tombstones come in page order, as a rule, so it looks at the records after
// the last one found, at last, first.
func pageIndex(page []privacy.Record, last int, ref privacy.Ref) int {
	if last+1 < len(page) && page[last+1].Ref == ref {
		return last + 1
	}
	cmp := func(r privacy.Record, ref privacy.Ref) int { return r.Ref.Compare(ref) }
	if i, found := slices.BinarySearchFunc(page[last+1:], ref, cmp); found {
		return last + 1 + i
	}
	if i, found := slices.BinarySearchFunc(page, ref, cmp); found {
		return i
	}
	return -1
}

// pageColumnTypes are the types of a page's columns, recordColumns and the
// ctid, as readPagePostgres decodes them.
var pageColumnTypes = [...]uint32{pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.BoolOID, pgtype.ByteaOID, pgtype.TIDOID}

// maxPageAlloc bounds what a page allocates for its records before it
// has read them, whatever page size a caller asks for.
const maxPageAlloc = 1 << 14

// readPagePostgres appends the records query selects, with their ctids (see
// withTID), to dst, reading them through pgx on conn, the connection of the
// page's transaction, in the binary format: a page is most of a sweep's
// work in the client, and database/sql would convert every column of every
// row on the way. It reports false, having read nothing, when conn is not a
// pgx connection or the rows do not come in the binary format (a
// connection in the simple protocol), for the caller to read them through
// database/sql.
func readPagePostgres(ctx context.Context, conn *sql.Conn, rr *recordReader, dst []privacy.Record, query string, args ...any) ([]privacy.Record, bool, error) {
	read := false
	err := conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return nil
		}
		rows, err := c.Conn().Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		fields := rows.FieldDescriptions()
		if len(fields) != len(pageColumnTypes) {
			return fmt.Errorf("a page has %d columns, want %d", len(fields), len(pageColumnTypes))
		}
		for i, f := range fields {
			// text is its bytes in either format.
			if f.DataTypeOID != pageColumnTypes[i] || f.Format != pgtype.BinaryFormatCode && f.DataTypeOID != pgtype.TextOID {
				return nil
			}
		}
		read = true
		var tid []byte
		for rows.Next() {
			v := rows.RawValues()
			if len(v[3]) != 8 || len(v[4]) != 1 || len(v[6]) != 6 {
				return fmt.Errorf("a page row has a created, restricted or ctid value of %d, %d and %d bytes", len(v[3]), len(v[4]), len(v[6]))
			}
			created := time.UnixMicro(int64(binary.BigEndian.Uint64(v[3])) + postgresEpoch).UTC()
			dst = append(dst, privacy.Record{})
			if err := rr.record(&dst[len(dst)-1], v[0], v[1], v[2], created, v[4][0] != 0, v[5]); err != nil {
				return err
			}
			tid = append(tid[:0], '(')
			tid = strconv.AppendUint(tid, uint64(binary.BigEndian.Uint32(v[6])), 10)
			tid = append(tid, ',')
			tid = strconv.AppendUint(tid, uint64(binary.BigEndian.Uint16(v[6][4:])), 10)
			*rr.tids = append(*rr.tids, string(append(tid, ')')))
		}
		return rows.Err()
	})
	return dst, read, err
}

// deleteTIDs deletes the PostgreSQL rows whose ctids are tids, rows the
// transaction holds locked, and fails unless it deleted each of them.
func (s *Store) deleteTIDs(ctx context.Context, tx *sql.Tx, tids []string) error {
	if len(tids) == 0 {
		return nil
	}
	res, err := tx.ExecContext(ctx, deleteTIDsPostgres, tids)
	if err != nil {
		return err
	}
	deleted, err := res.RowsAffected()
	if err != nil {
		return err
	}
	return checkDeleted(deleted, len(tids))
}

// checkDeleted fails unless deleted is want: the caller holds the rows
// locked, so a record that is not there means a tombstone named one twice.
func checkDeleted(deleted int64, want int) error {
	if deleted != int64(want) {
		return &privacy.Error{Op: "sqlstore.Store", Err: privacy.ErrInvalid,
			Msg: fmt.Sprintf("%d tombstones but %d records deleted: a record has two tombstones", want, deleted)}
	}
	return nil
}

// withTID is a query over recordColumns with the rows' ctid after them.
func withTID(query string) string {
	return strings.Replace(query, recordColumns+` FROM`, recordColumns+`, ctid FROM`, 1)
}

// sqliteDeleteRows is how many refs one DELETE names in SQLite.
const sqliteDeleteRows = 500

// The statements on the path of a sweep and an erasure, named so that
// explain_test.go can check how the database runs each: every one by index.
const (
	// pageQuery reads the next page in primary key order (keyset
	// pagination); a sweep adds FOR UPDATE SKIP LOCKED in PostgreSQL.
	pageQuery = `SELECT ` + recordColumns + ` FROM records WHERE (category, id) > ($1, $2) ORDER BY category, id LIMIT $3`
	// candidateQuery reads the next page of one category's records made
	// before an instant, through the primary key.
	candidateQuery = `SELECT ` + recordColumns + ` FROM records WHERE category = $1 AND id > $2 AND created < $3 ORDER BY category, id LIMIT $4`
	// pendingQuery reads the next page of records with an erasure pending,
	// through the partial index records_erasure_pending.
	pendingQuery = `SELECT ` + recordColumns + ` FROM records WHERE erasure_pending AND (category, id) > ($1, $2) ORDER BY category, id LIMIT $3`
	// subjectQuery reads a subject's records through records_subject.
	subjectQuery = `SELECT ` + recordColumns + ` FROM records WHERE subject = $1 ORDER BY category, id`
	// holdsVersionQuery and activeHoldsQuery read the holds a sweep checks
	// each page against; the second only when the first has moved.
	holdsVersionQuery = `SELECT version FROM holds_version WHERE id = 1`
	activeHoldsQuery  = `SELECT ` + holdColumns + ` FROM holds WHERE released_at IS NULL ORDER BY id`
	// deletePostgres deletes the refs of two arrays, categories and IDs.
	deletePostgres = `DELETE FROM records WHERE (category, id) IN (SELECT * FROM unnest($1::text[], $2::text[]))`
	// deleteTIDsPostgres deletes rows by their ctids, by TID scan: a sweep's
	// page deletes the rows it read and locked.
	deleteTIDsPostgres = `DELETE FROM records WHERE ctid = ANY($1::text[]::tid[])`
	// auditHeadQuery reads the head of the audit log; appends add FOR UPDATE
	// in PostgreSQL.
	auditHeadQuery = `SELECT seq, hash FROM audit_head WHERE id = 1`
)

// deleteSQLite deletes n refs, given as 2n arguments.
func deleteSQLite(n int) string {
	return bind(SQLite, `DELETE FROM records WHERE (category, id) IN (VALUES `+placeholders(n, 2)+`)`)
}

// EraseSubject changes one subject's records as an erasure decides, in one
// write transaction: it locks holds against change as [Store.DisposePage]
// does, reads and locks every record of subject (in Ref order), and calls
// decide with them and the active holds covering each (holds[i] covers
// recs[i]). decide returns the audit events to append, in order, and the
// records to write back: each event whose Action is privacy.ActionDisposed
// deletes the record its Ref names; each record in updates replaces the
// stored record with its Ref (a minimised, restricted copy, say). Both must
// name records decide was given, and no record may be both deleted and
// updated (errors wrap privacy.ErrInvalid). If decide fails, its error comes
// back unchanged and nothing changes. It returns how many records the
// subject had; an unknown subject has none, and decide is not called.
//
// It is the whole-subject counterpart of Dispose and Update: one
// transaction instead of one per record, so that an erasure is all or
// nothing and takes a few round trips. decide must not use the store.
func (s *Store) EraseSubject(ctx context.Context, subject privacy.SubjectID,
	decide func(recs []privacy.Record, holds [][]retention.Hold) (events []privacy.Event, updates []privacy.Record, err error)) (int, error) {
	const op = "sqlstore.Store.EraseSubject"
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	var n int
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.lockHolds(ctx, tx); err != nil {
			return err
		}
		idx, err := s.activeHolds(ctx, tx)
		if err != nil {
			return err
		}
		recs, err := queryRecords(ctx, tx, nil, bind(s.dialect, subjectQuery+s.q.forUpdate), string(subject))
		if err != nil || len(recs) == 0 {
			return err
		}
		n = len(recs)
		holds := make([][]retention.Hold, len(recs))
		for i := range recs {
			holds[i] = idx.covering(recs[i].Subject, recs[i].Ref)
		}
		events, updates, err := decide(recs, holds)
		if err != nil {
			return checkError{err}
		}
		inSet := func(ref privacy.Ref) bool {
			_, found := slices.BinarySearchFunc(recs, ref, func(r privacy.Record, ref privacy.Ref) int { return r.Ref.Compare(ref) })
			return found
		}
		gone := map[privacy.Ref]bool{}
		var refs []privacy.Ref
		for _, e := range events {
			if e.Action != privacy.ActionDisposed {
				continue
			}
			if !inSet(e.Ref) {
				return &privacy.Error{Op: op, Ref: e.Ref, Msg: "tombstone for a record not of the subject", Err: privacy.ErrInvalid}
			}
			gone[e.Ref] = true
			refs = append(refs, e.Ref)
		}
		for i := range updates {
			u := &updates[i]
			if err := u.Validate(); err != nil {
				return err
			}
			if !inSet(u.Ref) || gone[u.Ref] {
				return &privacy.Error{Op: op, Ref: u.Ref, Msg: "update of a record not of the subject, or deleted", Err: privacy.ErrInvalid}
			}
		}
		if err := s.deleteRecords(ctx, tx, refs); err != nil {
			return err
		}
		if err := s.putRecords(ctx, tx, updates); err != nil {
			return err
		}
		_, err = s.appendEvents(ctx, tx, events)
		return err
	})
	if ce, ok := err.(checkError); ok {
		return 0, ce.err
	}
	if err != nil {
		return 0, fail(ctx, op, err)
	}
	return n, nil
}
