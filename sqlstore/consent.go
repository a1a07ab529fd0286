package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// consentStore is the store's consent history, a consent.Store.
type consentStore struct{ s *Store }

const consentColumns = `seq, subject, purpose, basis, state, notice, version, language, notice_hash, method, actor, time, expires, jurisdiction, recipients`

// next takes the next number of counter name inside tx. The counter's row
// stays locked until tx ends, so numbers rise in commit order.
func (s *Store) next(ctx context.Context, tx *sql.Tx, name string) (uint64, error) {
	var v int64
	err := tx.QueryRowContext(ctx, bind(s.dialect, `UPDATE counters SET value = value + 1 WHERE name = $1 RETURNING value`), name).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("taking the next %s number: %w", name, err)
	}
	return uint64(v), nil
}

// micro is t as the store keeps it: UTC, microseconds.
func micro(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// Append implements consent.Store. Times are kept in UTC at microsecond
// precision, as the ledger writes them.
func (c *consentStore) Append(ctx context.Context, e consent.Event) (consent.Event, error) {
	const op = "sqlstore.Consent.Append"
	if err := ctx.Err(); err != nil {
		return consent.Event{}, err
	}
	s := c.s
	e = e.Clone()
	e.Time, e.Expires = micro(e.Time), micro(e.Expires)
	recipients, err := jsonList(e.Recipients)
	if err != nil {
		return consent.Event{}, &privacy.Error{Op: op, Err: err}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		seq, err := s.next(ctx, tx, "consent")
		if err != nil {
			return err
		}
		e.Seq = seq
		_, err = tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO consent_events (`+consentColumns+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`),
			int64(e.Seq), string(e.Subject), string(e.Purpose), string(e.Basis), string(e.State), string(e.Notice), e.Version,
			e.Language, e.NoticeHash, string(e.Method), e.Actor, timeArg(s.dialect, e.Time), nullTimeArg(s.dialect, e.Expires),
			e.Jurisdiction, recipients)
		return err
	})
	if err != nil {
		return consent.Event{}, fail(ctx, op, err)
	}
	return e.Clone(), nil
}

// consentPage is how many events History reads per query.
const consentPage = 500

// History implements consent.Store. It reads a page of events at a time and
// holds no connection while the caller handles them.
func (c *consentStore) History(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.Event, error] {
	const op = "sqlstore.Consent.History"
	query := bind(c.s.dialect, `SELECT `+consentColumns+` FROM consent_events WHERE subject = $1 AND seq > $2 ORDER BY seq LIMIT $3`)
	return func(yield func(consent.Event, error) bool) {
		var after uint64
		for {
			if err := ctx.Err(); err != nil {
				yield(consent.Event{}, err)
				return
			}
			page, err := c.query(ctx, query, string(subject), int64(after), consentPage)
			if err != nil {
				yield(consent.Event{}, fail(ctx, op, err))
				return
			}
			for _, e := range page {
				if !yield(e, nil) {
					return
				}
			}
			if len(page) < consentPage {
				return
			}
			after = page[len(page)-1].Seq
		}
	}
}

// Current implements consent.Store, through the (subject, purpose, seq)
// index.
func (c *consentStore) Current(ctx context.Context, subject privacy.SubjectID, purpose privacy.Purpose) (consent.Event, error) {
	const op = "sqlstore.Consent.Current"
	if err := ctx.Err(); err != nil {
		return consent.Event{}, err
	}
	page, err := c.query(ctx, bind(c.s.dialect, `SELECT `+consentColumns+` FROM consent_events
WHERE subject = $1 AND purpose = $2 ORDER BY seq DESC LIMIT 1`), string(subject), string(purpose))
	if err != nil {
		return consent.Event{}, fail(ctx, op, err)
	}
	if len(page) == 0 {
		return consent.Event{}, &privacy.Error{Op: op, Msg: fmt.Sprintf("no consent event for purpose %q", string(purpose)), Err: privacy.ErrNotFound}
	}
	return page[0], nil
}

