// Package target says where a probe connects: the host and port shown in
// results (as Gatus derives them from the URL), the resolver and dialer a
// monitor's client options ask for, and the [IP] lookup. It also holds the
// small context helpers every probe shares.
package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
)

// Address returns the "host:port" a tcp://, udp://, tls:// or starttls://
// URL points to, with the host and port separately for the observation.
// A URL without a port, or with anything after the port, is an error.
func Address(rawURL string) (addr, host, port string, err error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return "", "", "", fmt.Errorf("invalid url %q: missing scheme", rawURL)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", "", "", fmt.Errorf("invalid url: %w", err)
	}
	host, port = u.Hostname(), u.Port()
	if host == "" {
		return "", "", "", fmt.Errorf("invalid url %q: missing host", rawURL)
	}
	if port == "" {
		return "", host, "", fmt.Errorf("invalid url %q: missing port, want %s://host:port", rawURL, scheme)
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || strings.Contains(rest, "@") {
		return "", host, port, fmt.Errorf("invalid url %q: want %s://host:port and nothing else", rawURL, scheme)
	}
	if !ValidHost(host) {
		return "", "", "", fmt.Errorf("invalid url %q: invalid host %q", rawURL, host)
	}
	return net.JoinHostPort(host, port), host, port, nil
}

// ValidHost reports whether host can stand in a host:port address: a name
// or an IP address, nothing that would confuse the split (brackets, colons
// outside an IPv6 address, spaces).
func ValidHost(host string) bool {
	if host == "" || strings.ContainsAny(host, "[]/ @\t") {
		return false
	}
	if strings.Contains(host, ":") {
		zoneless, _, _ := strings.Cut(host, "%")
		return net.ParseIP(zoneless) != nil
	}
	return true
}

// ResolverAddress is a parsed client.dns-resolver value: "tcp://1.1.1.1:53".
type ResolverAddress struct {
	Network string // "tcp" or "udp"
	Address string // host:port
}

// ParseResolver parses a client.dns-resolver value of the form
// {proto}://{host}:{port}, proto being tcp or udp.
func ParseResolver(s string) (ResolverAddress, error) {
	proto, hostport, ok := strings.Cut(s, "://")
	if !ok {
		return ResolverAddress{}, fmt.Errorf("invalid dns-resolver %q: format must be {proto}://{host}:{port}", s)
	}
	switch proto {
	case "tcp", "udp", "tcp4", "tcp6", "udp4", "udp6":
	default:
		return ResolverAddress{}, fmt.Errorf("invalid dns-resolver %q: protocol must be tcp or udp", s)
	}
	host, port, err := net.SplitHostPort(strings.TrimSuffix(hostport, "/"))
	if err != nil || host == "" {
		return ResolverAddress{}, fmt.Errorf("invalid dns-resolver %q: format must be {proto}://{host}:{port}", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return ResolverAddress{}, fmt.Errorf("invalid dns-resolver %q: invalid port %q", s, port)
	}
	return ResolverAddress{Network: proto, Address: net.JoinHostPort(host, port)}, nil
}

// Resolver returns the resolver the client options ask for: the system one,
// or one that sends every query to client.dns-resolver.
func Resolver(opts *monitor.ClientOptions) (*net.Resolver, error) {
	if opts.DNSResolver == "" {
		return net.DefaultResolver, nil
	}
	ra, err := ParseResolver(opts.DNSResolver)
	if err != nil {
		return nil, err
	}
	return &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, ra.Network, ra.Address)
		},
	}, nil
}

// Network returns the IP network ("ip", "ip4" or "ip6") of client.network.
func Network(opts *monitor.ClientOptions) (string, error) {
	switch opts.Network {
	case "", "ip":
		return "ip", nil
	case "ip4", "ip6":
		return opts.Network, nil
	}
	return "", fmt.Errorf("invalid client network %q: must be ip, ip4 or ip6", opts.Network)
}

// Transport returns the transport network to dial for base ("tcp" or
// "udp") restricted to the IP family of ipNetwork: "tcp4" for ip4.
func Transport(base, ipNetwork string) string {
	switch ipNetwork {
	case "ip4":
		return base + "4"
	case "ip6":
		return base + "6"
	}
	return base
}

// Dialer dials like net.Dialer with the client options' resolver and IP
// family.
type Dialer struct {
	net.Dialer
	ipNetwork string
	source    net.IP // nil: the kernel chooses
}

