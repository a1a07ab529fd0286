package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"
	"unicode/utf8"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/privacy"
)

// Requests returns the store's data subject requests, a
// steward.RequestStore for Options.Requests.
func (s *Store) Requests() steward.RequestStore { return &requests{s: s} }

// Archives returns the store's archive grants, a steward.ArchiveStore for
// Options.Archives.
func (s *Store) Archives() steward.ArchiveStore { return &archives{s: s} }

var (
	_ steward.RequestStore  = (*requests)(nil)
	_ steward.ArchiveStore  = (*archives)(nil)
	_ steward.PendingFinder = (*Store)(nil)
	_ steward.SubjectEraser = (*Store)(nil)
)

// requests is the store's data subject requests.
type requests struct{ s *Store }

const requestColumns = `id, kind, subject, received, due, state, extension, extension_reason, policy, closed, refusal_reason`

// checkText returns an error wrapping privacy.ErrInvalid naming the first of
// the named values that is not text a database keeps: valid UTF-8 without
// NUL bytes.
func checkText(op string, named ...string) error {
	for i := 0; i+1 < len(named); i += 2 {
		if v := named[i+1]; !utf8.ValidString(v) || strings.IndexByte(v, 0) >= 0 {
			return &privacy.Error{Op: op, Msg: named[i] + " is not valid UTF-8 text", Err: privacy.ErrInvalid}
		}
	}
	return nil
}

func checkRequest(op string, r *steward.Request) error {
	if r.ID == "" || r.Subject == "" {
		return &privacy.Error{Op: op, Msg: "a request needs an ID and a subject", Err: privacy.ErrInvalid}
	}
	return checkText(op, "the ID", r.ID, "the kind", string(r.Kind), "the subject", string(r.Subject), "the state", string(r.State),
		"the extension reason", r.ExtensionReason, "the policy", r.Policy, "the refusal reason", r.RefusalReason)
}

func (q *requests) args(r *steward.Request) []any {
	d := q.s.dialect
	return []any{r.ID, string(r.Kind), string(r.Subject), timeArg(d, r.Received), timeArg(d, r.Due), string(r.State),
		r.Extension, r.ExtensionReason, r.Policy, nullTimeArg(d, r.Closed), r.RefusalReason}
}

