package privacy

import (
	"sync"
	"time"
)

// Clock tells the time. Every steward package reads time from a Clock so that
// tests can move it across years without sleeping. Implementations must be
// safe for concurrent use.
type Clock interface {
	Now() time.Time
}

// SystemClock is the Clock of the machine.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// SettableClock is a Clock for tests: it stands still until it is set or
// advanced. The zero value reads as the zero time. It is safe for concurrent use.
type SettableClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewSettableClock returns a clock that reads t.
func NewSettableClock(t time.Time) *SettableClock { return &SettableClock{now: t} }

// Now returns the time the clock was last set to.
func (c *SettableClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set sets the clock to t.
func (c *SettableClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d (backward if d is negative).
func (c *SettableClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// AddDate moves the clock by calendar years, months and days, as time.Time.AddDate.
func (c *SettableClock) AddDate(years, months, days int) {
	c.mu.Lock()
	c.now = c.now.AddDate(years, months, days)
	c.mu.Unlock()
}
