package httpapi

import (
	"time"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// The JSON shapes of the answers. Keys are snake_case and stable within /v1;
// times are RFC 3339 in UTC; a list is [] rather than null when empty. None
// of them carries the caller's subject ID: the caller knows who they are.

// fieldView is one field of a record, typed as in the export's JSON files.
type fieldView struct {
	Name  string `json:"name"`
	Class string `json:"class"`
	// Type is string, int, float, bool, time or null.
	Type  string `json:"type"`
	Value any    `json:"value"`
}

func viewField(f privacy.Field) fieldView {
	v := fieldView{Name: f.Name, Class: f.Class.String(), Value: f.Value}
	switch x := f.Value.(type) {
	case nil:
		v.Type = "null"
	case string:
		v.Type = "string"
	case int64:
		v.Type = "int"
	case float64:
		v.Type = "float"
	case bool:
		v.Type = "bool"
	case time.Time:
		v.Type, v.Value = "time", x.UTC()
	}
	return v
}

type recordView struct {
	Category   privacy.Category     `json:"category"`
	ID         string               `json:"id"`
	Created    time.Time            `json:"created"`
	Restricted bool                 `json:"restricted"`
	Events     map[string]time.Time `json:"events,omitempty"`
	Fields     []fieldView          `json:"fields"`
}

func viewRecord(r *privacy.Record) recordView {
	v := recordView{Category: r.Ref.Category, ID: r.Ref.ID, Created: r.Created.UTC(), Restricted: r.Restricted, Fields: make([]fieldView, len(r.Fields))}
	if len(r.Events) > 0 {
		v.Events = make(map[string]time.Time, len(r.Events))
		for k, t := range r.Events {
			v.Events[k] = t.UTC()
		}
	}
	for i, f := range r.Fields {
		v.Fields[i] = viewField(f)
	}
	return v
}

// outcome names a retention outcome with a stable code.
func outcome(o retention.Outcome) string {
	switch o {
	case retention.Retain:
		return "retain"
	case retention.Held:
		return "held"
	case retention.Due:
		return "due"
	}
	return "not_due"
}

type retentionView struct {
	Outcome string    `json:"outcome"`
	Until   time.Time `json:"until,omitzero"`
	Rule    string    `json:"rule,omitempty"`
	Basis   string    `json:"basis,omitempty"`
}

type accessRecordView struct {
	recordView
	Retention retentionView `json:"retention"`
}

type purposeStateView struct {
	Purpose privacy.Purpose    `json:"purpose"`
	Basis   privacy.LegalBasis `json:"basis"`
	Consent consent.State      `json:"consent,omitempty"`
}

type grantView struct {
	Administrator string    `json:"administrator"`
	Until         time.Time `json:"until"`
	Granted       time.Time `json:"granted"`
}

type accessView struct {
	Time       time.Time             `json:"time"`
	Records    []accessRecordView    `json:"records"`
	Categories []privacy.Category    `json:"categories"`
	Purposes   []purposeStateView    `json:"purposes"`
	Recipients []string              `json:"recipients"`
	Rights     []privacy.RequestKind `json:"rights"`
	Source     string                `json:"source,omitempty"`
	Archive    *grantView            `json:"archive,omitempty"`
}

func viewAccess(rep *steward.AccessReport) accessView {
	v := accessView{
		Time: rep.Time.UTC(), Records: make([]accessRecordView, len(rep.Records)),
		Categories: nonNil(rep.Categories), Purposes: make([]purposeStateView, len(rep.Purposes)),
		Recipients: nonNil(rep.Recipients), Rights: nonNil(rep.Rights), Source: rep.Source,
	}
	for i, ar := range rep.Records {
		v.Records[i] = accessRecordView{
			recordView: viewRecord(&ar.Record),
			Retention:  retentionView{Outcome: outcome(ar.Outcome), Until: ar.Until.UTC(), Rule: ar.Rule, Basis: ar.Basis},
		}
	}
	for i, p := range rep.Purposes {
		v.Purposes[i] = purposeStateView{Purpose: p.Purpose, Basis: p.Basis, Consent: p.Consent}
	}
	if g := rep.Archive; g != nil {
		v.Archive = &grantView{Administrator: g.Administrator, Until: g.Until.UTC(), Granted: g.Granted.UTC()}
	}
	return v
}

type noticeRef struct {
	ID      consent.NoticeID `json:"id"`
	Version int              `json:"version"`
}

// consentView is where one purpose stands for the subject.
type consentView struct {
	Purpose privacy.Purpose    `json:"purpose"`
	Basis   privacy.LegalBasis `json:"basis"`
	Article string             `json:"article"`
	// Needed is true while the purpose may not be processed until the
	// subject is asked (again).
	Needed      bool           `json:"needed"`
	Reason      consent.Reason `json:"reason"`
	Explanation string         `json:"explanation"`
	// State, Decided, Expires and Recipients describe the newest decision.
	State      consent.State `json:"state,omitempty"`
	Decided    time.Time     `json:"decided,omitzero"`
	Expires    time.Time     `json:"expires,omitzero"`
	Recipients []string      `json:"recipients,omitempty"`
	// Notice is the notice to show when asking.
	Notice *noticeRef `json:"notice,omitempty"`
	// ChangedVersion is the first material change since the consent.
	ChangedVersion int `json:"changed_version,omitempty"`
}

func viewNeed(p consent.Purpose, n consent.Need, explanation string) consentView {
	v := consentView{
		Purpose: p.Name, Basis: p.Basis, Article: p.Basis.Article(), Needed: n.Needed(), Reason: n.Reason,
		Explanation: explanation, State: n.Event.State, Decided: n.Event.Time.UTC(), Expires: n.Event.Expires.UTC(),
		Recipients: n.Event.Recipients, ChangedVersion: n.Changed,
	}
	if n.Notice != "" {
		v.Notice = &noticeRef{ID: n.Notice, Version: n.Version}
	}
	return v
}

// eventView is one consent event as recorded.
type eventView struct {
	Seq          uint64             `json:"seq"`
	Purpose      privacy.Purpose    `json:"purpose"`
	Basis        privacy.LegalBasis `json:"basis"`
	State        consent.State      `json:"state"`
	Notice       consent.NoticeID   `json:"notice,omitempty"`
	Version      int                `json:"version,omitempty"`
	Language     string             `json:"language,omitempty"`
	NoticeHash   string             `json:"notice_hash,omitempty"`
	Method       consent.Method     `json:"method"`
	Actor        string             `json:"actor"`
	Time         time.Time          `json:"time"`
	Expires      time.Time          `json:"expires,omitzero"`
	Jurisdiction string             `json:"jurisdiction"`
	Recipients   []string           `json:"recipients,omitempty"`
}

func viewEvent(e consent.Event) eventView {
	return eventView{
		Seq: e.Seq, Purpose: e.Purpose, Basis: e.Basis, State: e.State, Notice: e.Notice, Version: e.Version,
		Language: e.Language, NoticeHash: e.NoticeHash, Method: e.Method, Actor: e.Actor, Time: e.Time.UTC(),
		Expires: e.Expires.UTC(), Jurisdiction: e.Jurisdiction, Recipients: e.Recipients,
	}
}

type requestView struct {
	ID              string               `json:"id"`
	Kind            privacy.RequestKind  `json:"kind"`
	State           privacy.RequestState `json:"state"`
	Received        time.Time            `json:"received"`
	Due             time.Time            `json:"due"`
	Extension       int                  `json:"extension_months,omitempty"`
	ExtensionReason string               `json:"extension_reason,omitempty"`
	Closed          time.Time            `json:"closed,omitzero"`
	RefusalReason   string               `json:"refusal_reason,omitempty"`
}

func viewRequest(r steward.Request) requestView {
	return requestView{
		ID: r.ID, Kind: r.Kind, State: r.State, Received: r.Received.UTC(), Due: r.Due.UTC(),
		Extension: r.Extension, ExtensionReason: r.ExtensionReason, Closed: r.Closed.UTC(), RefusalReason: r.RefusalReason,
	}
}

type erasureItemView struct {
	Category privacy.Category `json:"category"`
	ID       string           `json:"id"`
	Outcome  string           `json:"outcome"`
	Changed  bool             `json:"changed"`
	Until    time.Time        `json:"until,omitzero"`
	Rule     string           `json:"rule,omitempty"`
	Basis    string           `json:"basis,omitempty"`
	Waiting  string           `json:"waiting_for,omitempty"`
	Matters  []string         `json:"matters,omitempty"`
	Masked   []string         `json:"masked,omitempty"`
	Kept     []string         `json:"kept,omitempty"`
}

type erasureView struct {
	Time      time.Time         `json:"time"`
	Changed   bool              `json:"changed"`
	Items     []erasureItemView `json:"items"`
	Withdrawn []privacy.Purpose `json:"withdrawn"`
	Notified  []string          `json:"notified"`
}

func viewErasure(rep *steward.ErasureReport) erasureView {
	v := erasureView{Time: rep.Time.UTC(), Changed: rep.Changed(), Items: make([]erasureItemView, len(rep.Items)),
		Withdrawn: nonNil(rep.Withdrawn), Notified: nonNil(rep.Notified)}
	for i, it := range rep.Items {
		v.Items[i] = erasureItemView{
			Category: it.Ref.Category, ID: it.Ref.ID, Outcome: it.Outcome.String(), Changed: it.Changed,
			Until: it.Until.UTC(), Rule: it.Rule, Basis: it.Basis, Waiting: it.Waiting,
			Matters: it.Matters, Masked: it.Masked, Kept: it.Kept,
		}
	}
	return v
}

type refView struct {
	Category privacy.Category `json:"category"`
	ID       string           `json:"id"`
}

type scopeView struct {
	Kind     string            `json:"kind"`
	Subject  privacy.SubjectID `json:"subject,omitempty"`
	Category privacy.Category  `json:"category,omitempty"`
	Record   *refView          `json:"record,omitempty"`
}

type holdView struct {
	ID         string           `json:"id"`
	Matter     string           `json:"matter"`
	Ground     retention.Ground `json:"ground"`
	Scope      scopeView        `json:"scope"`
	Active     bool             `json:"active"`
	PlacedBy   string           `json:"placed_by"`
	PlacedAt   time.Time        `json:"placed_at"`
	ReleasedBy string           `json:"released_by,omitempty"`
	ReleasedAt time.Time        `json:"released_at,omitzero"`
}

func viewHold(h retention.Hold) holdView {
	v := holdView{
		ID: h.ID, Matter: h.Matter, Ground: h.Ground, Active: h.Active(),
		Scope:    scopeView{Kind: h.Scope.Kind.String(), Subject: h.Scope.Subject, Category: h.Scope.Category},
		PlacedBy: h.PlacedBy, PlacedAt: h.PlacedAt.UTC(), ReleasedBy: h.ReleasedBy, ReleasedAt: h.ReleasedAt.UTC(),
	}
	if h.Scope.Kind == retention.ScopeRecord {
		v.Scope.Record = &refView{Category: h.Scope.Ref.Category, ID: h.Scope.Ref.ID}
	}
	return v
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