// Put implements steward.RequestStore. Times are kept in UTC at microsecond
// precision.
func (q *requests) Put(ctx context.Context, r steward.Request) error {
	const op = "sqlstore.Requests.Put"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkRequest(op, &r); err != nil {
		return err
	}
	_, err := q.s.exec(ctx, bind(q.s.dialect, `INSERT INTO requests (`+requestColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`), q.args(&r)...)
	if isUniqueViolation(err) {
		return &privacy.Error{Op: op, Msg: "request " + r.ID + " exists", Err: privacy.ErrConflict}
	}
	return fail(ctx, op, err)
}

// Get implements steward.RequestStore.
func (q *requests) Get(ctx context.Context, id string) (steward.Request, error) {
	const op = "sqlstore.Requests.Get"
	if err := ctx.Err(); err != nil {
		return steward.Request{}, err
	}
	if checkText(op, "the ID", id) != nil {
		// No stored request has it, and PostgreSQL refuses to compare it.
		return steward.Request{}, &privacy.Error{Op: op, Msg: "no request with an ID of invalid text", Err: privacy.ErrNotFound}
	}
	rs, err := q.query(ctx, `SELECT `+requestColumns+` FROM requests WHERE id = $1`, id)
	if err != nil {
		return steward.Request{}, fail(ctx, op, err)
	}
	if len(rs) == 0 {
		return steward.Request{}, &privacy.Error{Op: op, Msg: "no request " + id, Err: privacy.ErrNotFound}
	}
	return rs[0], nil
}

// Replace implements steward.RequestStore: one UPDATE that changes the row
// only if every column still holds old, as Get returned it.
func (q *requests) Replace(ctx context.Context, old, r steward.Request) error {
	const op = "sqlstore.Requests.Replace"
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := checkRequest(op, &r); err != nil {
		return err
	}
	if old.ID != r.ID {
		return &privacy.Error{Op: op, Msg: fmt.Sprintf("request %s cannot replace request %s", r.ID, old.ID), Err: privacy.ErrInvalid}
	}
	oldArgs := q.args(&old)
	// closed is NULL while a request is open: compared with IS NOT DISTINCT
	// FROM, as = would never match a NULL.
	res, err := q.s.exec(ctx, bind(q.s.dialect, `UPDATE requests SET kind = $1, subject = $2, received = $3, due = $4, state = $5,
	extension = $6, extension_reason = $7, policy = $8, closed = $9, refusal_reason = $10
WHERE id = $11 AND kind = $12 AND subject = $13 AND received = $14 AND due = $15 AND state = $16
	AND extension = $17 AND extension_reason = $18 AND policy = $19 AND closed IS NOT DISTINCT FROM $20 AND refusal_reason = $21`),
		append(q.args(&r)[1:], oldArgs...)...)
	if err != nil {
		return fail(ctx, op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fail(ctx, op, err)
	}
	if n == 1 {
		return nil
	}
	if _, err := q.Get(ctx, r.ID); err != nil {
		return privacy.Wrap(op, err)
	}
	return &privacy.Error{Op: op, Msg: "request " + r.ID + " changed meanwhile", Err: privacy.ErrConflict}
}

// BySubject implements steward.RequestStore. A subject has few requests:
// they are read in one query, and no connection is held while the caller
// handles them.
func (q *requests) BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[steward.Request, error] {
	const op = "sqlstore.Requests.BySubject"
	return func(yield func(steward.Request, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(steward.Request{}, err)
			return
		}
		if checkText(op, "the subject", string(subject)) != nil {
			return // no stored request has it
		}
		rs, err := q.query(ctx, `SELECT `+requestColumns+` FROM requests WHERE subject = $1 ORDER BY received, id`, string(subject))
		if err != nil {
			yield(steward.Request{}, fail(ctx, op, err))
			return
		}
		for _, r := range rs {
			if !yield(r, nil) {
				return
			}
		}
	}
}

func (q *requests) query(ctx context.Context, query string, args ...any) ([]steward.Request, error) {
	rows, err := q.s.db.QueryContext(ctx, bind(q.s.dialect, query), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []steward.Request
	for rows.Next() {
		var (
			r                              steward.Request
			kind, subject, state           string
			received, due, closed          dbTime
			extension                      int
			extensionReason, refusalReason string
		)
		if err := rows.Scan(&r.ID, &kind, &subject, &received, &due, &state, &extension, &extensionReason, &r.Policy, &closed, &refusalReason); err != nil {
			return nil, err
		}
		r.Kind, r.Subject, r.State = privacy.RequestKind(kind), privacy.SubjectID(subject), privacy.RequestState(state)
		r.Received, r.Due, r.Closed = received.t, due.t, closed.t
		r.Extension, r.ExtensionReason, r.RefusalReason = extension, extensionReason, refusalReason
		out = append(out, r)
	}
	return out, rows.Err()
}

// archives is the store's archive grants.
type archives struct{ s *Store }

// Put implements steward.ArchiveStore, replacing the subject's grant.
func (a *archives) Put(ctx context.Context, g steward.Grant) error {
	const op = "sqlstore.Archives.Put"
	if err := ctx.Err(); err != nil {
		return err
	}
	if g.Subject == "" {
		return &privacy.Error{Op: op, Msg: "a grant needs a subject", Err: privacy.ErrInvalid}
	}
	if err := checkText(op, "the subject", string(g.Subject), "the administrator", g.Administrator); err != nil {
		return err
	}
	d := a.s.dialect
	_, err := a.s.exec(ctx, bind(d, `INSERT INTO archive_grants (subject, administrator, until, granted) VALUES ($1, $2, $3, $4)
ON CONFLICT (subject) DO UPDATE SET administrator = excluded.administrator, until = excluded.until, granted = excluded.granted`),
		string(g.Subject), g.Administrator, nullTimeArg(d, g.Until), nullTimeArg(d, g.Granted))
	return fail(ctx, op, err)
}

// Get implements steward.ArchiveStore.
func (a *archives) Get(ctx context.Context, subject privacy.SubjectID) (steward.Grant, error) {
	const op = "sqlstore.Archives.Get"
	if err := ctx.Err(); err != nil {
		return steward.Grant{}, err
	}
	if checkText(op, "the subject", string(subject)) != nil {
		return steward.Grant{}, &privacy.Error{Op: op, Msg: "no archive grant for a subject of invalid text", Err: privacy.ErrNotFound}
	}
	g := steward.Grant{Subject: subject}
	var until, granted dbTime
	err := a.s.db.QueryRowContext(ctx, bind(a.s.dialect, `SELECT administrator, until, granted FROM archive_grants WHERE subject = $1`),
		string(subject)).Scan(&g.Administrator, &until, &granted)
	if errors.Is(err, sql.ErrNoRows) {
		return steward.Grant{}, &privacy.Error{Op: op, Msg: "no archive grant for the subject", Err: privacy.ErrNotFound}
	}
	if err != nil {
		return steward.Grant{}, fail(ctx, op, err)
	}
	g.Until, g.Granted = until.t, granted.t
	return g, nil
}
