//go:build !race

package metrics

import (
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// TestObserveResultDoesNotAllocate pins the hot-path promise. The race
// detector instruments allocations, hence the build tag.
func TestObserveResultDoesNotAllocate(t *testing.T) {
	m := New("dev")
	s := spec("core", "api", monitor.KindHTTP, map[string]string{"env": "prod"})
	r := &monitor.Result{Success: true, Duration: time.Millisecond, Status: 200, Connected: true,
		CertificateExpiration: time.Hour, DomainExpiration: time.Hour, DNSRCode: "NOERROR"}
	m.ObserveResult(s, r) // creates the monitor's record and code slots
	if n := testing.AllocsPerRun(1000, func() { m.ObserveResult(s, r) }); n != 0 {
		t.Errorf("ObserveResult allocates %v times per call, want 0", n)
	}
}
