// Package consent keeps the promise "never shared without explicit consent,
// unless law or a court orders it": a ledger of consent decisions, versioned
// and translated notices, a disclosure gate with a disclosure log, and cookie
// consent by category.
//
// # Basics
//
// A host declares its purposes, each with a legal basis (GDPR Art. 6(1)), and
// builds a [Ledger] with [New]. Nil options give an in-memory ledger: a
// [MemoryStore], [MemoryNotices], [MemoryDisclosures], the system clock and a
// privacy.MemoryAuditLog.
//
//	l, err := consent.New(nil, &consent.Options{Purposes: []consent.Purpose{
//		{Name: "delivery", Basis: privacy.Contract},
//		{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
//	}})
//
// It publishes the privacy notice, records what each subject decides with
// [Ledger.Give], [Ledger.Refuse] and [Ledger.Withdraw], and before processing
// asks [Ledger.NeedsConsent], which answers with a [Reason]: consented, another
// basis, never asked, refused, withdrawn, expired, or the notice changed
// materially since. An unknown purpose is an error, never a pass.
//
// # Consent history
//
// Every decision is an [Event] shaped after the consent record of ISO/IEC TS
// 27560: subject, purpose, basis, state, the notice shown (ID, version,
// language and content hash), collection method, actor, time, validity,
// jurisdiction and recipients. The history is append-only; the current state
// of a consent is its newest event, which a [Store] finds by index without
// reading the rest. A consent past its validity reads as expired;
// [Ledger.Expire] records that in the history.
//
// # Notices
//
// A [Notice] is published once per version and never changes; publishing an
// older or equal version is a conflict. Each version says whether it changes
// the one before materially or editorially. An editorial change leaves
// consent in force; a material one makes [Ledger.NeedsConsent] ask again.
// Every notice has a text in each of the ledger's languages (English and
// Dutch by default); [Ledger.Language] picks one from an Accept-Language
// header and [Ledger.Explain] gives the reason texts in it.
//
// # Disclosure
//
// [Ledger.Disclose] passes data to a third party only on a consent in force
// that names that recipient and purpose, or on a [LegalOrder] recorded with
// [Ledger.RecordOrder] (authority, reference, date, scope). Every refusal is
// written to the audit log, and every disclosure is kept, so the subject can
// be told the recipients ([Ledger.Recipients], Art. 15(1)(c)) and the
// recipients told of a later erasure (Art. 19).
//
// # Cookies
//
// [CookieCategory] has four values. Strictly necessary cookies need no
// consent; functional, analytics and marketing cookies need it per category,
// bound to the version of the cookie notice and valid for twelve months by
// default. [Ledger.SetCookies] records a banner choice and [Ledger.Cookies]
// says what may be placed and whether to show the banner again.
//
// # Erasure
//
// [Ledger.Forget] withdraws every consent of a subject and replaces the
// subject by a keyed pseudonym in the history, the disclosures and the legal
// orders. The history keeps its proof value for whoever holds the key, and
// the report lists the recipients to tell.
//
// # Audit
//
// Every change, disclosure and refused disclosure is an audit event carrying
// identifiers, codes and counts: subject and purpose IDs, notice versions,
// recipients, sequence numbers. No notice text, and nothing a subject typed,
// is ever written to the audit log.
//
// # Caveats
//
// The audit log is hash-chained and cannot be rewritten, so audit events
// written before [Ledger.Forget] still carry the subject's ID; keep subject IDs
// opaque (not an e-mail address) so that this reveals nothing.
//
// The ledger checks a decision against the current state and then appends;
// two concurrent decisions about one consent are both recorded, and the one
// the store appends last is the current state.
//
// A decision is stored before its audit entry is written. When the audit log
// fails after the store succeeded, the decision stands and the call returns
// the audit log's error.
package consent
