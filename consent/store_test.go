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

func TestMemoryNotices(t *testing.T) {
	storetest.RunNoticeStore(t, func(*testing.T) consent.NoticeStore { return consent.NewMemoryNotices() })
}

func TestMemoryDisclosures(t *testing.T) {
	storetest.RunDisclosureStore(t, func(*testing.T) consent.DisclosureStore { return consent.NewMemoryDisclosures() })
}
