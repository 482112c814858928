package target_test

import (
	"context"
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
	"github.com/custodes/custodes/internal/probe/target"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestAddress(t *testing.T) {
	tests := []struct {
		url, addr, host, port, err string
	}{
		{url: "tcp://127.0.0.1:5432", addr: "127.0.0.1:5432", host: "127.0.0.1", port: "5432"},
		{url: "udp://[::1]:53", addr: "[::1]:53", host: "::1", port: "53"},
		{url: "tls://example.org:443/", addr: "example.org:443", host: "example.org", port: "443"},
		{url: "tcp://example.org", host: "example.org", err: `invalid url "tcp://example.org": missing port, want tcp://host:port`},
		{url: "tcp://:80", err: `invalid url "tcp://:80": missing host`},
		{url: "example.org:80", err: `invalid url "example.org:80": missing scheme`},
		{url: "tcp://example.org:80/path", host: "example.org", port: "80", err: `invalid url "tcp://example.org:80/path": want tcp://host:port and nothing else`},
	}
	for _, tt := range tests {
		addr, host, port, err := target.Address(tt.url)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if addr != tt.addr || host != tt.host || port != tt.port || gotErr != tt.err {
			t.Errorf("Address(%q) = %q, %q, %q, %q; want %q, %q, %q, %q", tt.url, addr, host, port, gotErr, tt.addr, tt.host, tt.port, tt.err)
		}
	}
}

func TestParseResolver(t *testing.T) {
	tests := []struct {
		in   string
		want target.ResolverAddress
		err  string
	}{
		{in: "tcp://1.1.1.1:53", want: target.ResolverAddress{Network: "tcp", Address: "1.1.1.1:53"}},
		{in: "udp://[2606:4700::1111]:5353", want: target.ResolverAddress{Network: "udp", Address: "[2606:4700::1111]:5353"}},
		{in: "udp://dns.local:53", want: target.ResolverAddress{Network: "udp", Address: "dns.local:53"}},
		{in: "1.1.1.1:53", err: `invalid dns-resolver "1.1.1.1:53": format must be {proto}://{host}:{port}`},
		{in: "http://1.1.1.1:53", err: `invalid dns-resolver "http://1.1.1.1:53": protocol must be tcp or udp`},
		{in: "tcp://1.1.1.1", err: `invalid dns-resolver "tcp://1.1.1.1": format must be {proto}://{host}:{port}`},
		{in: "tcp://1.1.1.1:0", err: `invalid dns-resolver "tcp://1.1.1.1:0": invalid port "0"`},
		{in: "tcp://1.1.1.1:70000", err: `invalid dns-resolver "tcp://1.1.1.1:70000": invalid port "70000"`},
	}
	for _, tt := range tests {
		got, err := target.ParseResolver(tt.in)
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if got != tt.want || gotErr != tt.err {
			t.Errorf("ParseResolver(%q) = %+v, %q; want %+v, %q", tt.in, got, gotErr, tt.want, tt.err)
		}
	}
}

func TestNetworkAndTransport(t *testing.T) {
	for in, want := range map[string]string{"": "ip", "ip": "ip", "ip4": "ip4", "ip6": "ip6"} {
		got, err := target.Network(&monitor.ClientOptions{Network: in})
		if err != nil || got != want {
			t.Errorf("Network(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := target.Network(&monitor.ClientOptions{Network: "tcp"}); err == nil || err.Error() != `invalid client network "tcp": must be ip, ip4 or ip6` {
		t.Errorf("Network(tcp) error = %v", err)
	}
	for _, tt := range []struct{ base, ip, want string }{{"tcp", "ip", "tcp"}, {"tcp", "ip4", "tcp4"}, {"udp", "ip6", "udp6"}} {
		if got := target.Transport(tt.base, tt.ip); got != tt.want {
			t.Errorf("Transport(%q, %q) = %q, want %q", tt.base, tt.ip, got, tt.want)
		}
	}
}

func TestResolverAndLookupIPUseTheConfiguredServer(t *testing.T) {
	dns := probetest.StartDNS(t, "app.custodes.test. 60 IN A 127.0.0.7", "app.custodes.test. 60 IN AAAA ::1")
	for _, proto := range []string{"udp", "tcp"} {
		opts := &monitor.ClientOptions{DNSResolver: proto + "://" + dns.Addr}
		r, err := target.Resolver(opts)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		ip, err := target.LookupIP(ctx, r, "ip4", "app.custodes.test")
		cancel()
		if err != nil || ip != "127.0.0.7" {
			t.Errorf("%s: LookupIP = %q, %v; want 127.0.0.7", proto, ip, err)
		}
		ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
		_, err = target.LookupIP(ctx, r, "ip", "missing.custodes.test")
		cancel()
		var dnsErr *net.DNSError
		if !errors.As(err, &dnsErr) || !dnsErr.IsNotFound {
			t.Errorf("%s: LookupIP(missing) error = %v, want not found", proto, err)
		}
	}
	if dns.Queries() == 0 {
		t.Error("the configured DNS server saw no query")
	}
	if _, err := target.LookupIP(context.Background(), net.DefaultResolver, "ip", ""); err == nil {
		t.Error("LookupIP of an empty host: no error")
	}
}

func TestDialerRestrictsTheIPFamily(t *testing.T) {
	ln := probetest.Listen(t)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	d4, err := target.NewDialer(&monitor.ClientOptions{Network: "ip4"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := d4.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port))
	if err != nil {
		t.Fatalf("ip4 dial of 127.0.0.1: %v", err)
	}
	if got := target.RemoteIP(c); got != "127.0.0.1" {
		t.Errorf("RemoteIP = %q", got)
	}
	_ = c.Close()
	d6, err := target.NewDialer(&monitor.ClientOptions{Network: "ip6"})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := d6.DialContext(ctx, "tcp", net.JoinHostPort("127.0.0.1", port)); err == nil {
		_ = c.Close()
		t.Error("ip6 dialer connected to an IPv4 address")
	}
	if _, err := target.NewDialer(&monitor.ClientOptions{DNSResolver: "bogus"}); err == nil {
		t.Error("NewDialer accepted a bad dns-resolver")
	}
}

func TestExplain(t *testing.T) {
	base := errors.New("dial tcp 10.0.0.1:80: i/o timeout")
	if got := target.Explain(context.Background(), time.Now(), base); got != base.Error() {
		t.Errorf("Explain with a live context = %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if got := target.Explain(ctx, time.Now(), base); got != base.Error()+" (check cancelled)" {
		t.Errorf("Explain after cancel = %q", got)
	}
	ctx, cancel = context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	got := target.Explain(ctx, time.Now().Add(-1500*time.Millisecond), base)
	if !strings.HasPrefix(got, base.Error()+" (timed out after 1.") || !strings.HasSuffix(got, "s)") {
		t.Errorf("Explain after the deadline = %q", got)
	}
}

func TestRounded(t *testing.T) {
	for d, want := range map[time.Duration]string{
		1234567 * time.Nanosecond:            "1ms",
		999 * time.Millisecond:               "999ms",
		10*time.Second + 42*time.Millisecond: "10s",
		2500 * time.Millisecond:              "2.5s",
	} {
		if got := target.Rounded(d); got != want {
			t.Errorf("Rounded(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWithTimeout(t *testing.T) {
	spec := &monitor.Spec{Client: monitor.ClientOptions{Timeout: 3 * time.Second}}
	ctx, cancel := target.WithTimeout(context.Background(), spec)
	d, ok := ctx.Deadline()
	cancel()
	if !ok || time.Until(d) > 3*time.Second {
		t.Errorf("no deadline or beyond the monitor's timeout: %v %v", d, ok)
	}
	parent, pcancel := context.WithTimeout(context.Background(), time.Hour)
	defer pcancel()
	ctx, cancel = target.WithTimeout(parent, spec)
	d, _ = ctx.Deadline()
	cancel()
	if time.Until(d) > 3*time.Second {
		t.Errorf("a looser deadline of the caller was kept: %v", d)
	}
	early := time.Now().Add(time.Second)
	parent, pcancel = context.WithDeadline(context.Background(), early)
	defer pcancel()
	ctx, cancel = target.WithTimeout(parent, spec)
	defer cancel()
	if d, _ := ctx.Deadline(); !d.Equal(early) {
		t.Errorf("deadline %v, want the caller's earlier %v", d, early)
	}
}

func TestInterruptOnDoneUnblocksReads(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	ctx, cancel := context.WithCancel(context.Background())
	stop := target.InterruptOnDone(ctx, a)
	defer stop()
	errc := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 1))
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("read after cancel: %v", err)
	}
}

func TestDialerSourceAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan string, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			got <- c.RemoteAddr().(*net.TCPAddr).IP.String()
			c.Close()
		}
	}()
	d, err := target.NewDialer(&monitor.ClientOptions{SourceIP: "127.0.0.7"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.DialContext(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	if ip := <-got; ip != "127.0.0.7" {
		t.Fatalf("the target saw %s, want the source address 127.0.0.7", ip)
	}
	if _, err := target.NewDialer(&monitor.ClientOptions{SourceIP: "not-an-ip"}); err == nil {
		t.Fatal("a bad source address was accepted")
	}
}
