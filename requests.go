package steward

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Request is a data subject request: what was asked, when, by when it must be
// answered, and where it stands.
type Request struct {
	ID       string
	Kind     privacy.RequestKind
	Subject  privacy.SubjectID
	Received time.Time
	// Due is the first instant after the last day to answer.
	Due   time.Time
	State privacy.RequestState
	// Extension is the months (1 or 2) by which Due was extended, with why.
	Extension       int
	ExtensionReason string
	// Policy identifies the retention policy in force when the request came
	// in; the request is carried out under that policy.
	Policy string
	// Closed is when the request was completed or refused, with the reason
	// for a refusal.
	Closed        time.Time
	RefusalReason string
}

// RequestStore keeps requests. Implementations must be safe for concurrent
// use; values passed and returned are copies.
type RequestStore interface {
	// Put stores a new request; an existing ID gives an error wrapping privacy.ErrConflict.
	Put(ctx context.Context, r Request) error
	// Get returns the request, or an error wrapping privacy.ErrNotFound.
	Get(ctx context.Context, id string) (Request, error)
	// Replace stores r in place of the stored request with r.ID if that one
	// still equals old, in one atomic step; otherwise an error wrapping
	// privacy.ErrConflict (or ErrNotFound).
	Replace(ctx context.Context, old, r Request) error
	// BySubject yields the subject's requests in order of receipt.
	BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Request, error]
}

// MemoryRequests is a RequestStore in memory.
type MemoryRequests struct {
	mu   sync.Mutex
	reqs map[string]Request
}

var _ RequestStore = (*MemoryRequests)(nil)

// NewMemoryRequests returns an empty store.
func NewMemoryRequests() *MemoryRequests { return &MemoryRequests{reqs: map[string]Request{}} }

// Put implements RequestStore.
func (m *MemoryRequests) Put(ctx context.Context, r Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.reqs[r.ID]; ok {
		return &privacy.Error{Op: "steward.MemoryRequests.Put", Msg: "request " + r.ID + " exists", Err: privacy.ErrConflict}
	}
	m.reqs[r.ID] = r
	return nil
}

