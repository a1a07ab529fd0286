// Package httpapi is the net/http handler a host mounts to let its web and
// mobile apps keep the promises of the privacy statement: the client checks
// and changes their data, gives and withdraws consent, chooses cookies,
// downloads their export and cancels their registration, and operators
// place legal holds and read archives as the appointed administrator.
//
// # Basics
//
// [New] takes a *steward.Steward and [Options]. Options.Subject is the one
// required option: it maps a request to the subject the host authenticated.
//
//	h, err := httpapi.New(s, &httpapi.Options{
//		Subject:  func(r *http.Request) (privacy.SubjectID, error) { return sessions.Subject(r) },
//		Operator: func(r *http.Request) (string, error) { return staff.Name(r) },
//	})
//	mux.Handle("/privacy/", http.StripPrefix("/privacy", h))
//
// Routes live under /v1 and are matched with http.ServeMux patterns.
// [Routes] lists them and [OpenAPI] returns their OpenAPI 3.1 document, also
// served at GET /v1/openapi.json. Every answer is JSON, or a problem, but
// the export download and, on request, the access report as text.
//
//	GET    /v1/openapi.json                  public    this document
//	GET    /v1/notices/{notice}              public    a notice, ?version=N
//	GET    /v1/consents                      subject   every purpose: needed, why, the notice to show
//	GET    /v1/consents/{purpose}            subject   one purpose
//	PUT    /v1/consents/{purpose}            subject   give (or refuse) consent
//	DELETE /v1/consents/{purpose}            subject   withdraw consent
//	GET    /v1/cookies                       subject   cookie consent by category, whether to ask
//	PUT    /v1/cookies                       subject   a cookie banner choice
//	GET    /v1/access                        subject   the access report (Art. 15)
//	PATCH  /v1/records/{category}/{id}       subject   rectify personal fields (Art. 16)
//	GET    /v1/export                        subject   the export zip (Art. 20), ?format=csv,json
//	POST   /v1/erasure                       subject   an erasure request (Art. 17), body {}: 202, Location
//	GET    /v1/requests/{id}                 subject   where a request stands
//	GET    /v1/holds                         operator  active legal holds
//	POST   /v1/holds                         operator  place a hold
//	GET    /v1/holds/{id}                    operator  one hold
//	POST   /v1/holds/{id}/release            operator  release a hold, body {}
//	GET    /v1/archives/{subject}/records    operator  read an archive as the appointed administrator
//
// # Identity
//
// The subject of a subject route is always and only the one Options.Subject
// returns. No subject route has a subject parameter; a body member naming
// one is an unknown member and refused, and query parameters the route does
// not take are ignored. A record, request or consent of another subject is
// not found, answered exactly as one that does not exist, so that probing
// reveals nothing. An error from Options.Subject answers 401 (403 if it wraps
// [ErrForbidden]).
//
// Operator routes are a separate role: Options.Operator approves the request
// and names the operator, who is recorded as the actor of a hold and must be
// the appointed administrator to read an archive. Its error answers 403 (401
// if it wraps [ErrUnauthenticated]); without it every operator request is
// refused with 403.
//
// # Language
//
// Texts a person reads — notices, consent explanations, cookie labels, the
// access report as text, the erasure report, index.html and the labels of an
// export, and problem titles and details — follow Accept-Language, matched to
// Dutch or English with golang.org/x/text, and the answer says which in
// Content-Language. Data (field values, IDs, codes) is never translated.
//
// # Errors
//
// Every error is an RFC 9457 application/problem+json object with a stable
// type URI under [ProblemBase]:
//
//	not-found               404  privacy.ErrNotFound, an unknown route or purpose, someone else's item
//	malformed               400  the request could not be read: not JSON, an unknown member,
//	                             trailing data, a wrong type, a bad query parameter
//	invalid                 422  privacy.ErrInvalid: read, but refused by validation
//	conflict                409  privacy.ErrConflict
//	held                    409  privacy.ErrHeld: a legal hold keeps the data
//	retained                409  privacy.ErrRetained: a retention duty keeps the data, restricted
//	no-consent              403  privacy.ErrNoConsent
//	unauthenticated         401  no subject (or operator) authenticated; WWW-Authenticate is set
//	forbidden               403  not an operator
//	unimplemented           501  privacy.ErrUnimplemented
//	too-large               413  a body over Options.MaxBody
//	unsupported-media-type  415  a body that is not application/json
//	method-not-allowed      405  with Allow
//	unavailable             503  the request's context ended: a time-out or a cancellation
//	internal                500  anything else; logged, never described
//
// Held and retained answer 409 rather than 423: 423 Locked belongs to
// WebDAV, and the type already says why the change cannot be made. The
// title and detail are in the negotiated language; the "reason" member, for
// developers, is the library's English message, which names operations and
// fields but never a value, and is left out for not-found and server
// errors. Nothing the request carried is ever echoed.
//
// # Limits
//
// A request body is capped at Options.MaxBody (64 KiB by default) and must
// be one JSON value of the documented shape: unknown members and trailing
// data are refused. Every steward call gets the request's context, so a
// deadline the host sets (http.Server timeouts, a middleware's
// context.WithTimeout) ends the work and answers 503. Do not wrap the
// handler in http.TimeoutHandler: it buffers the whole answer, the export
// included.
//
// Every POST takes a JSON body, {} when there is nothing to say. A
// cross-site form, or a fetch without CORS, cannot send application/json,
// and PUT and DELETE cannot be sent cross-site without CORS at all, so a
// host that authenticates by cookie is not open to another site making a
// signed-in browser erase an account or release a hold. Do not allow
// cross-origin requests to the handler with credentials from origins the
// host does not trust.
//
// # Export
//
// GET /v1/export streams the archive from Steward.Export straight into the
// response, with no Content-Length; memory stays flat however many records
// the subject has. An error before the first byte is a problem; after it,
// the handler aborts the connection (panic(http.ErrAbortHandler)), so a
// failed export never looks like a complete download, and the manifest of
// what arrived says "complete": false.
//
// # Erasure
//
// POST /v1/erasure records the request (due one calendar month later), then
// starts, carries out and completes it, and answers 202 with Location
// requests/{id}, relative to the erasure path so that it resolves wherever
// the host mounts the handler. By default the erasure runs within the
// request, under its context: the answer then carries the erasure report and
// its text. With Options.Background it runs in a goroutine under the host's
// context instead, so a client that hangs up does not stop it half-way;
// [Handler.Wait] waits for those on shutdown. If the erasure fails, the
// answer is still 202, the request stays in progress and the failure is
// logged; erasing is idempotent, so running Steward.Erase and
// Steward.Complete again finishes it.
//
// # Caveats
//
// The handler trusts Options.Subject entirely: it is the host's
// authentication. Reading an archive names its subject in the path, as an
// operator reads someone else's records; Steward refuses anyone but the
// appointed administrator and audits every attempt. Logged errors come from
// the library and the host's stores: steward's own never carry a value, a
// host's store must keep to the same rule.
package httpapi
