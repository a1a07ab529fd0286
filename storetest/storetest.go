// Package storetest is the specification of every storage interface in
// steward: a conformance suite per interface, each case a subtest named after
// the rule it checks. The in-memory stores, package sqlstore on SQLite and
// PostgreSQL, and a host's own implementations all run the same suites.
//
// # Basics
//
// Fill a [Harness] with constructors for the stores you implement and call
// [Run] from a test:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, storetest.Harness{
//			AuditLog: func(t *testing.T) privacy.AuditLog { return myAuditLog(t) },
//			Holds:    func(t *testing.T) retention.HoldStore { return myHolds(t) },
//		})
//	}
//
// Each constructor is called once per case and must return an empty store, so
// cases never see each other's data. A nil constructor skips its suite with a
// message, as a driver in Go CDK's drivertest declares what it lacks. The
// suites can also be run one by one: [RunAuditLog], [RunHoldStore],
// [RunInventory], [RunConsentStore], [RunNoticeStore], [RunDisclosureStore],
// [RunRequestStore], [RunArchiveStore], [RunBudgetStore].
//
// # What the suites check
//
// Besides each method's contract (results, ordering, the sentinel for a
// missing item), every suite checks that a value returned by the store can be
// changed without changing the store, that an iterator stops cleanly when the
// caller breaks out early, and that concurrent use loses nothing.
package storetest

import (
	"context"
	"testing"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// Harness makes fresh, empty stores for the suites.
type Harness struct {
	// AuditLog returns an empty audit log.
	AuditLog func(t *testing.T) privacy.AuditLog
	// Holds returns an empty hold store.
	Holds func(t *testing.T) retention.HoldStore
	// Inventory returns an empty inventory with the stores it works with.
	Inventory func(t *testing.T) Inventory
	// Consent returns an empty consent store.
	Consent func(t *testing.T) consent.Store
	// Notices returns an empty notice store.
	Notices func(t *testing.T) consent.NoticeStore
	// Disclosures returns an empty disclosure store.
	Disclosures func(t *testing.T) consent.DisclosureStore
	// Requests returns an empty data subject request store.
	Requests func(t *testing.T) steward.RequestStore
	// Archives returns an empty archive grant store.
	Archives func(t *testing.T) steward.ArchiveStore
	// Budgets returns an empty privacy budget store.
	Budgets func(t *testing.T) aggregate.BudgetStore
}

// Inventory is an inventory under test with what the suite needs around it.
type Inventory struct {
	retention.Inventory
	// Holds is the hold store whose holds Dispose must see.
	Holds retention.HoldStore
	// Audit is the log Dispose writes tombstones to.
	Audit privacy.AuditLog
	// Add stores a record, as the host would.
	Add func(ctx context.Context, r privacy.Record) error
}

// Run runs every suite whose constructor h has.
func Run(t *testing.T, h Harness) {
	t.Helper()
	suite := func(name string, present bool, run func(t *testing.T)) {
		t.Run(name, func(t *testing.T) {
			if !present {
				t.Skipf("the harness has no %s constructor", name)
			}
			run(t)
		})
	}
	suite("AuditLog", h.AuditLog != nil, func(t *testing.T) { RunAuditLog(t, h.AuditLog) })
	suite("Holds", h.Holds != nil, func(t *testing.T) { RunHoldStore(t, h.Holds) })
	suite("Inventory", h.Inventory != nil, func(t *testing.T) { RunInventory(t, h.Inventory) })
	suite("Consent", h.Consent != nil, func(t *testing.T) { RunConsentStore(t, h.Consent) })
	suite("Notices", h.Notices != nil, func(t *testing.T) { RunNoticeStore(t, h.Notices) })
	suite("Disclosures", h.Disclosures != nil, func(t *testing.T) { RunDisclosureStore(t, h.Disclosures) })
	suite("Requests", h.Requests != nil, func(t *testing.T) { RunRequestStore(t, h.Requests) })
	suite("Archives", h.Archives != nil, func(t *testing.T) { RunArchiveStore(t, h.Archives) })
	suite("Budgets", h.Budgets != nil, func(t *testing.T) { RunBudgetStore(t, h.Budgets) })
}
