-- Data subject requests and archive grants of the steward facade.

-- A data subject request (steward.Request). closed is NULL while the request
-- is open; policy names the retention policy it is carried out under.
CREATE TABLE requests (
	id               text COLLATE "C" NOT NULL PRIMARY KEY,
	kind             text             NOT NULL,
	subject          text COLLATE "C" NOT NULL,
	received         timestamptz      NOT NULL,
	due              timestamptz      NOT NULL,
	state            text             NOT NULL,
	extension        int              NOT NULL,
	extension_reason text             NOT NULL,
	policy           text             NOT NULL,
	closed           timestamptz,
	refusal_reason   text             NOT NULL
);

-- "A subject's requests in order of receipt".
CREATE INDEX requests_subject ON requests (subject, received, id);

-- The archive grant of a subject (steward.Grant): who may read the archived
-- records, until when.
CREATE TABLE archive_grants (
	subject       text COLLATE "C" NOT NULL PRIMARY KEY,
	administrator text             NOT NULL,
	until         timestamptz,
	granted       timestamptz
);
