-- Records, legal holds and the audit log.
--
-- Identifiers are text COLLATE "C", so that they compare bytewise, which is
-- privacy.Ref's order, whatever the database's collation.

-- A record of the host, as steward sees it. body holds its named events and
-- fields in the encoding of encode.go; created is a column of its own so that
-- a host can query it.
CREATE TABLE records (
	category   text COLLATE "C" NOT NULL,
	id         text COLLATE "C" NOT NULL,
	subject    text COLLATE "C" NOT NULL,
	created    timestamptz      NOT NULL,
	restricted boolean          NOT NULL DEFAULT false,
	body       bytea            NOT NULL,
	PRIMARY KEY (category, id)
);

-- "A subject's records in ref order", for erasure and access.
CREATE INDEX records_subject ON records (subject, category, id);

-- Legal holds. scope is retention.ScopeKind: 1 subject, 2 category, 3 record;
-- the columns a scope does not use are empty. released_at is NULL while the
-- hold is active.
CREATE TABLE holds (
	id          text COLLATE "C" NOT NULL PRIMARY KEY,
	matter      text             NOT NULL,
	ground      text             NOT NULL,
	scope       smallint         NOT NULL CHECK (scope IN (1, 2, 3)),
	subject     text COLLATE "C" NOT NULL DEFAULT '',
	category    text COLLATE "C" NOT NULL DEFAULT '',
	record_id   text COLLATE "C" NOT NULL DEFAULT '',
	placed_by   text             NOT NULL,
	placed_at   timestamptz      NOT NULL,
	released_by text             NOT NULL DEFAULT '',
	released_at timestamptz
);

CREATE INDEX holds_active          ON holds (id)                  WHERE released_at IS NULL;
CREATE INDEX holds_active_subject  ON holds (subject)             WHERE released_at IS NULL AND scope = 1;
CREATE INDEX holds_active_category ON holds (category)            WHERE released_at IS NULL AND scope = 2;
CREATE INDEX holds_active_record   ON holds (category, record_id) WHERE released_at IS NULL AND scope = 3;

-- holds_version counts changes to holds. Every change bumps it in the same
-- transaction (the trigger below, so that a host's own SQL bumps it too): a
-- sweep keeps the active holds in memory and reloads them only when the
-- version it reads inside its transaction, under its SHARE lock on holds,
-- has moved.
CREATE TABLE holds_version (
	id      int    NOT NULL PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL
);
INSERT INTO holds_version (id, version) VALUES (1, 0);

CREATE FUNCTION holds_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE holds_version SET version = version + 1 WHERE id = 1;
	RETURN NULL;
END
$$;

CREATE TRIGGER holds_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON holds
	FOR EACH STATEMENT EXECUTE FUNCTION holds_bump_version();

-- The hash-chained audit log (privacy.Event). Appends are serial: each locks
-- the one row of audit_head FOR UPDATE, reads the head, inserts and moves it.
CREATE TABLE audit (
	seq       bigint      NOT NULL PRIMARY KEY,
	time      timestamptz NOT NULL,
	action    text        NOT NULL,
	actor     text        NOT NULL,
	subject   text        NOT NULL,
	category  text        NOT NULL,
	record_id text        NOT NULL,
	object    text        NOT NULL,
	count     bigint      NOT NULL,
	reason    text        NOT NULL,
	prev      bytea       NOT NULL,
	hash      bytea       NOT NULL
);

-- The newest position of the log, updated with every append.
CREATE TABLE audit_head (
	id   int    NOT NULL PRIMARY KEY CHECK (id = 1),
	seq  bigint NOT NULL,
	hash bytea  NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));