// Pseudonymise implements consent.Store.
func (c *consentStore) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	return c.s.pseudonymise(ctx, "sqlstore.Consent.Pseudonymise", subject, pseudonym, func(tx *sql.Tx) (int64, error) {
		res, err := tx.ExecContext(ctx, bind(c.s.dialect, `UPDATE consent_events SET subject = $1 WHERE subject = $2`), string(pseudonym), string(subject))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected()
	})
}

// pseudonymise checks the arguments of a Pseudonymise and runs change in a
// write transaction; change returns how many items it changed.
func (s *Store) pseudonymise(ctx context.Context, op string, subject, pseudonym privacy.SubjectID, change func(tx *sql.Tx) (int64, error)) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if pseudonym == "" {
		return 0, &privacy.Error{Op: op, Msg: "empty pseudonym", Err: privacy.ErrInvalid}
	}
	if subject == pseudonym {
		return 0, nil
	}
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = change(tx)
		return err
	})
	if err != nil {
		return 0, fail(ctx, op, err)
	}
	return int(n), nil
}

func (c *consentStore) query(ctx context.Context, query string, args ...any) ([]consent.Event, error) {
	rows, err := c.s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Event
	for rows.Next() {
		var (
			e                                              consent.Event
			seq                                            int64
			subject, purpose, basis, state, notice, method string
			at, expires                                    dbTime
			recipients                                     sql.NullString
		)
		if err := rows.Scan(&seq, &subject, &purpose, &basis, &state, &notice, &e.Version, &e.Language, &e.NoticeHash,
			&method, &e.Actor, &at, &expires, &e.Jurisdiction, &recipients); err != nil {
			return nil, err
		}
		e.Seq, e.Subject, e.Purpose, e.Basis = uint64(seq), privacy.SubjectID(subject), privacy.Purpose(purpose), privacy.LegalBasis(basis)
		e.State, e.Notice, e.Method = consent.State(state), consent.NoticeID(notice), consent.Method(method)
		e.Time, e.Expires = at.t, expires.t
		if err := readJSON(recipients, &e.Recipients); err != nil {
			return nil, fmt.Errorf("consent event %d: %w", seq, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// jsonList is a list as JSON text, or NULL when it is empty.
func jsonList[T any](list []T) (any, error) {
	if len(list) == 0 {
		return nil, nil
	}
	b, err := json.Marshal(list)
	return string(b), err
}

// readJSON decodes JSON text into v, leaving it alone for NULL.
func readJSON(text sql.NullString, v any) error {
	if !text.Valid {
		return nil
	}
	return json.Unmarshal([]byte(text.String), v)
}

// notices is the store's published notices, a consent.NoticeStore.
type notices struct{ s *Store }

const noticeColumns = `id, version, change, published, purposes, texts, hash`

// Publish implements consent.NoticeStore. The check for a newer version and
// the insert are one transaction, under the write lock in SQLite and a
// self-exclusive table lock in PostgreSQL, so of two concurrent
// publications of one version exactly one succeeds.
func (n *notices) Publish(ctx context.Context, x consent.Notice) error {
	const op = "sqlstore.Notices.Publish"
	if err := ctx.Err(); err != nil {
		return err
	}
	s := n.s
	purposes, err := json.Marshal(x.Purposes)
	if err != nil {
		return &privacy.Error{Op: op, Err: err}
	}
	texts, err := json.Marshal(x.Texts)
	if err != nil {
		return &privacy.Error{Op: op, Err: err}
	}
	var newest sql.NullInt64
	err = s.write(ctx, func(tx *sql.Tx) error {
		if s.dialect == PostgreSQL {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE notices IN SHARE ROW EXCLUSIVE MODE`); err != nil {
				return err
			}
		}
		if err := tx.QueryRowContext(ctx, bind(s.dialect, `SELECT MAX(version) FROM notices WHERE id = $1`), string(x.ID)).Scan(&newest); err != nil {
			return err
		}
		if newest.Valid && newest.Int64 >= int64(x.Version) {
			return nil
		}
		_, err := tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO notices (`+noticeColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`),
			string(x.ID), x.Version, int(x.Change), timeArg(s.dialect, x.Published), string(purposes), string(texts), x.Hash)
		return err
	})
	if err != nil {
		return fail(ctx, op, err)
	}
	if newest.Valid && newest.Int64 >= int64(x.Version) {
		return &privacy.Error{Op: op, Err: privacy.ErrConflict,
			Msg: fmt.Sprintf("version %d of notice %q is not newer than stored version %d", x.Version, string(x.ID), newest.Int64)}
	}
	return nil
}

// Notice implements consent.NoticeStore.
func (n *notices) Notice(ctx context.Context, id consent.NoticeID, version int) (consent.Notice, error) {
	const op = "sqlstore.Notices.Notice"
	if err := ctx.Err(); err != nil {
		return consent.Notice{}, err
	}
	query, args := `SELECT `+noticeColumns+` FROM notices WHERE id = $1 AND version = $2`, []any{string(id), version}
	if version == 0 {
		query, args = `SELECT `+noticeColumns+` FROM notices WHERE id = $1 ORDER BY version DESC LIMIT 1`, []any{string(id)}
	}
	ns, err := n.query(ctx, bind(n.s.dialect, query), args...)
	if err != nil {
		return consent.Notice{}, fail(ctx, op, err)
	}
	if len(ns) == 0 {
		return consent.Notice{}, &privacy.Error{Op: op, Msg: fmt.Sprintf("notice %q version %d", string(id), version), Err: privacy.ErrNotFound}
	}
	return ns[0], nil
}

// noticesPage is how many versions Versions reads per query.
const noticesPage = 100

// Versions implements consent.NoticeStore, a page of versions at a time.
func (n *notices) Versions(ctx context.Context, id consent.NoticeID, after int) iter.Seq2[consent.Notice, error] {
	const op = "sqlstore.Notices.Versions"
	query := bind(n.s.dialect, `SELECT `+noticeColumns+` FROM notices WHERE id = $1 AND version > $2 ORDER BY version LIMIT $3`)
	return func(yield func(consent.Notice, error) bool) {
		for {
			if err := ctx.Err(); err != nil {
				yield(consent.Notice{}, err)
				return
			}
			page, err := n.query(ctx, query, string(id), after, noticesPage)
			if err != nil {
				yield(consent.Notice{}, fail(ctx, op, err))
				return
			}
			for _, x := range page {
				if !yield(x, nil) {
					return
				}
			}
			if len(page) < noticesPage {
				return
			}
			after = page[len(page)-1].Version
		}
	}
}

func (n *notices) query(ctx context.Context, query string, args ...any) ([]consent.Notice, error) {
	rows, err := n.s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Notice
	for rows.Next() {
		var (
			x               consent.Notice
			id              string
			change          int
			published       dbTime
			purposes, texts sql.NullString
		)
		if err := rows.Scan(&id, &x.Version, &change, &published, &purposes, &texts, &x.Hash); err != nil {
			return nil, err
		}
		x.ID, x.Change, x.Published = consent.NoticeID(id), consent.Change(change), published.t
		if err := readJSON(purposes, &x.Purposes); err != nil {
			return nil, fmt.Errorf("notice %q version %d: %w", id, x.Version, err)
		}
		if err := readJSON(texts, &x.Texts); err != nil {
			return nil, fmt.Errorf("notice %q version %d: %w", id, x.Version, err)
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// disclosures is the store's legal orders and disclosures, a
// consent.DisclosureStore.
type disclosures struct{ s *Store }

const orderColumns = `o.id, o.authority, o.reference, o.date, o.basis, o.purposes, o.recipients, o.until, o.recorded, o.actor`

// AddOrder implements consent.DisclosureStore. Times are kept in UTC at
// microsecond precision.
func (d *disclosures) AddOrder(ctx context.Context, o consent.LegalOrder) (consent.LegalOrder, error) {
	const op = "sqlstore.Disclosures.AddOrder"
	if err := ctx.Err(); err != nil {
		return consent.LegalOrder{}, err
	}
	s := d.s
	o = o.Clone()
	o.Date, o.Scope.Until, o.Recorded = micro(o.Date), micro(o.Scope.Until), micro(o.Recorded)
	purposes, err := json.Marshal(o.Scope.Purposes)
	if err != nil {
		return consent.LegalOrder{}, &privacy.Error{Op: op, Err: err}
	}
	recipients, err := jsonList(o.Scope.Recipients)
	if err != nil {
		return consent.LegalOrder{}, &privacy.Error{Op: op, Err: err}
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var existing int64
		err := tx.QueryRowContext(ctx, bind(s.dialect, `SELECT id FROM orders WHERE authority = $1 AND reference = $2`), o.Authority, o.Reference).Scan(&existing)
		switch {
		case err == nil:
			return &privacy.Error{Op: op, Msg: fmt.Sprintf("order %d has the same authority and reference", existing), Err: privacy.ErrConflict}
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if o.ID, err = s.next(ctx, tx, "order"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO orders (id, authority, reference, date, basis, purposes, recipients, until, recorded, actor)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`),
			int64(o.ID), o.Authority, o.Reference, timeArg(s.dialect, o.Date), string(o.Basis), string(purposes), recipients,
			nullTimeArg(s.dialect, o.Scope.Until), nullTimeArg(s.dialect, o.Recorded), o.Actor)
		if err != nil {
			// Two processes adding one order at once: the unique index
			// stops the second.
			if isUniqueViolation(err) {
				return &privacy.Error{Op: op, Msg: "an order with the same authority and reference exists", Err: privacy.ErrConflict}
			}
			return err
		}
		if len(o.Scope.Subjects) == 0 {
			return nil
		}
		args := make([]any, 0, 3*len(o.Scope.Subjects))
		for i, sub := range o.Scope.Subjects {
			args = append(args, int64(o.ID), i, string(sub))
		}
		_, err = tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO order_subjects (order_id, position, subject) VALUES `+placeholders(len(o.Scope.Subjects), 3)), args...)
		return err
	})
	if err != nil {
		return consent.LegalOrder{}, fail(ctx, op, err)
	}
	return o.Clone(), nil
}

// Orders implements consent.DisclosureStore. A subject has few orders: it
// reads them in one query.
func (d *disclosures) Orders(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.LegalOrder, error] {
	const op = "sqlstore.Disclosures.Orders"
	query := bind(d.s.dialect, `SELECT `+orderColumns+`, s.subject FROM orders o JOIN order_subjects s ON s.order_id = o.id
WHERE o.id IN (SELECT order_id FROM order_subjects WHERE subject = $1) ORDER BY o.id, s.position`)
	return func(yield func(consent.LegalOrder, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(consent.LegalOrder{}, err)
			return
		}
		orders, err := d.queryOrders(ctx, query, string(subject))
		if err != nil {
			yield(consent.LegalOrder{}, fail(ctx, op, err))
			return
		}
		for _, o := range orders {
			if !yield(o, nil) {
				return
			}
		}
	}
}

// queryOrders reads rows of orderColumns and one subject each, in order of
// ID and position, into orders.
func (d *disclosures) queryOrders(ctx context.Context, query string, args ...any) ([]consent.LegalOrder, error) {
	rows, err := d.s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.LegalOrder
	for rows.Next() {
		var (
			o                     consent.LegalOrder
			id                    int64
			basis, subject        string
			date, until, recorded dbTime
			purposes, recipients  sql.NullString
		)
		if err := rows.Scan(&id, &o.Authority, &o.Reference, &date, &basis, &purposes, &recipients, &until, &recorded, &o.Actor, &subject); err != nil {
			return nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == uint64(id) {
			out[n-1].Scope.Subjects = append(out[n-1].Scope.Subjects, privacy.SubjectID(subject))
			continue
		}
		o.ID, o.Basis, o.Date, o.Scope.Until, o.Recorded = uint64(id), privacy.LegalBasis(basis), date.t, until.t, recorded.t
		o.Scope.Subjects = []privacy.SubjectID{privacy.SubjectID(subject)}
		if err := readJSON(purposes, &o.Scope.Purposes); err != nil {
			return nil, fmt.Errorf("order %d: %w", id, err)
		}
		if err := readJSON(recipients, &o.Scope.Recipients); err != nil {
			return nil, fmt.Errorf("order %d: %w", id, err)
		}
		out = append(out, o)
	}
	return out, rows.Err()
}

const disclosureColumns = `id, subject, recipient, purpose, basis, time, consent_seq, order_id`

// AddDisclosure implements consent.DisclosureStore.
func (d *disclosures) AddDisclosure(ctx context.Context, x consent.Disclosure) (consent.Disclosure, error) {
	const op = "sqlstore.Disclosures.AddDisclosure"
	if err := ctx.Err(); err != nil {
		return consent.Disclosure{}, err
	}
	s := d.s
	x.Time = micro(x.Time)
	err := s.write(ctx, func(tx *sql.Tx) error {
		var err error
		if x.ID, err = s.next(ctx, tx, "disclosure"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, bind(s.dialect, `INSERT INTO disclosures (`+disclosureColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`),
			int64(x.ID), string(x.Subject), x.Recipient, string(x.Purpose), string(x.Basis), timeArg(s.dialect, x.Time),
			int64(x.Consent), int64(x.Order))
		return err
	})
	if err != nil {
		return consent.Disclosure{}, fail(ctx, op, err)
	}
	return x, nil
}

// disclosuresPage is how many disclosures Disclosures reads per query.
const disclosuresPage = 500

// Disclosures implements consent.DisclosureStore, a page at a time.
func (d *disclosures) Disclosures(ctx context.Context, subject privacy.SubjectID) iter.Seq2[consent.Disclosure, error] {
	const op = "sqlstore.Disclosures.Disclosures"
	query := bind(d.s.dialect, `SELECT `+disclosureColumns+` FROM disclosures WHERE subject = $1 AND id > $2 ORDER BY id LIMIT $3`)
	return func(yield func(consent.Disclosure, error) bool) {
		var after uint64
		for {
			if err := ctx.Err(); err != nil {
				yield(consent.Disclosure{}, err)
				return
			}
			page, err := d.queryDisclosures(ctx, query, string(subject), int64(after), disclosuresPage)
			if err != nil {
				yield(consent.Disclosure{}, fail(ctx, op, err))
				return
			}
			for _, x := range page {
				if !yield(x, nil) {
					return
				}
			}
			if len(page) < disclosuresPage {
				return
			}
			after = page[len(page)-1].ID
		}
	}
}

func (d *disclosures) queryDisclosures(ctx context.Context, query string, args ...any) ([]consent.Disclosure, error) {
	rows, err := d.s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []consent.Disclosure
	for rows.Next() {
		var (
			x                       consent.Disclosure
			id, seq, order          int64
			subject, purpose, basis string
			at                      dbTime
		)
		if err := rows.Scan(&id, &subject, &x.Recipient, &purpose, &basis, &at, &seq, &order); err != nil {
			return nil, err
		}
		x.ID, x.Subject, x.Purpose, x.Basis, x.Time = uint64(id), privacy.SubjectID(subject), privacy.Purpose(purpose), privacy.LegalBasis(basis), at.t
		x.Consent, x.Order = uint64(seq), uint64(order)
		out = append(out, x)
	}
	return out, rows.Err()
}

// Pseudonymise implements consent.DisclosureStore: it counts each
// disclosure and each order whose scope named subject.
func (d *disclosures) Pseudonymise(ctx context.Context, subject, pseudonym privacy.SubjectID) (int, error) {
	s := d.s
	return s.pseudonymise(ctx, "sqlstore.Disclosures.Pseudonymise", subject, pseudonym, func(tx *sql.Tx) (int64, error) {
		res, err := tx.ExecContext(ctx, bind(s.dialect, `UPDATE disclosures SET subject = $1 WHERE subject = $2`), string(pseudonym), string(subject))
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		var orders int64
		if err := tx.QueryRowContext(ctx, bind(s.dialect, `SELECT COUNT(DISTINCT order_id) FROM order_subjects WHERE subject = $1`),
			string(subject)).Scan(&orders); err != nil {
			return 0, err
		}
		_, err = tx.ExecContext(ctx, bind(s.dialect, `UPDATE order_subjects SET subject = $1 WHERE subject = $2`), string(pseudonym), string(subject))
		return n + orders, err
	})
}
