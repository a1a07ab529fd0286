package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"

	// The two drivers sqlstore speaks: "sqlite" (pure Go) and "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Dialect is the SQL database a Store speaks to.
type Dialect uint8

const (
	// SQLite through modernc.org/sqlite, driver name "sqlite".
	SQLite Dialect = iota + 1
	// PostgreSQL through github.com/jackc/pgx/v5/stdlib, driver name "pgx".
	PostgreSQL
)

// String returns "sqlite" or "postgres".
func (d Dialect) String() string {
	switch d {
	case SQLite:
		return "sqlite"
	case PostgreSQL:
		return "postgres"
	}
	return fmt.Sprintf("Dialect(%d)", uint8(d))
}

func (d Dialect) valid() bool { return d == SQLite || d == PostgreSQL }

// Options configures [New] and [Open]. Nil options and the zero value are
// the defaults.
type Options struct {
	// NoMigrate leaves the schema alone: New only checks that the database
	// has every migration this package knows, and fails with an error
	// wrapping privacy.ErrConflict if not. Use it when migrations are run by
	// a deployment step ([Migrate]) rather than by each process that starts.
	NoMigrate bool
}

// Store keeps records, legal holds, the audit log, consent, notices and
// disclosures in one SQL database. It is safe for concurrent use, by several
// goroutines and, on PostgreSQL, by several processes; see the package
// documentation for how.
//
// Store itself is the records inventory (retention.Inventory with the
// retention.PagedInventory fast path) and the hold store
// (retention.HoldStore). The audit log and the consent stores have methods
// whose names clash with those (Append, Pseudonymise), so they are views of
// the same store: [Store.AuditLog], [Store.Consent], [Store.Notices],
// [Store.Disclosures], [Store.Requests], [Store.Archives], [Store.Budgets].
type Store struct {
	db      *sql.DB
	dialect Dialect
	owned   bool // Close closes db
	q       *queries

	// holds caches the active holds for sweeps, keyed by holds_version.
	holds atomic.Pointer[holdIndex]
	// prepared are SQLite's statements with many parameters, prepared once:
	// the driver parses a statement's text at every Exec otherwise.
	// (PostgreSQL's driver keeps its own cache of prepared statements.)
	prepared map[string]*sql.Stmt
}

var (
	_ retention.CandidateInventory = (*Store)(nil)
	_ retention.ConcurrentPages    = (*Store)(nil)
	_ retention.HoldStore          = (*Store)(nil)
	_ privacy.AuditLog             = (*auditLog)(nil)
	_ consent.Store                = (*consentStore)(nil)
	_ consent.NoticeStore          = (*notices)(nil)
	_ consent.DisclosureStore      = (*disclosures)(nil)
)

