package story

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// store is what the host needs of its storage: Steward's Records plus
// putting and reading records.
type store interface {
	steward.Records
	PutRecord(ctx context.Context, r privacy.Record) error
	Record(ctx context.Context, ref privacy.Ref) (privacy.Record, error)
}

type client struct {
	id       privacy.SubjectID
	sector   string
	index    int
	invoices []privacy.Ref
}

// host is the bookkeeping application: clients, orders, invoices and contact
// details, kept through steward.
type host struct {
	clock   *privacy.SettableClock
	store   store
	steward *steward.Steward
	clients []*client
	close   func()
}

func newHost(ctx context.Context, clock *privacy.SettableClock, open Open) (*host, error) {
	st, err := open(ctx)
	if err != nil {
		return nil, err
	}
	audit := st.AuditLog()
	closeStore := func() { st.Close() }
	policy, err := retention.NewPolicy(
		retention.DutchFiscal("invoice", &retention.PresetOptions{Fields: []string{"number", "amount", "client_name"}}),
		retention.Rule{Name: "contact-limit", Category: "contact", Delete: retention.Years(2),
			Anchor: retention.OnEvent(privacy.EventContractEnded), Basis: "AVG art. 5 lid 1 onder e", Zone: retention.DutchZone},
		retention.Rule{Name: "order-limit", Category: "order", Delete: retention.Years(1),
			Anchor: retention.OnEvent(privacy.EventContractEnded), Basis: "AVG art. 5 lid 1 onder e", Zone: retention.DutchZone},
	)
	if err != nil {
		closeStore()
		return nil, err
	}
	ledger, err := consent.New(st.Consent(), &consent.Options{
		Clock: clock, Audit: audit, Notices: st.Notices(), Disclosures: st.Disclosures(),
		PseudonymKey: []byte("bookkeeping example pseudonym key"),
		Purposes: []consent.Purpose{
			{Name: "delivery", Basis: privacy.Contract},
			{Name: "quality", Basis: privacy.LegitimateInterests},
			{Name: "newsletter", Basis: privacy.Consent, Notice: "privacy"},
			{Name: "tax", Basis: privacy.LegalObligation},
		},
	})
	if err != nil {
		closeStore()
		return nil, err
	}
	s, err := steward.New(st, &steward.Options{
		Policy: policy, Consent: ledger, Audit: audit, Clock: clock,
		Labels: steward.Labels{
			"invoice": {NL: "Factuur", EN: "Invoice"},
			"order":   {NL: "Bestelling", EN: "Order"},
			"contact": {NL: "Contactgegevens", EN: "Contact details"},
		},
	})
	if err != nil {
		closeStore()
		return nil, err
	}
	return &host{clock: clock, store: st, steward: s, close: closeStore}, nil
}

var firstNames = []string{"Anna", "Bram", "Carla", "Daan", "Eva", "Finn", "Gijs", "Hanna"}

func (h *host) register(ctx context.Context, id privacy.SubjectID, sector string, j int) error {
	c := &client{id: id, sector: sector, index: len(h.clients)}
	h.clients = append(h.clients, c)
	now := h.clock.Now()
	name := firstNames[c.index%len(firstNames)]
	if err := h.store.PutRecord(ctx, privacy.Record{
		Ref: privacy.Ref{Category: "contact", ID: string(id)}, Subject: id, Created: now,
		Fields: []privacy.Field{
			{Name: "name", Value: name + " Jansen", Class: privacy.Personal},
			{Name: "email", Value: fmt.Sprintf("%s.%d@example.nl", name, c.index), Class: privacy.Personal},
			{Name: "sector", Value: sector},
		},
	}); err != nil {
		return err
	}
	return h.store.PutRecord(ctx, privacy.Record{
		Ref: privacy.Ref{Category: "order", ID: fmt.Sprintf("o-%s", id)}, Subject: id, Created: now,
		Fields: []privacy.Field{
			{Name: "product", Value: []string{"basic", "plus", "pro"}[j%3]},
			{Name: "delivery_address", Value: fmt.Sprintf("Damrak %d, Amsterdam", 1+c.index), Class: privacy.Personal},
		},
	})
}

// invoices makes one invoice per client per quarter of 2019 and 2020.
func (h *host) invoices(ctx context.Context) (int, error) {
	ams := h.clock.Now().Location()
	n := 0
	for _, c := range h.clients {
		for q := range 8 {
			made := time.Date(2019+q/4, time.Month(1+3*(q%4)), 15, 12, 0, 0, 0, ams)
			ref := privacy.Ref{Category: "invoice", ID: fmt.Sprintf("%d-%04d", made.Year(), c.index*8+q)}
			if err := h.store.PutRecord(ctx, privacy.Record{
				Ref: ref, Subject: c.id, Created: made,
				Fields: []privacy.Field{
					{Name: "number", Value: ref.ID},
					{Name: "amount", Value: int64(9900 + 100*q)},
					{Name: "client_name", Value: firstNames[c.index%len(firstNames)] + " Jansen", Class: privacy.Personal},
					{Name: "email", Value: fmt.Sprintf("client%d@example.nl", c.index), Class: privacy.Personal},
				},
			}); err != nil {
				return n, err
			}
			c.invoices = append(c.invoices, ref)
			n++
		}
	}
	return n, nil
}

func (h *host) record(ctx context.Context, ref privacy.Ref) (privacy.Record, bool) {
	r, err := h.store.Record(ctx, ref)
	return r, err == nil
}

// sectorRows yields one row per registered client, by sector: the figure
// counts clients, not records.
func (h *host) sectorRows() iter.Seq2[aggregate.Row, error] {
	return func(yield func(aggregate.Row, error) bool) {
		for _, c := range h.clients {
			if !yield(aggregate.Row{Subject: c.id, Key: aggregate.Key{c.sector}}, nil) {
				return
			}
		}
	}
}
