package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward"
	"github.com/smartbooqing/steward/aggregate"
	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
	"github.com/smartbooqing/steward/sqlstore"
	"github.com/smartbooqing/steward/storetest"
)

func harness(open func(t testing.TB) *sqlstore.Store) storetest.Harness {
	return storetest.Harness{
		AuditLog: func(t *testing.T) privacy.AuditLog { return open(t).AuditLog() },
		Holds:    func(t *testing.T) retention.HoldStore { return open(t) },
		Inventory: func(t *testing.T) storetest.Inventory {
			s := open(t)
			return storetest.Inventory{Inventory: s, Holds: s, Audit: s.AuditLog(), Add: s.PutRecord}
		},
		Consent:     func(t *testing.T) consent.Store { return open(t).Consent() },
		Notices:     func(t *testing.T) consent.NoticeStore { return open(t).Notices() },
		Disclosures: func(t *testing.T) consent.DisclosureStore { return open(t).Disclosures() },
		Requests:    func(t *testing.T) steward.RequestStore { return open(t).Requests() },
		Archives:    func(t *testing.T) steward.ArchiveStore { return open(t).Archives() },
		Budgets:     func(t *testing.T) aggregate.BudgetStore { return open(t).Budgets() },
	}
}

// Every suite of the specification, on every dialect.
func TestConformance(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			if d.name == "PostgreSQL" {
				postgresDSN(t) // skip once here rather than in every case
			}
			t.Parallel()
			storetest.Run(t, harness(func(t testing.TB) *sqlstore.Store { return open(t, d.dsn(t)) }))
		})
	}
	// An in-memory SQLite database has one connection: the suites also
	// check that no iterator keeps it while the caller works.
	t.Run("SQLite in memory", func(t *testing.T) {
		if raceEnabled {
			t.Skip("the in-memory database runs the same SQL as the file: checked without -race, where it is fast")
		}
		t.Parallel()
		storetest.Run(t, harness(func(t testing.TB) *sqlstore.Store {
			s, err := sqlstore.Open(context.Background(), ":memory:", nil)
			require.NoError(t, err)
			t.Cleanup(func() { s.Close() })
			return s
		}))
	})
}
