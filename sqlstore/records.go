package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"iter"
	"time"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

const recordColumns = `category, id, subject, created, restricted, body`

// recordWriteColumns are the columns a write of a record sets: recordColumns
// and erasure_pending, which says whether the record's events hold
// steward.EventErasurePending, for [Store.PendingErasures] to find by index.
const recordWriteColumns = recordColumns + `, erasure_pending`

// PutRecord stores r, replacing a record with the same Ref. It returns an
// error wrapping privacy.ErrInvalid if r does not validate. Times are kept
// in UTC at microsecond precision.
func (s *Store) PutRecord(ctx context.Context, r privacy.Record) error {
	const op = "sqlstore.Store.PutRecord"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := r.Validate(); err != nil {
		return err
	}
	_, err := s.exec(ctx, s.putRecordQuery(), s.putRecordArgs(&r)...)
	return fail(ctx, op, err)
}

func (s *Store) putRecordQuery() string {
	return bind(s.dialect, `INSERT INTO records (`+recordWriteColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`+upsertRecord)
}

func (s *Store) putRecordArgs(r *privacy.Record) []any {
	_, pending := r.Events[steward.EventErasurePending]
	return []any{string(r.Ref.Category), r.Ref.ID, string(r.Subject), timeArg(s.dialect, r.Created), r.Restricted, appendBody(nil, r), pending}
}

// PutRecords stores recs in one transaction, each replacing a record with
// the same Ref (of two with one Ref in recs, the later wins). It is the way
// to load many records: pass them in batches of a few thousand. If any
// record does not validate, it stores none and returns an error wrapping
// privacy.ErrInvalid.
func (s *Store) PutRecords(ctx context.Context, recs []privacy.Record) error {
	const op = "sqlstore.Store.PutRecords"
	if err := ctx.Err(); err != nil {
		return err
	}
	for i := range recs {
		if err := recs[i].Validate(); err != nil {
			return err
		}
	}
	err := s.write(ctx, func(tx *sql.Tx) error { return s.putRecords(ctx, tx, recs) })
	return fail(ctx, op, err)
}

// putRecords stores valid records in tx, a few hundred per statement.
func (s *Store) putRecords(ctx context.Context, tx *sql.Tx, recs []privacy.Record) error {
	// A statement may change a row once: keep the last of each Ref.
	last := make(map[privacy.Ref]int, len(recs))
	for i := range recs {
		last[recs[i].Ref] = i
	}
	for start := 0; start < len(recs); start += putRecordsRows {
		end := min(start+putRecordsRows, len(recs))
		args := make([]any, 0, recordWriteArgs*(end-start))
		rows := 0
		for i := start; i < end; i++ {
			if last[recs[i].Ref] != i {
				continue
			}
			args = append(args, s.putRecordArgs(&recs[i])...)
			rows++
		}
		if rows == 0 {
			continue
		}
		if _, err := s.execIn(ctx, tx, upsertRecords(s.dialect, rows), args); err != nil {
			return err
		}
	}
	return nil
}

// putRecordsRows is how many records one INSERT of PutRecords carries.
const putRecordsRows = 500

// recordWriteArgs is how many arguments putRecordArgs gives a record.
const recordWriteArgs = 7

// upsertRecords stores n records, given as recordWriteArgs·n arguments.
func upsertRecords(d Dialect, n int) string {
	return bind(d, `INSERT INTO records (`+recordWriteColumns+`) VALUES `+placeholders(n, recordWriteArgs)+upsertRecord)
}

const upsertRecord = `
ON CONFLICT (category, id) DO UPDATE SET subject = excluded.subject, created = excluded.created,
	restricted = excluded.restricted, body = excluded.body, erasure_pending = excluded.erasure_pending`

// Record returns the record ref, or an error wrapping privacy.ErrNotFound.
func (s *Store) Record(ctx context.Context, ref privacy.Ref) (privacy.Record, error) {
	const op = "sqlstore.Store.Record"
	if err := ctx.Err(); err != nil {
		return privacy.Record{}, err
	}
	r, err := s.getRecord(ctx, s.db, ref, "")
	if errors.Is(err, sql.ErrNoRows) {
		return privacy.Record{}, notFound(op, ref)
	}
	return r, fail(ctx, op, err)
}

func (s *Store) getRecord(ctx context.Context, q rowQuerier, ref privacy.Ref, lock string) (privacy.Record, error) {
	recs, err := queryRecords(ctx, q, nil, bind(s.dialect, `SELECT `+recordColumns+` FROM records WHERE category = $1 AND id = $2`+lock),
		string(ref.Category), ref.ID)
	if err != nil {
		return privacy.Record{}, err
	}
	if len(recs) == 0 {
		return privacy.Record{}, sql.ErrNoRows
	}
	return recs[0], nil
}

// recordReader reads rows of recordColumns. The records it reads share the
// strings that repeat among them (the category, the subject of consecutive
// records) and the backing arrays of their fields.
type recordReader struct {
	category, id, subject, body sql.RawBytes
	created                     dbTime
	restricted                  bool
	// tids, if not nil, collects a column after recordColumns: the row's
	// ctid in PostgreSQL, by which a locked row is deleted without an
	// index lookup.
	tids *[]string
	tid  sql.RawBytes
	// envelope leaves the records' Fields nil: a sweep decides on the rest.
	envelope bool

	lastCategory privacy.Category
	lastSubject  privacy.SubjectID
	fields       fieldSlab
}

func (rr *recordReader) scan(rows *sql.Rows, r *privacy.Record) error {
	// RawBytes are valid only until the next Next; every string kept is a
	// copy.
	var err error
	if rr.tids != nil {
		err = rows.Scan(&rr.category, &rr.id, &rr.subject, &rr.created, &rr.restricted, &rr.body, &rr.tid)
	} else {
		err = rows.Scan(&rr.category, &rr.id, &rr.subject, &rr.created, &rr.restricted, &rr.body)
	}
	if err != nil {
		return err
	}
	if err := rr.record(r, rr.category, rr.id, rr.subject, rr.created.t, rr.restricted, rr.body); err != nil {
		return err
	}
	if rr.tids != nil {
		*rr.tids = append(*rr.tids, string(rr.tid))
	}
	return nil
}

// record sets r from the columns of a row.
func (rr *recordReader) record(r *privacy.Record, category, id, subject []byte, created time.Time, restricted bool, body []byte) error {
	if string(category) != string(rr.lastCategory) {
		rr.lastCategory = privacy.Category(category)
	}
	if string(subject) != string(rr.lastSubject) {
		rr.lastSubject = privacy.SubjectID(subject)
	}
	*r = privacy.Record{Ref: privacy.Ref{Category: rr.lastCategory, ID: string(id)}, Subject: rr.lastSubject,
		Created: created, Restricted: restricted}
	var err error
	if rr.envelope {
		err = decodeEvents(body, r)
	} else {
		err = decodeBody(body, r, &rr.fields)
	}
	if err != nil {
		return &privacy.Error{Op: "sqlstore", Ref: r.Ref, Msg: "reading the stored record", Err: err}
	}
	return nil
}

// queryRecords appends the records a query over recordColumns returns to dst.
func queryRecords(ctx context.Context, q rowQuerier, dst []privacy.Record, query string, args ...any) ([]privacy.Record, error) {
	return readRecords(ctx, q, &recordReader{}, dst, query, args...)
}

func readRecords(ctx context.Context, q rowQuerier, rr *recordReader, dst []privacy.Record, query string, args ...any) ([]privacy.Record, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return dst, err
	}
	defer rows.Close()
	for rows.Next() {
		dst = append(dst, privacy.Record{})
		if err := rr.scan(rows, &dst[len(dst)-1]); err != nil {
			return dst[:len(dst)-1], err
		}
	}
	return dst, rows.Err()
}

// scanPage is how many records Scan and BySubject read per query.
const scanPage = 256

// Scan implements retention.Inventory. It reads a page of records at a time
// (keyset pagination on the primary key) and holds no connection or lock
// while the caller handles them, so the caller may change the store as it
// goes.
func (s *Store) Scan(ctx context.Context, after privacy.Ref) iter.Seq2[privacy.Record, error] {
	query := bind(s.dialect, pageQuery)
	return s.walk(ctx, "sqlstore.Store.Scan", after, func(after privacy.Ref) (string, []any) {
		return query, []any{string(after.Category), after.ID, scanPage}
	})
}

// BySubject yields every record of subject in Ref order; an unknown subject
// yields nothing. It reads a page at a time, as [Store.Scan].
func (s *Store) BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[privacy.Record, error] {
	query := bind(s.dialect, `SELECT `+recordColumns+` FROM records WHERE subject = $1 AND (category, id) > ($2, $3)
ORDER BY category, id LIMIT $4`)
	return s.walk(ctx, "sqlstore.Store.BySubject", privacy.Ref{}, func(after privacy.Ref) (string, []any) {
		return query, []any{string(subject), string(after.Category), after.ID, scanPage}
	})
}

// PendingErasures yields the records whose events hold
// steward.EventErasurePending — erasures a legal hold held back — in Ref
// order, found through an index without reading any other record: the
// steward.PendingFinder that Steward.Sweep completes those erasures with. It
// reads a page at a time, as [Store.Scan], so the caller may change the
// store as it goes.
func (s *Store) PendingErasures(ctx context.Context) iter.Seq2[privacy.Record, error] {
	query := bind(s.dialect, pendingQuery)
	return s.walk(ctx, "sqlstore.Store.PendingErasures", privacy.Ref{}, func(after privacy.Ref) (string, []any) {
		return query, []any{string(after.Category), after.ID, scanPage}
	})
}

// walk yields the records of the pages page returns the query for, each
// page starting after the last record of the one before.
func (s *Store) walk(ctx context.Context, op string, after privacy.Ref, page func(after privacy.Ref) (string, []any)) iter.Seq2[privacy.Record, error] {
	return func(yield func(privacy.Record, error) bool) {
		recs := make([]privacy.Record, 0, scanPage)
		for {
			if err := ctx.Err(); err != nil {
				yield(privacy.Record{}, err)
				return
			}
			query, args := page(after)
			var err error
			recs, err = queryRecords(ctx, s.db, recs[:0], query, args...)
			if err != nil {
				yield(privacy.Record{}, fail(ctx, op, err))
				return
			}
			for _, r := range recs {
				if !yield(r, nil) {
					return
				}
			}
			if len(recs) < scanPage {
				return
			}
			after = recs[len(recs)-1].Ref
		}
	}
}

// checkError carries the error of a caller's check out of a transaction, so
// that it is returned unchanged.
type checkError struct{ err error }

func (e checkError) Error() string { return e.err.Error() }

// Dispose implements retention.Inventory. In one write transaction it locks
// holds against change (PostgreSQL: SHARE mode) and the record's row (FOR
// UPDATE), reads the record and the active holds covering it, calls check,
// deletes the record and appends tomb. A hold stored before Dispose starts
// is seen; one stored while it runs waits for it to end. check must not use
// the store.
func (s *Store) Dispose(ctx context.Context, ref privacy.Ref, check retention.Check, tomb privacy.Event) error {
	return s.change(ctx, "sqlstore.Store.Dispose", ref, check, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, bind(s.dialect, `DELETE FROM records WHERE category = $1 AND id = $2`),
			string(ref.Category), ref.ID); err != nil {
			return err
		}
		_, err := s.appendEvents(ctx, tx, []privacy.Event{tomb})
		return err
	})
}

// Update replaces the record next.Ref by next if check, called with the
// record as stored and the active holds covering it, returns nil, and
// appends event to the audit log, in one transaction as [Store.Dispose]. A
// missing record gives an error wrapping privacy.ErrNotFound, an invalid
// next one wrapping privacy.ErrInvalid; check's error comes back unchanged.
func (s *Store) Update(ctx context.Context, next privacy.Record, check retention.Check, event privacy.Event) error {
	if err := next.Validate(); err != nil {
		return err
	}
	return s.change(ctx, "sqlstore.Store.Update", next.Ref, check, func(tx *sql.Tx) error {
		if err := s.putRecords(ctx, tx, []privacy.Record{next}); err != nil {
			return err
		}
		_, err := s.appendEvents(ctx, tx, []privacy.Event{event})
		return err
	})
}

// change is Dispose and Update: it locks and reads the record and its
// holds, asks check, and on approval runs apply, all in one transaction.
func (s *Store) change(ctx context.Context, op string, ref privacy.Ref, check retention.Check, apply func(tx *sql.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.lockHolds(ctx, tx); err != nil {
			return err
		}
		r, err := s.getRecord(ctx, tx, ref, s.q.forUpdate)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound(op, ref)
		}
		if err != nil {
			return err
		}
		holds, err := s.covering(ctx, tx, r.Subject, r.Ref)
		if err != nil {
			return err
		}
		if err := check(r, holds); err != nil {
			return checkError{err}
		}
		return apply(tx)
	})
	if ce, ok := err.(checkError); ok {
		return ce.err
	}
	return fail(ctx, op, err)
}
