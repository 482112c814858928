package target_test

import (
	"net"
	"strings"
	"testing"

	"github.com/custodes/custodes/internal/probe/target"
)

func FuzzAddress(f *testing.F) {
	for _, s := range []string{"tcp://127.0.0.1:80", "udp://[::1]:53", "tls://h:1/", "tcp://h", "x", "tcp://a@b:1", "tcp://[::1%25eth0]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, url string) {
		addr, host, port, err := target.Address(url)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		h, p, serr := net.SplitHostPort(addr)
		if serr != nil || h != host || p != port || host == "" || port == "" {
			t.Fatalf("Address(%q) = %q, %q, %q: not host:port", url, addr, host, port)
		}
	})
}

func FuzzParseResolver(f *testing.F) {
	for _, s := range []string{"tcp://1.1.1.1:53", "udp://[::1]:5353", "tcp://", "udp://:53", "tcp://h:99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := target.ParseResolver(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "invalid dns-resolver ") {
				t.Fatalf("error %q does not say what is invalid", err)
			}
			return
		}
		if _, _, err := net.SplitHostPort(r.Address); err != nil || !strings.HasPrefix(r.Network, "tcp") && !strings.HasPrefix(r.Network, "udp") {
			t.Fatalf("ParseResolver(%q) = %+v", s, r)
		}
	})
}