// New returns a store over db, a database of the given dialect opened by the
// host, and brings its schema up to date (see [Migrate]) unless
// opts.NoMigrate is set. Close does not close db.
//
// For SQLite, open db with a busy timeout and WAL, as [Open] does (for
// example "file:app.db?_pragma=busy_timeout(10000)&_pragma=journal_mode(wal)"),
// and for an in-memory database limit db to one connection. A database in a
// rollback journal mode without a busy timeout, on which concurrent writers
// would fail instead of waiting, is refused with privacy.ErrInvalid.
func New(ctx context.Context, db *sql.DB, dialect Dialect, opts *Options) (*Store, error) {
	const op = "sqlstore.New"
	if db == nil || !dialect.valid() {
		return nil, &privacy.Error{Op: op, Msg: "a database and a dialect (SQLite or PostgreSQL) are required", Err: privacy.ErrInvalid}
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.NoMigrate {
		if err := checkSchema(ctx, db, dialect); err != nil {
			return nil, fail(ctx, op, err)
		}
	} else if err := Migrate(ctx, db, dialect); err != nil {
		return nil, fail(ctx, op, err)
	}
	s := &Store{db: db, dialect: dialect, q: newQueries(dialect)}
	if dialect == SQLite {
		// Prepared now, while no transaction holds the connection of an
		// in-memory database; a transaction prepares them again on its own
		// connection when it has to.
		s.prepared = map[string]*sql.Stmt{}
		for _, q := range []string{insertEventsSQLite(sqliteEventRows), deleteSQLite(sqliteDeleteRows), upsertRecords(SQLite, putRecordsRows)} {
			st, err := db.PrepareContext(ctx, q)
			if err != nil {
				s.Close()
				return nil, fail(ctx, op, err)
			}
			s.prepared[q] = st
		}
	}
	return s, nil
}

// Open opens the database dsn names and returns a store over it, as [New].
// The dialect follows from the DSN:
//
//   - "postgres://..." or "postgresql://...": PostgreSQL through pgx;
//   - "file:...", ":memory:", or a file path ending in ".db", ".sqlite" or
//     ".sqlite3": SQLite, with WAL, a 10-second busy timeout, foreign keys
//     on and synchronous=NORMAL, unless the DSN sets them itself.
//
// An in-memory SQLite database (":memory:", or a file: DSN with
// mode=memory) lives in one connection, so the store uses only one. Close
// closes the database.
func Open(ctx context.Context, dsn string, opts *Options) (*Store, error) {
	const op = "sqlstore.Open"
	driver, dsn, memory, err := parseDSN(dsn)
	if err != nil {
		return nil, &privacy.Error{Op: op, Msg: err.Error(), Err: privacy.ErrInvalid}
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return nil, &privacy.Error{Op: op, Err: err}
	}
	dialect := PostgreSQL
	if driver == "sqlite" {
		dialect = SQLite
	}
	if memory {
		// Every connection to ":memory:" is a database of its own, and the
		// database ends with its connection: keep exactly one, for ever.
		db.SetMaxOpenConns(1)
		db.SetMaxIdleConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
	} else {
		db.SetMaxIdleConns(8)
	}
	s, err := New(ctx, db, dialect, opts)
	if err != nil {
		db.Close()
		if e := new(privacy.Error); errors.As(err, &e) {
			e.Op = op
		}
		return nil, err
	}
	s.owned = true
	return s, nil
}

// sqlitePragmas are the settings Open gives a SQLite database: WAL lets
// readers run while one writer writes; the busy timeout makes a writer wait
// for the lock instead of failing at once; NORMAL synchronisation is safe
// from corruption in WAL mode and syncs at checkpoints rather than at every
// commit.
var sqlitePragmas = []struct{ name, value string }{
	{"busy_timeout", "10000"},
	{"journal_mode", "wal"},
	{"foreign_keys", "on"},
	{"synchronous", "normal"},
}

// parseDSN returns the driver for dsn and the DSN to give it, and whether it
// is an in-memory SQLite database.
func parseDSN(dsn string) (driver, out string, memory bool, err error) {
	lower := strings.ToLower(dsn)
	switch {
	case strings.HasPrefix(lower, "postgres://"), strings.HasPrefix(lower, "postgresql://"):
		return "pgx", dsn, false, nil
	case dsn == ":memory:":
		return "sqlite", withPragmas(dsn, ""), true, nil
	case strings.HasPrefix(dsn, "file:"):
		path, query, _ := strings.Cut(dsn, "?")
		q, err := url.ParseQuery(query)
		if err != nil {
			return "", "", false, fmt.Errorf("SQLite DSN %q: %v", dsn, err)
		}
		memory = q.Get("mode") == "memory" || path == "file::memory:"
		return "sqlite", withPragmas(dsn, query), memory, nil
	}
	path, _, hasQuery := strings.Cut(dsn, "?")
	for _, ext := range []string{".db", ".sqlite", ".sqlite3"} {
		if strings.HasSuffix(strings.ToLower(path), ext) {
			if hasQuery {
				return "", "", false, fmt.Errorf("SQLite path %q has a query: write it as a file: URI to pass parameters", dsn)
			}
			return "sqlite", withPragmas(dsn, ""), false, nil
		}
	}
	return "", "", false, fmt.Errorf("cannot tell the database from DSN %q: want postgres:// or postgresql:// for PostgreSQL, "+
		"or file:..., :memory: or a path ending in .db, .sqlite or .sqlite3 for SQLite", redact(dsn))
}

// withPragmas appends the pragmas Open sets to a SQLite DSN whose query is
// query, leaving out those the DSN sets itself.
func withPragmas(dsn, query string) string {
	var add []string
	for _, p := range sqlitePragmas {
		if !strings.Contains(query, p.name) {
			add = append(add, "_pragma="+url.QueryEscape(p.name+"("+p.value+")"))
		}
	}
	if len(add) == 0 {
		return dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(add, "&")
}

// redact hides a password in a DSN before it goes into an error message.
func redact(dsn string) string {
	if u, err := url.Parse(dsn); err == nil && u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "xxxxx")
			return u.String()
		}
	}
	return dsn
}

// DB returns the database the store uses.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes the database if [Open] opened it; a store from [New] leaves
// the host's database open.
func (s *Store) Close() error {
	for _, st := range s.prepared {
		st.Close()
	}
	if !s.owned {
		return nil
	}
	return s.db.Close()
}

// AuditLog returns the store's audit log, the log its disposals write their
// tombstones to, in the same transaction as the deletion.
func (s *Store) AuditLog() privacy.AuditLog { return &auditLog{s: s} }

// Consent returns the store's consent history.
func (s *Store) Consent() consent.Store { return &consentStore{s: s} }

// Notices returns the store's published notice versions.
func (s *Store) Notices() consent.NoticeStore { return &notices{s: s} }

// Disclosures returns the store's legal orders and disclosures.
func (s *Store) Disclosures() consent.DisclosureStore { return &disclosures{s: s} }
