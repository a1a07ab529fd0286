// Package privacy is the vocabulary every steward package shares: who data is
// about ([SubjectID]), what kind of record it is ([Category], [Ref]), why it is
// processed ([Purpose], [LegalBasis]), the record envelope steward sees
// ([Record], [Field]), time ([Clock]), errors ([Error] and the sentinels),
// masking strategies ([Mask]) and the hash-chained audit trail ([Event],
// [AuditLog], [Verify]).
//
// It imports no other steward package; every other package imports it.
//
// # Records
//
// A host maps its own rows to [Record] values. A record names its category and
// ID, the subject it is about, when it was made, named lifecycle events such as
// "contract.ended", and its fields. Each [Field] carries a [Class]: plain data,
// personal data, or special-category data (GDPR Art. 9). Field values are one of
// string, int64, float64, bool, time.Time or nil; [Record.Validate] rejects
// anything else, NaN and infinities, invalid UTF-8 and duplicate names.
//
// # Errors
//
// Every steward error wraps one of a small closed set of sentinels
// ([ErrNotFound], [ErrConflict], [ErrInvalid], [ErrHeld], [ErrRetained],
// [ErrNoConsent], [ErrUnimplemented]), usually inside an [*Error] that names the
// operation, the record and the field. Test with errors.Is and errors.As. An
// error text never contains a field's value.
//
// # Audit
//
// An audit [Event] records that something happened — a hold placed, a record
// disposed of, a consent withdrawn — with IDs and counts, never field values.
// An [AuditLog] links each event to the previous one by SHA-256, so [Verify]
// finds an entry that was changed or removed. [MemoryAuditLog] is the in-memory
// log used when a host passes none.
//
// # Caveats
//
// A hash chain shows that the log is internally consistent; it cannot show that
// the newest entries were not cut off. Keep the [Head] that [Verify] returns
// somewhere the log's writer cannot change, and pass it to [VerifyFrom] later.
package privacy
