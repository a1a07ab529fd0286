-- Consent history, published notices, legal orders and disclosures.
--
-- Lists (recipients, purposes, texts) are JSON text, kept as written.

-- counters hands out the consent sequence numbers and the order and
-- disclosure IDs. An append takes the next number by updating its row, which
-- it holds locked until it commits, so numbers rise in the order the appends
-- commit (a sequence would not: a number drawn earlier can commit later).
CREATE TABLE counters (
	name  text   NOT NULL PRIMARY KEY,
	value bigint NOT NULL
);
INSERT INTO counters (name, value) VALUES ('consent', 0), ('order', 0), ('disclosure', 0);

-- The consent history (consent.Event), append-only but for pseudonymisation.
CREATE TABLE consent_events (
	seq          bigint           NOT NULL PRIMARY KEY,
	subject      text COLLATE "C" NOT NULL,
	purpose      text COLLATE "C" NOT NULL,
	basis        text             NOT NULL,
	state        text             NOT NULL,
	notice       text             NOT NULL,
	version      int              NOT NULL,
	language     text             NOT NULL,
	notice_hash  text             NOT NULL,
	method       text             NOT NULL,
	actor        text             NOT NULL,
	time         timestamptz      NOT NULL,
	expires      timestamptz,
	jurisdiction text             NOT NULL,
	recipients   text
);

CREATE INDEX consent_events_subject_purpose ON consent_events (subject, purpose, seq);
CREATE INDEX consent_events_subject         ON consent_events (subject, seq);

-- Published notice versions (consent.Notice).
CREATE TABLE notices (
	id        text COLLATE "C" NOT NULL,
	version   int              NOT NULL,
	change    smallint         NOT NULL,
	published timestamptz      NOT NULL,
	purposes  text             NOT NULL,
	texts     text             NOT NULL,
	hash      text             NOT NULL,
	PRIMARY KEY (id, version)
);

-- Legal orders (consent.LegalOrder); the subjects of an order's scope are
-- rows of order_subjects, so that a subject's orders are found by index.
CREATE TABLE orders (
	id         bigint      NOT NULL PRIMARY KEY,
	authority  text        NOT NULL,
	reference  text        NOT NULL,
	date       timestamptz NOT NULL,
	basis      text        NOT NULL,
	purposes   text        NOT NULL,
	recipients text,
	until      timestamptz,
	recorded   timestamptz,
	actor      text        NOT NULL,
	UNIQUE (authority, reference)
);

CREATE TABLE order_subjects (
	order_id bigint           NOT NULL REFERENCES orders (id),
	position int              NOT NULL,
	subject  text COLLATE "C" NOT NULL,
	PRIMARY KEY (order_id, position)
);

CREATE INDEX order_subjects_subject ON order_subjects (subject, order_id);

-- Disclosures to third parties (consent.Disclosure).
CREATE TABLE disclosures (
	id          bigint           NOT NULL PRIMARY KEY,
	subject     text COLLATE "C" NOT NULL,
	recipient   text             NOT NULL,
	purpose     text             NOT NULL,
	basis       text             NOT NULL,
	time        timestamptz      NOT NULL,
	consent_seq bigint           NOT NULL,
	order_id    bigint           NOT NULL
);

CREATE INDEX disclosures_subject ON disclosures (subject, id);
