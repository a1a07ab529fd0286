-- Records, legal holds and the audit log.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC. Text compares
-- bytewise (SQLite's BINARY collation), which is privacy.Ref's order.

-- A record of the host, as steward sees it. body holds its named events and
-- fields in the encoding of encode.go; created is a column of its own so that
-- a host can query it.
CREATE TABLE records (
	category   TEXT    NOT NULL,
	id         TEXT    NOT NULL,
	subject    TEXT    NOT NULL,
	created    INTEGER NOT NULL,
	restricted INTEGER NOT NULL DEFAULT 0,
	body       BLOB    NOT NULL,
	PRIMARY KEY (category, id)
) STRICT, WITHOUT ROWID;

-- An index on subject of a WITHOUT ROWID table carries the primary key, so
-- it serves "a subject's records in ref order" without a sort.
CREATE INDEX records_subject ON records (subject);

-- Legal holds. scope is retention.ScopeKind: 1 subject, 2 category, 3 record;
-- the columns a scope does not use are empty. released_at is NULL while the
-- hold is active.
CREATE TABLE holds (
	id          TEXT    NOT NULL PRIMARY KEY,
	matter      TEXT    NOT NULL,
	ground      TEXT    NOT NULL,
	scope       INTEGER NOT NULL CHECK (scope IN (1, 2, 3)),
	subject     TEXT    NOT NULL DEFAULT '',
	category    TEXT    NOT NULL DEFAULT '',
	record_id   TEXT    NOT NULL DEFAULT '',
	placed_by   TEXT    NOT NULL,
	placed_at   INTEGER NOT NULL,
	released_by TEXT    NOT NULL DEFAULT '',
	released_at INTEGER
) STRICT, WITHOUT ROWID;

CREATE INDEX holds_active          ON holds (id)                  WHERE released_at IS NULL;
CREATE INDEX holds_active_subject  ON holds (subject)             WHERE released_at IS NULL AND scope = 1;
CREATE INDEX holds_active_category ON holds (category)            WHERE released_at IS NULL AND scope = 2;
CREATE INDEX holds_active_record   ON holds (category, record_id) WHERE released_at IS NULL AND scope = 3;

-- holds_version counts changes to holds. Every change bumps it in the same
-- transaction (the triggers below, so that a host's own SQL bumps it too): a
-- sweep keeps the active holds in memory and reloads them only when the
-- version it reads inside its transaction has moved.
CREATE TABLE holds_version (
	id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
) STRICT;
INSERT INTO holds_version (id, version) VALUES (1, 0);

CREATE TRIGGER holds_insert AFTER INSERT ON holds BEGIN
	UPDATE holds_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER holds_update AFTER UPDATE ON holds BEGIN
	UPDATE holds_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER holds_delete AFTER DELETE ON holds BEGIN
	UPDATE holds_version SET version = version + 1 WHERE id = 1;
END;

-- The hash-chained audit log (privacy.Event). Appends are serial: each runs
-- in a write transaction, which SQLite allows one at a time.
CREATE TABLE audit (
	seq       INTEGER NOT NULL PRIMARY KEY,
	time      INTEGER NOT NULL,
	action    TEXT    NOT NULL,
	actor     TEXT    NOT NULL,
	subject   TEXT    NOT NULL,
	category  TEXT    NOT NULL,
	record_id TEXT    NOT NULL,
	object    TEXT    NOT NULL,
	count     INTEGER NOT NULL,
	reason    TEXT    NOT NULL,
	prev      BLOB    NOT NULL,
	hash      BLOB    NOT NULL
) STRICT;

-- The newest position of the log, updated with every append.
CREATE TABLE audit_head (
	id   INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	seq  INTEGER NOT NULL,
	hash BLOB    NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));