// NewDialer returns a dialer for the client options.
func NewDialer(opts *monitor.ClientOptions) (*Dialer, error) {
	r, err := Resolver(opts)
	if err != nil {
		return nil, err
	}
	ipNetwork, err := Network(opts)
	if err != nil {
		return nil, err
	}
	d := &Dialer{ipNetwork: ipNetwork}
	if r != net.DefaultResolver {
		d.Resolver = r
	}
	if opts.SourceIP != "" {
		if d.source = net.ParseIP(opts.SourceIP); d.source == nil {
			return nil, fmt.Errorf("source address %q is not an IP address", opts.SourceIP)
		}
	}
	return d, nil
}

// DialContext dials addr over network ("tcp" or "udp"), restricted to the
// options' IP family.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	switch network {
	case "tcp", "udp":
		network = Transport(network, d.ipNetwork)
	}
	if d.source != nil {
		nd := d.Dialer // a copy: LocalAddr's type depends on the network
		if strings.HasPrefix(network, "udp") {
			nd.LocalAddr = &net.UDPAddr{IP: d.source}
		} else {
			nd.LocalAddr = &net.TCPAddr{IP: d.source}
		}
		return nd.DialContext(ctx, network, addr)
	}
	return d.Dialer.DialContext(ctx, network, addr)
}

// LookupIP resolves host as Gatus does for [IP]: the first address the
// resolver returns for the network (ip, ip4 or ip6).
func LookupIP(ctx context.Context, r *net.Resolver, network, host string) (string, error) {
	if host == "" {
		return "", errors.New("cannot resolve [IP]: the url has no host")
	}
	ips, err := r.LookupIP(ctx, network, host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("lookup %s: no addresses", host)
	}
	return ips[0].String(), nil
}

// RemoteIP returns the IP address of a connection's remote end, or "".
func RemoteIP(c net.Conn) string {
	if c == nil {
		return ""
	}
	switch a := c.RemoteAddr().(type) {
	case *net.TCPAddr:
		return a.IP.String()
	case *net.UDPAddr:
		return a.IP.String()
	case *net.IPAddr:
		return a.IP.String()
	}
	return ""
}

// WithTimeout bounds ctx by the monitor's timeout, so a check ends by the
// earlier of ctx's deadline and now + spec.Timeout(). The scheduler
// normally sets the same deadline; this keeps a probe called without one
// (or with a looser one) from running longer than the monitor allows.
func WithTimeout(ctx context.Context, spec *monitor.Spec) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, spec.Timeout())
}

// Explain turns err, returned by an operation started at start under ctx,
// into the text shown to users: a deadline becomes "timed out after 10s",
// a cancellation "check cancelled".
func Explain(ctx context.Context, start time.Time, err error) string {
	msg := err.Error()
	switch Ended(ctx) {
	case context.DeadlineExceeded:
		return msg + " (timed out after " + Rounded(time.Since(start)) + ")"
	case context.Canceled:
		return msg + " (check cancelled)"
	}
	return msg
}

// Rounded formats d for messages: whole milliseconds below a second,
// tenths of seconds above.
func Rounded(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(100 * time.Millisecond).String()
}

// Ended returns why ctx is done: ctx.Err(), or context.DeadlineExceeded
// once the deadline has passed even if ctx's own timer has not fired yet
// (a connection deadline set to the same instant may fire first). It
// returns nil while ctx is live.
func Ended(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// Cancelled reports whether ctx was cancelled by its owner (not merely
// past its deadline): the check was abandoned, not failed.
func Cancelled(ctx context.Context) bool {
	return errors.Is(ctx.Err(), context.Canceled)
}

// CancelledError is the observation error of a check abandoned because its
// context was cancelled.
const CancelledError = "check cancelled before it completed"

// DeadlineOf returns the deadline of ctx, or now + fallback when it has
// none.
func DeadlineOf(ctx context.Context, fallback time.Duration) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(fallback)
}

// InterruptOnDone makes blocking reads and writes on c return once ctx is
// done (its deadline passes or it is cancelled). Call stop when done with c.
func InterruptOnDone(ctx context.Context, c net.Conn) (stop func() bool) {
	if d, ok := ctx.Deadline(); ok {
		_ = c.SetDeadline(d)
	}
	return context.AfterFunc(ctx, func() { _ = c.SetDeadline(time.Unix(1, 0)) })
}
