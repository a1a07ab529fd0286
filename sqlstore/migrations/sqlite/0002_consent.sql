-- Consent history, published notices, legal orders and disclosures.
--
-- Lists (recipients, purposes, texts) are JSON text; times are INTEGER
-- microseconds since the Unix epoch, UTC, NULL for none.

-- counters hands out the consent sequence numbers and the order and
-- disclosure IDs. An append takes the next number in its write transaction,
-- so numbers rise in the order the appends commit.
CREATE TABLE counters (
	name  TEXT    NOT NULL PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO counters (name, value) VALUES ('consent', 0), ('order', 0), ('disclosure', 0);

-- The consent history (consent.Event), append-only but for pseudonymisation.
CREATE TABLE consent_events (
	seq          INTEGER NOT NULL PRIMARY KEY,
	subject      TEXT    NOT NULL,
	purpose      TEXT    NOT NULL,
	basis        TEXT    NOT NULL,
	state        TEXT    NOT NULL,
	notice       TEXT    NOT NULL,
	version      INTEGER NOT NULL,
	language     TEXT    NOT NULL,
	notice_hash  TEXT    NOT NULL,
	method       TEXT    NOT NULL,
	actor        TEXT    NOT NULL,
	time         INTEGER NOT NULL,
	expires      INTEGER,
	jurisdiction TEXT    NOT NULL,
	recipients   TEXT
) STRICT;

CREATE INDEX consent_events_subject_purpose ON consent_events (subject, purpose, seq);
CREATE INDEX consent_events_subject         ON consent_events (subject, seq);

-- Published notice versions (consent.Notice).
CREATE TABLE notices (
	id        TEXT    NOT NULL,
	version   INTEGER NOT NULL,
	change    INTEGER NOT NULL,
	published INTEGER NOT NULL,
	purposes  TEXT    NOT NULL,
	texts     TEXT    NOT NULL,
	hash      TEXT    NOT NULL,
	PRIMARY KEY (id, version)
) STRICT, WITHOUT ROWID;

-- Legal orders (consent.LegalOrder); the subjects of an order's scope are
-- rows of order_subjects, so that a subject's orders are found by index.
CREATE TABLE orders (
	id         INTEGER NOT NULL PRIMARY KEY,
	authority  TEXT    NOT NULL,
	reference  TEXT    NOT NULL,
	date       INTEGER NOT NULL,
	basis      TEXT    NOT NULL,
	purposes   TEXT    NOT NULL,
	recipients TEXT,
	until      INTEGER,
	recorded   INTEGER,
	actor      TEXT    NOT NULL,
	UNIQUE (authority, reference)
) STRICT;

CREATE TABLE order_subjects (
	order_id INTEGER NOT NULL REFERENCES orders (id),
	position INTEGER NOT NULL,
	subject  TEXT    NOT NULL,
	PRIMARY KEY (order_id, position)
) STRICT, WITHOUT ROWID;

CREATE INDEX order_subjects_subject ON order_subjects (subject, order_id);

-- Disclosures to third parties (consent.Disclosure).
CREATE TABLE disclosures (
	id          INTEGER NOT NULL PRIMARY KEY,
	subject     TEXT    NOT NULL,
	recipient   TEXT    NOT NULL,
	purpose     TEXT    NOT NULL,
	basis       TEXT    NOT NULL,
	time        INTEGER NOT NULL,
	consent_seq INTEGER NOT NULL,
	order_id    INTEGER NOT NULL
) STRICT;

CREATE INDEX disclosures_subject ON disclosures (subject, id);
