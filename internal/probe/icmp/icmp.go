// Package icmp probes icmp:// monitors with one echo request, as Gatus
// does: [CONNECTED] says whether the echo reply came back before the
// deadline, [RESPONSE_TIME] is its round-trip time, [IP] the address
// pinged. An unanswered ping is not an error of the check (it sets
// [CONNECTED] to false); being unable to open an ICMP socket is.
//
// Raw ICMP sockets need root or CAP_NET_RAW; unprivileged ICMP ("ping")
// sockets need the process's group in net.ipv4.ping_group_range. Mode Auto
// tries the one that fits the process first and falls back to the other.
package icmp

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	probing "github.com/prometheus-community/pro-bing"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/target"
)

// Mode says which kind of ICMP socket to use.
type Mode int

const (
	// Auto uses raw sockets when running as root and unprivileged ones
	// otherwise, falling back to the other kind when the first is refused.
	Auto Mode = iota
	// Privileged uses raw ICMP sockets only.
	Privileged
	// Unprivileged uses unprivileged ICMP ("ping") sockets only.
	Unprivileged
)

// String names the mode.
func (m Mode) String() string {
	switch m {
	case Privileged:
		return "privileged"
	case Unprivileged:
		return "unprivileged"
	}
	return "auto"
}

// Options configure the ICMP prober.
type Options struct {
	Mode Mode
}

// Prober checks icmp:// monitors.
type Prober struct {
	mode Mode
	euid int
}

// New returns an ICMP prober.
func New(opts Options) *Prober {
	return &Prober{mode: opts.Mode, euid: os.Geteuid()}
}

// Probe sends one echo request to the monitor's host and waits for the
// reply until the deadline.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) (obs monitor.Observation) {
	ctx, cancel := target.WithTimeout(ctx, spec)
	defer cancel()
	obs.Hostname = strings.TrimPrefix(spec.URL, "icmp://")
	host := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSuffix(obs.Hostname, "/"), "["), "]")
	ipNetwork, err := target.Network(&spec.Client)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	r, err := target.Resolver(&spec.Client)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	start := time.Now()
	ipText, err := target.LookupIP(ctx, r, ipNetwork, host)
	if err != nil {
		obs.AddError(target.Explain(ctx, start, err))
		return obs
	}
	obs.IP = ipText
	ip := net.ParseIP(ipText)

	if target.Cancelled(ctx) {
		obs.AddError(target.CancelledError)
		return obs
	}
	var refused []error
	for _, privileged := range p.order() {
		stats, err := ping(ctx, ip, ipNetwork, privileged)
		if isPermission(err) {
			refused = append(refused, socketError(privileged, err))
			continue
		}
		if err != nil && target.Ended(ctx) == nil {
			obs.AddError(fmt.Sprintf("ping %s: %v", ipText, err))
			return obs
		}
		if target.Cancelled(ctx) {
			obs.AddError(target.CancelledError)
		}
		if stats != nil && stats.PacketsRecv > 0 {
			obs.Connected = true
			obs.ResponseTime = stats.MaxRtt
		} else {
			obs.ResponseTime = time.Since(start)
		}
		return obs
	}
	obs.AddError("icmp: cannot open an ICMP socket: " + errors.Join(refused...).Error())
	return obs
}

// order lists the socket kinds to try: true for raw (privileged).
func (p *Prober) order() []bool {
	switch p.mode {
	case Privileged:
		return []bool{true}
	case Unprivileged:
		return []bool{false}
	}
	if p.euid == 0 {
		return []bool{true, false}
	}
	return []bool{false, true}
}

// ping sends one echo request to ip and waits for its reply until ctx ends.
func ping(ctx context.Context, ip net.IP, ipNetwork string, privileged bool) (*probing.Statistics, error) {
	pinger := probing.New("")
	pinger.SetLogger(probing.NoopLogger{})
	pinger.SetNetwork(ipNetwork)
	pinger.SetIPAddr(&net.IPAddr{IP: ip})
	pinger.SetPrivileged(privileged)
	pinger.Count = 1
	pinger.Timeout = time.Until(target.DeadlineOf(ctx, monitor.DefaultTimeout))
	if pinger.Timeout <= 0 {
		return nil, ctx.Err()
	}
	err := pinger.RunWithContext(ctx)
	return pinger.Statistics(), err
}

// isPermission reports whether err says the kernel refused the socket.
func isPermission(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EACCES)
}

// socketError explains why a kind of ICMP socket was refused.
func socketError(privileged bool, err error) error {
	if privileged {
		return fmt.Errorf("raw ICMP sockets need root or CAP_NET_RAW (%w)", err)
	}
	return fmt.Errorf("unprivileged ICMP sockets are not allowed for group %d, see sysctl net.ipv4.ping_group_range (%w)", os.Getegid(), err)
}
