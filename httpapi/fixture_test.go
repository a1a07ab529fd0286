package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/httpapi"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// The test host authenticates with two headers standing in for its sessions:
// X-Session names the subject, X-Staff the operator. A client cannot choose
// them any more than it can choose a real session; what it does choose is
// everything else in the request.
const (
	sessionHeader = "X-Session"
	staffHeader   = "X-Staff"
)

func subjectOf(r *http.Request) (privacy.SubjectID, error) {
	s := r.Header.Get(sessionHeader)
	if s == "" {
		return "", errors.New("no session")
	}
	return privacy.SubjectID(s), nil
}

func operatorOf(r *http.Request) (string, error) {
	if s := r.Header.Get(staffHeader); s != "" {
		return s, nil
	}
	if r.Header.Get(sessionHeader) == "" {
		return "", httpapi.ErrUnauthenticated
	}
	return "", errors.New("not staff")
}

var ams = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		panic(err)
	}
	return loc
}()

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ams) }

// world is a bookkeeping host with two clients, alice and bob, each with an
// invoice (kept seven years), contact details and an order, a newsletter on
// consent, and the handler mounted under /privacy/ as a host would.
type world struct {
	ctx    context.Context
	clock  *privacy.SettableClock
	audit  *privacy.MemoryAuditLog
	store  *retention.MemoryStore
	ledger *consent.Ledger
	s      *steward.Steward
	h      *httpapi.Handler
	srv    *httptest.Server
	logs   *syncBuffer // what the handler logged
}

// syncBuffer is a buffer the handler's logger may write from many requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type worldOptions struct {
	// records wraps or replaces the memory store; nil uses it as it is.
	// Holds stay in the memory store unless the records keep their own.
	records func(*retention.MemoryStore) steward.Records
	api     httpapi.Options // Subject and Operator default to the test host's
	// noOperator leaves Options.Operator nil.
	noOperator bool
	wrap       func(http.Handler) http.Handler
	clients    int // subjects besides alice and bob: client-0, client-1, …
}

func newWorld(t testing.TB, o *worldOptions) *world {
	t.Helper()
	if o == nil {
		o = &worldOptions{}
	}
	w := &world{ctx: context.Background(), clock: privacy.NewSettableClock(day(2024, 3, 1).Add(10 * time.Hour)), audit: privacy.NewMemoryAuditLog()}
	w.store = retention.NewMemoryStore(w.audit)
	policy, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount", "client_name"}}),
		retention.Rule{Name: "contact-limit", Category: "contact", Delete: retention.Years(2),
			Anchor: retention.OnEvent(privacy.EventContractEnded), Basis: "AVG art. 5(1)(e)", Zone: retention.DutchZone},
	)
	require.NoError(t, err)
	w.ledger, err = consent.New(nil, &consent.Options{
		Clock: w.clock, Audit: w.audit, PseudonymKey: []byte("0123456789abcdef0123456789abcdef"),
		Purposes: []consent.Purpose{
			{Name: "delivery", Basis: privacy.Contract},
			{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
		},
	})
	require.NoError(t, err)
	_, err = w.ledger.Publish(w.ctx, consent.Notice{ID: "privacy", Version: 1, Purposes: []privacy.Purpose{"newsletter"}, Texts: map[string]consent.Text{
		"en": {Title: "Privacy statement", Body: "We use your data only for delivery and quality control."},
		"nl": {Title: "Privacyverklaring", Body: "Wij gebruiken uw gegevens alleen voor levering en kwaliteitscontrole."},
	}})
	require.NoError(t, err)
	_, err = w.ledger.Publish(w.ctx, consent.Notice{ID: "cookies", Version: 1,
		Purposes: []privacy.Purpose{"cookies.functional", "cookies.analytics", "cookies.marketing"}, Texts: map[string]consent.Text{
			"en": {Title: "Cookies", Body: "We place cookies only as you choose."},
			"nl": {Title: "Cookies", Body: "Wij plaatsen alleen cookies die u kiest."},
		}})
	require.NoError(t, err)
	var records steward.Records = w.store
	if o.records != nil {
		records = o.records(w.store)
	}
	var holds retention.HoldStore
	if _, ok := records.(retention.HoldStore); !ok {
		holds = w.store
	}
	w.s, err = steward.New(records, &steward.Options{
		Policy: policy, Consent: w.ledger, Audit: w.audit, Clock: w.clock, Holds: holds,
		Labels: steward.Labels{"invoice": {NL: "Factuur", EN: "Invoice"}, "contact": {NL: "Contactgegevens", EN: "Contact details"}},
	})
	require.NoError(t, err)
	subjects := []privacy.SubjectID{"alice", "bob"}
	for i := range o.clients {
		subjects = append(subjects, privacy.SubjectID("client-"+strconv.Itoa(i)))
	}
	for _, s := range subjects {
		for _, r := range clientRecords(s) {
			require.NoError(t, w.store.PutRecord(w.ctx, r))
		}
	}
	api := o.api
	if api.Subject == nil {
		api.Subject = subjectOf
	}
	if api.Operator == nil && !o.noOperator {
		api.Operator = operatorOf
	}
	w.logs = &syncBuffer{}
	if api.Logger == nil {
		api.Logger = slog.New(slog.NewTextHandler(w.logs, nil))
	}
	w.h, err = httpapi.New(w.s, &api)
	require.NoError(t, err)
	mux := http.NewServeMux()
	var h http.Handler = http.StripPrefix("/privacy", w.h)
	if o.wrap != nil {
		h = o.wrap(h)
	}
	mux.Handle("/privacy/", h)
	w.srv = httptest.NewServer(mux)
	t.Cleanup(w.srv.Close)
	return w
}

