package consent_test

import (
	"testing"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/storetest"
)

func TestMemoryStore(t *testing.T) {
	storetest.RunConsentStore(t, func(*testing.T) consent.Store { return consent.NewMemoryStore() })
}

func TestMemoryStoreZeroValue(t *testing.T) {
	storetest.RunConsentStore(t, func(*testing.T) consent.Store { return new(consent.MemoryStore) })
}
