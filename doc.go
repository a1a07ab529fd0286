// Package steward lets a host application keep the promises of its privacy
// statement in code: retention with the Dutch fiscal rules, legal holds,
// erasure that respects both, consent bound to versioned notices, a gate on
// disclosure to third parties, exports, and anonymised statistics.
//
// # The map
//
//	steward      the facade a host embeds: Erase, Access, Rectify, requests,
//	             Terminate, Archive and Read, Sweeper
//	privacy      the shared vocabulary: SubjectID, Record, Field, LegalBasis,
//	             Clock, errors, masks, the hash-chained audit log
//	retention    rules and Dutch presets, Policy.Resolve, legal holds, sweeps
//	consent      notices, the consent ledger, the disclosure gate, cookies
//	export       streaming CSV, JSON, NDJSON, XML, XLSX and HTML, zip archives
//	             with a manifest, age encryption
//	aggregate    publishable statistics: suppression and differential privacy
//	storetest    the conformance suites every store runs
//	sqlstore     every store over SQLite (the embedded default) or PostgreSQL
//	httpapi      self-service endpoints a host mounts for its web and mobile apps
//	cmd/steward  the operator CLI
//
// # Basics
//
// A host maps its rows to [privacy.Record] values and gives Steward a
// [Records] store; [retention.MemoryStore] is the default and package
// sqlstore keeps records in SQLite or PostgreSQL.
//
//	policy, _ := retention.NewPolicy(retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount"}}))
//	s, _ := steward.New(store, &steward.Options{Policy: policy})
//	report, err := s.Erase(ctx, "client-42")
//	fmt.Print(s.RenderErasure(report, steward.Language("nl")))
//
// # Erasure
//
// [Steward.Erase] handles each of the subject's records in one atomic step of
// the store: a record under a legal hold is kept whole (GDPR Art. 17(3)(e)); a
// record a retention rule keeps loses every personal field the rule does not
// need and is restricted until the rule lets it go (Art. 17(3)(b)); anything
// else is deleted. Consents are withdrawn and the consent history keeps its
// proof value under a pseudonym. Erasing twice changes nothing more.
//
// # Requests
//
// [Steward.Receive] records a data subject request due one calendar month
// later (31 January gives the end of February); [Steward.Extend] extends it
// once by up to two months, before the original deadline. The retention
// policy in force is frozen on the request ([Steward.PolicyFor]).
//
// # Caveats
//
// Steward never puts a field's value in an error or an audit event. Subject
// IDs do appear in the audit log, which cannot be rewritten: use opaque IDs,
// not e-mail addresses.
package steward