// clientRecords are a client's invoice, contact details and order.
func clientRecords(s privacy.SubjectID) []privacy.Record {
	made := day(2023, 5, 10)
	return []privacy.Record{
		{Ref: privacy.Ref{Category: "invoice", ID: "inv-" + string(s)}, Subject: s, Created: made, Fields: []privacy.Field{
			{Name: "number", Value: "inv-" + string(s)},
			{Name: "amount", Value: int64(12100)},
			{Name: "client_name", Value: "Client " + string(s), Class: privacy.Personal},
			{Name: "email", Value: string(s) + "@example.nl", Class: privacy.Personal},
		}},
		{Ref: privacy.Ref{Category: "contact", ID: "c-" + string(s)}, Subject: s, Created: made, Fields: []privacy.Field{
			{Name: "email", Value: string(s) + "@example.nl", Class: privacy.Personal},
			{Name: "phone", Value: "+31 20 123 4567", Class: privacy.Personal},
			{Name: "newsletter_since", Value: nil, Class: privacy.Personal},
			{Name: "segment", Value: "small business"},
		}},
		{Ref: privacy.Ref{Category: "order", ID: "o-" + string(s)}, Subject: s, Created: made, Fields: []privacy.Field{
			{Name: "product", Value: "bookkeeping plus"},
			{Name: "delivery_address", Value: "Damrak 1, Amsterdam", Class: privacy.Personal},
		}},
	}
}

// call is one request to the mounted handler.
type call struct {
	method, path string
	as           privacy.SubjectID // the session's subject; "" is none
	staff        string            // the operator; "" is none
	body         string
	ctype        string // default application/json when there is a body
	header       http.Header
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB, v any) {
	t.Helper()
	require.NoError(t, json.Unmarshal(a.body, v), "body: %s", a.body)
}

func (a answer) problem(t testing.TB) httpapi.Problem {
	t.Helper()
	require.Equal(t, "application/problem+json", a.header.Get("Content-Type"), "body: %s", a.body)
	var p httpapi.Problem
	a.json(t, &p)
	require.Equal(t, a.status, p.Status)
	return p
}

func (w *world) do(t testing.TB, c call) answer {
	t.Helper()
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(w.ctx, c.method, w.srv.URL+"/privacy"+c.path, body)
	require.NoError(t, err)
	for k, vs := range c.header {
		req.Header[k] = vs
	}
	if c.body != "" {
		ct := c.ctype
		if ct == "" {
			ct = "application/json"
		}
		req.Header.Set("Content-Type", ct)
	}
	if c.as != "" {
		req.Header.Set(sessionHeader, string(c.as))
	}
	if c.staff != "" {
		req.Header.Set(staffHeader, c.staff)
	}
	resp, err := w.srv.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// recordOf reads a record straight from the store, for checking what the
// handler did.
func (w *world) recordOf(t testing.TB, cat privacy.Category, id string) (privacy.Record, bool) {
	t.Helper()
	r, err := w.store.Record(w.ctx, privacy.Ref{Category: cat, ID: id})
	if errors.Is(err, privacy.ErrNotFound) {
		return privacy.Record{}, false
	}
	require.NoError(t, err)
	return r, true
}

// history reads a subject's consent history from the ledger.
func (w *world) history(t testing.TB, s privacy.SubjectID) []consent.Event {
	t.Helper()
	var out []consent.Event
	for e, err := range w.ledger.History(w.ctx, s) {
		require.NoError(t, err)
		out = append(out, e)
	}
	return out
}

func lang(l string) http.Header { return http.Header{"Accept-Language": {l}} }
