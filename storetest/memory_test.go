package storetest_test

import (
	"testing"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/storetest"
)

// The in-memory stores are the first implementations of the specification.
func TestMemoryStores(t *testing.T) {
	storetest.Run(t, storetest.Harness{
		AuditLog: func(*testing.T) privacy.AuditLog { return privacy.NewMemoryAuditLog() },
		Holds:    func(*testing.T) retention.HoldStore { return retention.NewMemoryStore(nil) },
		Inventory: func(*testing.T) storetest.Inventory {
			audit := privacy.NewMemoryAuditLog()
			s := retention.NewMemoryStore(audit)
			return storetest.Inventory{Inventory: s, Holds: s, Audit: audit, Add: s.PutRecord}
		},
		Consent:     func(*testing.T) consent.Store { return consent.NewMemoryStore() },
		Notices:     func(*testing.T) consent.NoticeStore { return consent.NewMemoryNotices() },
		Disclosures: func(*testing.T) consent.DisclosureStore { return consent.NewMemoryDisclosures() },
		Requests:    func(*testing.T) steward.RequestStore { return steward.NewMemoryRequests() },
		Archives:    func(*testing.T) steward.ArchiveStore { return steward.NewMemoryArchives() },
		Budgets:     func(*testing.T) aggregate.BudgetStore { return aggregate.NewMemoryBudgets() },
	})
}