// Get implements RequestStore.
func (m *MemoryRequests) Get(ctx context.Context, id string) (Request, error) {
	if err := ctx.Err(); err != nil {
		return Request{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.reqs[id]
	if !ok {
		return Request{}, &privacy.Error{Op: "steward.MemoryRequests.Get", Msg: "no request " + id, Err: privacy.ErrNotFound}
	}
	return r, nil
}

// Replace implements RequestStore.
func (m *MemoryRequests) Replace(ctx context.Context, old, r Request) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	cur, ok := m.reqs[r.ID]
	switch {
	case !ok:
		return &privacy.Error{Op: "steward.MemoryRequests.Replace", Msg: "no request " + r.ID, Err: privacy.ErrNotFound}
	case cur != old:
		return &privacy.Error{Op: "steward.MemoryRequests.Replace", Msg: "request " + r.ID + " changed meanwhile", Err: privacy.ErrConflict}
	}
	m.reqs[r.ID] = r
	return nil
}

// BySubject implements RequestStore.
func (m *MemoryRequests) BySubject(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Request, error] {
	return func(yield func(Request, error) bool) {
		if err := ctx.Err(); err != nil {
			yield(Request{}, err)
			return
		}
		m.mu.Lock()
		var out []Request
		for _, r := range m.reqs {
			if r.Subject == subject {
				out = append(out, r)
			}
		}
		m.mu.Unlock()
		slices.SortFunc(out, func(a, b Request) int {
			if c := a.Received.Compare(b.Received); c != 0 {
				return c
			}
			return strings.Compare(a.ID, b.ID)
		})
		for _, r := range out {
			if !yield(r, nil) {
				return
			}
		}
	}
}

// Receive records a request received now, due one calendar month later
// (clamped to the end of a shorter month), under the policy in force.
func (s *Steward) Receive(ctx context.Context, subject privacy.SubjectID, kind privacy.RequestKind) (Request, error) {
	const op = "steward.Receive"
	if err := checkSubject(op, subject); err != nil {
		return Request{}, err
	}
	if err := kind.Validate(); err != nil {
		return Request{}, err
	}
	now := s.clock.Now()
	var id [12]byte
	if _, err := rand.Read(id[:]); err != nil {
		return Request{}, privacy.Wrap(op, err)
	}
	r := Request{
		ID: "req-" + hex.EncodeToString(id[:]), Kind: kind, Subject: subject, Received: now,
		Due:    privacy.Deadline{Received: now, Zone: s.zone}.Due(0),
		State:  privacy.RequestReceived,
		Policy: s.policies.add(s.policy),
	}
	if err := s.requests.Put(ctx, r); err != nil {
		return Request{}, privacy.Wrap(op, err)
	}
	return r, privacy.Wrap(op, s.auditRequest(ctx, r, "received"))
}

// Request returns the request with the ID, for its subject only: another
// subject's request is not found.
func (s *Steward) Request(ctx context.Context, subject privacy.SubjectID, id string) (Request, error) {
	r, err := s.requests.Get(ctx, id)
	if err == nil && r.Subject != subject {
		err = &privacy.Error{Op: "steward.Request", Msg: "no request " + id, Err: privacy.ErrNotFound}
	}
	if err != nil {
		return Request{}, privacy.Wrap("steward.Request", err)
	}
	return r, nil
}

// Requests yields the subject's requests in order of receipt.
func (s *Steward) Requests(ctx context.Context, subject privacy.SubjectID) iter.Seq2[Request, error] {
	return s.requests.BySubject(ctx, subject)
}

// Extend extends the request's deadline once, by one or two months, with a
// reason (GDPR Art. 12(3)). It must be done before the original deadline.
func (s *Steward) Extend(ctx context.Context, id string, months int, reason string) (Request, error) {
	const op = "steward.Extend"
	return s.changeRequest(ctx, op, id, func(r *Request, now time.Time) error {
		switch {
		case months < 1 || months > 2:
			return fmt.Errorf("extension of %d months; it may be one or two", months)
		case reason == "":
			return fmt.Errorf("an extension needs a reason")
		case r.Extension > 0:
			return fmt.Errorf("request %s was extended already", r.ID)
		case r.State == privacy.RequestCompleted || r.State == privacy.RequestRefused:
			return fmt.Errorf("request %s is closed", r.ID)
		case !now.Before(r.Due):
			return fmt.Errorf("request %s: the original deadline has passed", r.ID)
		}
		r.Extension, r.ExtensionReason = months, reason
		r.Due = privacy.Deadline{Received: r.Received, Zone: s.zone}.Due(months)
		return nil
	}, "extended")
}

// Start marks the request in progress.
func (s *Steward) Start(ctx context.Context, id string) (Request, error) {
	return s.changeRequest(ctx, "steward.Start", id, func(r *Request, _ time.Time) error {
		if r.State != privacy.RequestReceived {
			return fmt.Errorf("request %s is %s, not received", r.ID, r.State)
		}
		r.State = privacy.RequestInProgress
		return nil
	}, "started")
}

// Complete closes the request as carried out.
func (s *Steward) Complete(ctx context.Context, id string) (Request, error) {
	return s.close(ctx, "steward.Complete", id, privacy.RequestCompleted, "")
}

// Refuse closes the request as refused, with the reason (Art. 12(4)).
func (s *Steward) Refuse(ctx context.Context, id, reason string) (Request, error) {
	if reason == "" {
		return Request{}, &privacy.Error{Op: "steward.Refuse", Msg: "a refusal needs a reason", Err: privacy.ErrInvalid}
	}
	return s.close(ctx, "steward.Refuse", id, privacy.RequestRefused, reason)
}

func (s *Steward) close(ctx context.Context, op, id string, state privacy.RequestState, reason string) (Request, error) {
	return s.changeRequest(ctx, op, id, func(r *Request, now time.Time) error {
		if r.State == privacy.RequestCompleted || r.State == privacy.RequestRefused {
			return fmt.Errorf("request %s is closed already", r.ID)
		}
		r.State, r.Closed, r.RefusalReason = state, now, reason
		return nil
	}, string(state))
}

// PolicyFor returns the retention policy a request is carried out under: the
// one in force when it was received, which is Options.Policy or one of
// Options.EarlierPolicies; another gives an error wrapping
// privacy.ErrNotFound.
func (s *Steward) PolicyFor(r Request) (*retention.Policy, error) {
	p := s.policies.get(r.Policy)
	if p == nil {
		return nil, &privacy.Error{Op: "steward.PolicyFor", Msg: "request " + r.ID + " names a policy this Steward does not know", Err: privacy.ErrNotFound}
	}
	return p, nil
}

func (s *Steward) changeRequest(ctx context.Context, op, id string, change func(*Request, time.Time) error, what string) (Request, error) {
	old, err := s.requests.Get(ctx, id)
	if err != nil {
		return Request{}, privacy.Wrap(op, err)
	}
	r := old
	if err := change(&r, s.clock.Now()); err != nil {
		return Request{}, &privacy.Error{Op: op, Msg: err.Error(), Err: privacy.ErrInvalid}
	}
	if err := s.requests.Replace(ctx, old, r); err != nil {
		return Request{}, privacy.Wrap(op, err)
	}
	return r, privacy.Wrap(op, s.auditRequest(ctx, r, what))
}

func (s *Steward) auditRequest(ctx context.Context, r Request, what string) error {
	_, err := s.audit.Append(ctx, privacy.Event{
		Time: s.clock.Now(), Action: privacy.ActionRequest, Actor: s.actor, Subject: r.Subject,
		Object: r.ID, Reason: string(r.Kind) + ":" + what,
	})
	return err
}

// policyRegistry remembers every policy a Steward has had, by a digest of its
// rules, so a request is carried out under the policy it was received under.
type policyRegistry struct {
	mu sync.Mutex
	by map[string]*retention.Policy
}

func newPolicyRegistry() *policyRegistry { return &policyRegistry{by: map[string]*retention.Policy{}} }

// add remembers p and returns its ID.
func (r *policyRegistry) add(p *retention.Policy) string {
	id := policyID(p)
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.by[id]; !ok {
		r.by[id] = p
	}
	return id
}

func (r *policyRegistry) get(id string) *retention.Policy {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.by[id]
}

// policyID is a digest of a policy's rules: equal rules give equal IDs.
func policyID(p *retention.Policy) string {
	b, err := json.Marshal(p.Rules())
	if err != nil {
		panic(err) // rules hold only strings, numbers and structs of them
	}
	sum := sha256.Sum256(b)
	return "policy-" + hex.EncodeToString(sum[:8])
}
