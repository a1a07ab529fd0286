-- Records an erasure left for later because a legal hold kept them whole
-- (steward.EventErasurePending among their events), found by index, so
-- that a sweep completes those erasures without reading every record.
--
-- The column is kept by every write of a record. Records stored before it
-- are flagged when their body holds the event's name: a record flagged
-- needlessly (the name in a field's value) is read and found not pending.
ALTER TABLE records ADD COLUMN erasure_pending boolean NOT NULL DEFAULT false;

UPDATE records SET erasure_pending = true
WHERE position(convert_to('steward.erasure.pending', 'UTF8') IN body) > 0;

CREATE INDEX records_erasure_pending ON records (category, id) WHERE erasure_pending;
