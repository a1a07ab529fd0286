// Package sqlstore keeps steward's bookkeeping in a SQL database: the host's
// records as steward sees them, legal holds, the hash-chained audit log, the
// consent history, published notices, legal orders and disclosures, data
// subject requests, archive grants and privacy budgets. One [Store] serves
// them all, over
// SQLite or PostgreSQL, and passes every suite of package storetest on both.
//
// # Basics
//
// [Open] picks the database from a DSN; [New] takes a *sql.DB the host opened
// itself. Either brings the schema up to date first.
//
//	store, err := sqlstore.Open(ctx, "steward.db", nil) // or "postgres://..."
//	if err != nil { ... }
//	defer store.Close()
//
// The Store is the records inventory that sweeps walk and dispose of
// (retention.Inventory, with the retention.PagedInventory fast path) and the
// hold store (retention.HoldStore), so a sweeper and the holds share it:
//
//	holds := retention.NewHolds(store, &retention.HoldsOptions{Audit: store.AuditLog()})
//	sweeper, err := retention.NewSweeper(store, store, policy, &retention.SweeperOptions{Audit: store.AuditLog()})
//
// [Store.AuditLog], [Store.Consent], [Store.Notices], [Store.Disclosures],
// [Store.Requests], [Store.Archives] and [Store.Budgets] are views of the
// same store for the interfaces whose method names clash with the
// inventory's (privacy.AuditLog, consent.Store, consent.NoticeStore,
// consent.DisclosureStore, steward.RequestStore, steward.ArchiveStore,
// aggregate.BudgetStore);
// steward.New finds the audit log, the requests and the archive grants of a
// Store given as its records by itself. Hosts put records in with [Store.PutRecord], or
// [Store.PutRecords] in batches; [Store.BySubject], [Store.Update] and
// [Store.Dispose] serve erasure and rectification one record at a time, and
// [Store.EraseSubject] a whole subject in one transaction.
//
// Every value a record's field holds reads back exactly: strings, int64,
// float64 bit for bit, booleans, nil, and times as the same instant in UTC at
// microsecond precision. Every time the store keeps is UTC at microsecond
// precision.
//
// # Dialects
//
// SQLite runs in the process through modernc.org/sqlite (pure Go, driver
// "sqlite"): the default for one application instance and for the command
// line. [Open] turns on WAL (readers do not wait for the writer), a 10-second
// busy timeout, foreign keys, and synchronous=NORMAL. ":memory:" is a
// database that lives as long as the store, in one connection.
//
// PostgreSQL runs through github.com/jackc/pgx/v5/stdlib (driver "pgx"):
// for production and for several application instances on one database.
// The tables go in the first schema of the search_path, which a DSN can set
// ("postgres://host/db?search_path=steward"). Identifiers are compared with
// the "C" collation, so that rows sort as privacy.Ref does, bytewise.
//
// # Migrations
//
// The schema is a numbered series of SQL files per dialect, embedded in the
// binary and recorded in the table schema_migrations as they are applied,
// each in a transaction of its own. [Migrate] is safe when several processes
// start at once: in PostgreSQL each migration runs under a transaction-level
// advisory lock (one per schema), in SQLite under the database's write lock,
// and whoever comes second finds the work done. A database whose schema is
// newer than the package knows is refused with privacy.ErrConflict, so an
// old binary never writes to a schema it does not understand. With
// Options.NoMigrate, [New] only checks the schema, for deployments that
// migrate in a step of their own.
//
// # Concurrency
//
// A Store is safe for concurrent use; several stores, in several processes,
// may share one PostgreSQL database.
//
// Audit appends are serial. In PostgreSQL an append locks the one row of
// audit_head FOR UPDATE, reads the head, inserts its events chained after it
// (privacy.Event.Chain) and moves the head, all in the transaction that made
// the change being audited; in SQLite the write transaction does the same.
// Sequence numbers therefore follow commit order and privacy.Verify holds
// however many writers there are. Consent sequence numbers and order and
// disclosure IDs come from counter rows locked the same way.
//
// A hold always wins over a disposal. Every disposal (Dispose, DisposePage,
// Update, EraseSubject) runs in one write transaction that first takes
// "LOCK TABLE holds IN SHARE MODE" in PostgreSQL: a hold being placed (which
// takes ROW EXCLUSIVE) is waited for and then seen, and a hold placed while
// the transaction runs waits until it commits; SHARE does not conflict with
// SHARE, so sweepers do not block each other. In SQLite the write lock
// excludes every other writer. Within that, the records are locked FOR
// UPDATE, read with the holds covering them, decided on, deleted, and their
// tombstones appended: no record is ever deleted without its tombstone, and
// a cancelled or failed page changes nothing.
//
// Several sweepers divide the work: a page is read with FOR UPDATE SKIP
// LOCKED in keyset order, so each record is decided by whichever sweeper
// locked it and disposed of at most once. A sweep keeps the active holds in
// memory between pages and reloads them when the holds_version counter,
// which triggers bump on any change to holds (the host's own SQL included),
// has moved.
//
// SQLite allows one writer at a time. Every write transaction begins with a
// write, so that it holds the write lock from its first statement, as BEGIN
// IMMEDIATE does: two transactions never deadlock upgrading a read to a
// write. Waiting for the lock is the busy timeout's job, and the store
// retries for up to 30 seconds more on a database opened without one.
//
// # Caveats
//
// The check of Dispose and Update and the decide of DisposePage and
// EraseSubject run inside the store's transaction: they must not use the
// store, or they wait for themselves (on SQLite, or on an in-memory database
// with its one connection).
//
// Iterators (Scan, BySubject, Events, Active, History, Versions,
// Disclosures) read a page at a time and hold no connection or lock while
// the caller handles a record, so a caller may change the store as it
// walks; a record changed meanwhile may or may not be seen, none twice.
//
// A record's events and fields are kept in the column body in a compact,
// versioned binary encoding (see encode.go), so that a sweep reads a record
// in one row. Hosts query them through the Store, not in SQL; the other
// columns (category, id, subject, created, restricted) are plain.
//
// PostgreSQL's SHARE lock on holds also waits for a VACUUM or ANALYZE of
// holds in progress; autovacuum of the small holds table gives way to it.
// Sweeping a large table in PostgreSQL locks every row it reads, a page at a
// time: it costs several times what one set-based DELETE would, which is
// the price of deciding each record in Go under steward's policy.
//
// For a host's own *sql.DB given to [New]: open SQLite with a busy timeout
// and WAL (as [Open] does; New refuses a rollback journal without a busy
// timeout), and an in-memory SQLite database with one connection
// (db.SetMaxOpenConns(1)).
package sqlstore
