package privacy_test

import (
	"testing"
	"time"

	"github.com/smartbooqing/steward/privacy"
)

// FuzzDeadline: for any instant and extension of 0 to 2 months, the deadline
// is the start of a day in the zone, after receipt, no later than the same
// day of the month 1+extension months on (plus the day itself), and an
// extension never brings it forward.
func FuzzDeadline(f *testing.F) {
	f.Add(time.Date(2025, 1, 31, 9, 0, 0, 0, time.UTC).Unix(), 0)
	f.Add(time.Date(2024, 1, 31, 23, 30, 0, 0, time.UTC).Unix(), 1)
	f.Add(time.Date(2025, 12, 31, 12, 0, 0, 0, time.UTC).Unix(), 2)
	f.Add(int64(0), 0)
	ams, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, unix int64, ext int) {
		if ext < 0 || ext > 2 || unix < -1e11 || unix > 1e11 {
			t.Skip()
		}
		received := time.Unix(unix, 0)
		d := privacy.Deadline{Received: received, Zone: ams}
		due := d.Due(ext)
		if !due.After(received) {
			t.Fatalf("due %v is not after receipt %v", due, received)
		}
		local := due.In(ams)
		if local.Hour() != 0 || local.Minute() != 0 || local.Second() != 0 {
			// A day whose midnight does not exist starts later; Amsterdam has none.
			t.Fatalf("due %v is not the start of a day in Amsterdam", local)
		}
		// At most 1+ext months and one day later, at least 28 days.
		y, m, dd := received.In(ams).Date()
		latest := time.Date(y, m+time.Month(1+ext), dd+2, 0, 0, 0, 0, ams)
		if due.After(latest) || due.Sub(received) < 27*24*time.Hour {
			t.Fatalf("received %v, ext %d: due %v out of range", received, ext, due)
		}
		if ext > 0 && due.Before(d.Due(ext-1)) {
			t.Fatalf("an extension brought the deadline forward")
		}
	})
}
