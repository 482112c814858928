package dns_test

import (
	"net"
	"testing"

	mdns "github.com/miekg/dns"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/dns"
)

func FuzzServerAndQuestion(f *testing.F) {
	f.Add("8.8.8.8", "A", "example.org")
	f.Add("tcp://[::1]:5353", "PTR", "::1")
	f.Add("udp://", "txt", "a..b")
	f.Fuzz(func(t *testing.T, url, qtype, qname string) {
		if addr, network, host, err := dns.Server(url); err == nil {
			h, _, serr := net.SplitHostPort(addr)
			if serr != nil || h != host || (network != "udp" && network != "tcp") {
				t.Fatalf("Server(%q) = %q, %q, %q", url, addr, network, host)
			}
		}
		q, err := dns.Question(&monitor.DNSQuery{QueryType: qtype, QueryName: qname})
		if err != nil {
			return
		}
		if !mdns.IsFqdn(q.Name) || q.Qclass != mdns.ClassINET {
			t.Fatalf("Question(%q, %q) = %+v", qtype, qname, q)
		}
		m := new(mdns.Msg)
		m.Question = []mdns.Question{q}
		if _, err := m.Pack(); err != nil {
			t.Fatalf("question %+v does not pack: %v", q, err)
		}
	})
}
