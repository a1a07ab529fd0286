-- Data subject requests and archive grants of the steward facade.
--
-- Times are INTEGER microseconds since the Unix epoch, UTC, NULL for none.

-- A data subject request (steward.Request). closed is NULL while the request
-- is open; policy names the retention policy it is carried out under.
CREATE TABLE requests (
	id               TEXT    NOT NULL PRIMARY KEY,
	kind             TEXT    NOT NULL,
	subject          TEXT    NOT NULL,
	received         INTEGER NOT NULL,
	due              INTEGER NOT NULL,
	state            TEXT    NOT NULL,
	extension        INTEGER NOT NULL,
	extension_reason TEXT    NOT NULL,
	policy           TEXT    NOT NULL,
	closed           INTEGER,
	refusal_reason   TEXT    NOT NULL
) STRICT, WITHOUT ROWID;

-- "A subject's requests in order of receipt".
CREATE INDEX requests_subject ON requests (subject, received, id);

-- The archive grant of a subject (steward.Grant): who may read the archived
-- records, until when.
CREATE TABLE archive_grants (
	subject       TEXT    NOT NULL PRIMARY KEY,
	administrator TEXT    NOT NULL,
	until         INTEGER,
	granted       INTEGER
) STRICT, WITHOUT ROWID;
