// Package dns probes monitors with a dns section as Gatus does: one query
// to the server of the URL; [DNS_RCODE] is the response code's name
// (NOERROR, NXDOMAIN, SERVFAIL...) and [BODY] the value of the answer (the
// last one when there are several, as in Gatus).
//
// Values per record type: A and AAAA the address, CNAME, NS, PTR and MX the
// target name, SRV "target:port", TXT its strings concatenated, and any
// other type (SOA, CAA, ...) its data in zone-file form, as "dig +short"
// prints it.
package dns

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/target"
)

// Prober checks DNS monitors. The zero value is ready to use.
type Prober struct{}

// New returns a DNS prober.
func New() *Prober { return &Prober{} }

// Probe sends the monitor's query to its server and reports the answer.
func (p *Prober) Probe(ctx context.Context, spec *monitor.Spec) (obs monitor.Observation) {
	ctx, cancel := target.WithTimeout(ctx, spec)
	defer cancel()
	obs.Hostname = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(spec.URL, "udp://"), "tcp://"), ":53")
	server, network, host, err := Server(spec.URL)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	if spec.DNS == nil {
		obs.AddError("dns monitor has no dns section (query-name, query-type)")
		return obs
	}
	q, err := Question(spec.DNS)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	d, err := target.NewDialer(&spec.Client)
	if err != nil {
		obs.AddError(err.Error())
		return obs
	}
	needs := spec.Needs()
	if needs.IP {
		start := time.Now()
		r := d.Resolver
		if r == nil {
			r = net.DefaultResolver
		}
		ipNetwork, _ := target.Network(&spec.Client)
		if obs.IP, err = target.LookupIP(ctx, r, ipNetwork, host); err != nil {
			obs.AddError(target.Explain(ctx, start, err))
			return obs
		}
	}
	start := time.Now()
	reply, err := exchange(ctx, d, network, server, q)
	obs.ResponseTime = time.Since(start)
	if err != nil {
		obs.AddError(fmt.Sprintf("dns query %s %s to %s: %s", mdns.TypeToString[q.Qtype], q.Name, server, target.Explain(ctx, start, err)))
		return obs
	}
	obs.Connected = true
	obs.DNSRCode = RcodeName(reply.Rcode)
	if needs.Body {
		obs.Body = Body(reply.Answer)
	}
	return obs
}

// Server returns the address (host:port, port 53 by default), the network
// (udp unless the URL starts with tcp://) and the host of a DNS monitor's
// URL: "8.8.8.8", "8.8.8.8:53", "2001:4860:4860::8888", "tcp://1.1.1.1".
func Server(rawURL string) (addr, network, host string, err error) {
	network = "udp"
	s := strings.TrimPrefix(rawURL, "udp://")
	if rest, ok := strings.CutPrefix(s, "tcp://"); ok {
		network, s = "tcp", rest
	}
	s = strings.TrimSuffix(s, "/")
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), "53"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 || !target.ValidHost(host) {
		return "", "", "", fmt.Errorf("invalid dns server url %q: want host, host:port, or tcp://host:port", rawURL)
	}
	return net.JoinHostPort(host, port), network, host, nil
}

// Question builds the question of a dns section: the query type by name
// (case-insensitive) and the query name made fully qualified; a PTR query
// for an IP address asks for its reverse name, as Gatus does.
func Question(q *monitor.DNSQuery) (mdns.Question, error) {
	qtype, ok := mdns.StringToType[strings.ToUpper(strings.TrimSpace(q.QueryType))]
	if !ok {
		return mdns.Question{}, fmt.Errorf("invalid dns query-type %q", q.QueryType)
	}
	name := strings.TrimSpace(q.QueryName)
	if name == "" {
		return mdns.Question{}, errors.New("dns query-name is empty")
	}
	if qtype == mdns.TypePTR && net.ParseIP(name) != nil {
		rev, err := mdns.ReverseAddr(name)
		if err != nil {
			return mdns.Question{}, fmt.Errorf("invalid dns query-name %q for PTR: %w", name, err)
		}
		name = rev
	}
	name = mdns.Fqdn(name)
	// A trailing backslash escapes the dot Fqdn appends: not a valid name.
	if _, ok := mdns.IsDomainName(name); !ok || !mdns.IsFqdn(name) {
		return mdns.Question{}, fmt.Errorf("invalid dns query-name %q", q.QueryName)
	}
	return mdns.Question{Name: name, Qtype: qtype, Qclass: mdns.ClassINET}, nil
}

// exchange sends the question to server and returns the reply, retrying
// over TCP when a UDP reply comes back truncated.
func exchange(ctx context.Context, d *target.Dialer, network, server string, q mdns.Question) (*mdns.Msg, error) {
	m := new(mdns.Msg)
	m.Id = mdns.Id()
	m.RecursionDesired = true
	m.Question = []mdns.Question{q}
	reply, err := exchangeOnce(ctx, d, network, server, m)
	if err == nil && reply.Truncated && network == "udp" {
		return exchangeOnce(ctx, d, "tcp", server, m)
	}
	return reply, err
}

func exchangeOnce(ctx context.Context, d *target.Dialer, network, server string, m *mdns.Msg) (*mdns.Msg, error) {
	c := &mdns.Client{Net: network, Timeout: time.Until(target.DeadlineOf(ctx, monitor.DefaultTimeout))}
	raw, err := d.DialContext(ctx, network, server)
	if err != nil {
		return nil, err
	}
	conn := &mdns.Conn{Conn: raw}
	defer conn.Close()
	// ExchangeWithConnContext obeys the deadline only; closing the
	// connection makes it return on cancellation too.
	stop := context.AfterFunc(ctx, func() { _ = raw.Close() })
	defer stop()
	reply, _, err := c.ExchangeWithConnContext(ctx, m, conn)
	if err != nil {
		if cause := target.Ended(ctx); cause != nil {
			return nil, fmt.Errorf("%w (%w)", cause, err)
		}
		return nil, err
	}
	return reply, nil
}

// RcodeName returns the name of a response code, as [DNS_RCODE] shows it.
func RcodeName(rcode int) string {
	if s, ok := mdns.RcodeToString[rcode]; ok {
		return s
	}
	return "RCODE" + strconv.Itoa(rcode)
}

// Body returns what [BODY] resolves to for a reply's answer section: the
// value of the last answer, as Gatus does (nil without answers).
func Body(answer []mdns.RR) []byte {
	if len(answer) == 0 {
		return nil
	}
	return []byte(Value(answer[len(answer)-1]))
}

// Value is the value of one answer record.
func Value(rr mdns.RR) string {
	switch v := rr.(type) {
	case *mdns.A:
		return v.A.String()
	case *mdns.AAAA:
		return v.AAAA.String()
	case *mdns.CNAME:
		return v.Target
	case *mdns.MX:
		return v.Mx
	case *mdns.NS:
		return v.Ns
	case *mdns.PTR:
		return v.Ptr
	case *mdns.SRV:
		return v.Target + ":" + strconv.Itoa(int(v.Port))
	case *mdns.TXT:
		return strings.Join(v.Txt, "")
	}
	return strings.TrimPrefix(rr.String(), rr.Header().String())
}
