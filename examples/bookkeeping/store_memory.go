package main

import (
	"context"

	"github.com/smartbooqing/steward/privacy"
	"github.com/smartbooqing/steward/retention"
)

// openStore opens the host's store: for now the in-memory store.
func openStore(_ context.Context, _ string) (store, privacy.AuditLog, func(), error) {
	audit := privacy.NewMemoryAuditLog()
	return retention.NewMemoryStore(audit), audit, func() {}, nil
}
