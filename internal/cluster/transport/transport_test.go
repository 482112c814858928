package transport

import (
	"bytes"
	"crypto/ed25519"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/raft"
)

func TestDeriveCAIsDeterministic(t *testing.T) {
	k1, der1, err := DeriveCA(testSecret)
	if err != nil {
		t.Fatal(err)
	}
	k2, der2, err := DeriveCA(append([]byte(nil), testSecret...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(der1, der2) || !k1.Equal(k2) {
		t.Fatal("the same secret derived different CAs")
	}
	_, der3, err := DeriveCA([]byte("another secret, 32 bytes long!!!"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(der1, der3) {
		t.Fatal("different secrets derived the same CA")
	}
	ca, err := x509.ParseCertificate(der1)
	if err != nil {
		t.Fatal(err)
	}
	if !ca.IsCA || ca.Subject.CommonName != caSubject || ca.SerialNumber.Int64() != 1 ||
		!ca.NotBefore.Equal(caNotBefore) || !ca.NotAfter.Equal(caNotAfter) {
		t.Fatalf("CA = CN %q serial %s IsCA %v %s..%s", ca.Subject.CommonName, ca.SerialNumber, ca.IsCA, ca.NotBefore, ca.NotAfter)
	}
	if !ca.PublicKey.(ed25519.PublicKey).Equal(k1.Public()) {
		t.Fatal("CA certificate does not carry the derived key")
	}
	if err := ca.CheckSignatureFrom(ca); err != nil {
		t.Fatalf("CA is not self-signed: %v", err)
	}
	if _, _, err := DeriveCA(nil); err == nil {
		t.Fatal("empty secret accepted")
	}
}

func TestIdentity(t *testing.T) {
	a, err := NewIdentity(testSecret, "node-1")
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewIdentity(testSecret, "node-1")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.CADER, b.CADER) {
		t.Fatal("two identities of one cluster have different CAs")
	}
	if bytes.Equal(a.cert.Certificate[0], b.cert.Certificate[0]) {
		t.Fatal("two processes got the same node certificate")
	}
	leaf := a.cert.Leaf
	if leaf.Subject.CommonName != "node-1" || len(leaf.DNSNames) != 1 || leaf.DNSNames[0] != "node-1" {
		t.Fatalf("node certificate names CN %q SAN %v", leaf.Subject.CommonName, leaf.DNSNames)
	}
	if id, err := b.verifyPeer([]*x509.Certificate{leaf}, "x"); err != nil || id != "node-1" {
		t.Fatalf("verifyPeer = %q, %v", id, err)
	}
	other, err := NewIdentity([]byte("another secret, 32 bytes long!!!"), "node-2")
	if err != nil {
		t.Fatal(err)
	}
	_, err = a.verifyPeer([]*x509.Certificate{other.cert.Leaf}, "10.0.0.2:7000")
	if !errors.Is(err, ErrSecretMismatch) || !strings.Contains(err.Error(), `peer 10.0.0.2:7000 (claims node "node-2") does not share this cluster's secret`) {
		t.Fatalf("foreign certificate: %v", err)
	}
	for _, bad := range []string{"", "bad id", strings.Repeat("x", 129), "a/b"} {
		if _, err := NewIdentity(testSecret, bad); err == nil {
			t.Errorf("node id %q accepted", bad)
		}
	}
}

func TestConnectionsReachTheirServiceWithPeerIDs(t *testing.T) {
	a := listenNode(t, "a", testSecret, nil)
	b := listenNode(t, "b", testSecret, nil)
	rpcLn, err := b.Listen(KindRPC)
	if err != nil {
		t.Fatal(err)
	}
	raftLn, err := b.Listen(KindRaft)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Listen(KindRPC); err == nil {
		t.Fatal("a second listener for one kind was accepted")
	}

	for _, tc := range []struct {
		kind Kind
		ln   net.Listener
		msg  string
	}{{KindRPC, rpcLn, "to rpc"}, {KindRaft, raftLn, "to raft"}} {
		c, err := a.Dial(ctxT(t), b.Advertise(), tc.kind)
		if err != nil {
			t.Fatal(err)
		}
		if c.PeerID() != "b" || PeerID(c) != "b" || c.Kind() != tc.kind {
			t.Fatalf("dialer sees peer %q kind %s", c.PeerID(), c.Kind())
		}
		if _, err := c.Write([]byte(tc.msg)); err != nil {
			t.Fatal(err)
		}
		s, err := tc.ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		if PeerID(s) != "a" || s.(*Conn).Kind() != tc.kind {
			t.Fatalf("%s listener got peer %q kind %s", tc.kind, PeerID(s), s.(*Conn).Kind())
		}
		buf := make([]byte, len(tc.msg))
		s.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != tc.msg {
			t.Fatalf("%s listener read %q, %v", tc.kind, buf, err)
		}
		c.Close()
		s.Close()
	}
	if got := b.logs.snapshot(); len(got) != 0 {
		t.Fatalf("good connections were logged: %q", got)
	}
}

func TestWrongSecretIsRefusedBothWays(t *testing.T) {
	good := listenNode(t, "good", testSecret, nil)
	evil := listenNode(t, "evil", []byte("not the cluster secret, 32 bytes"), nil)
	for _, n := range []*testNode{good, evil} {
		if _, err := n.Listen(KindRPC); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []struct {
		name           string
		dialer, server *testNode
	}{{"outsider dials member", evil, good}, {"member dials outsider", good, evil}} {
		t.Run(dir.name, func(t *testing.T) {
			_, err := dir.dialer.Dial(ctxT(t), dir.server.Advertise(), KindRPC)
			if !errors.Is(err, ErrSecretMismatch) {
				t.Fatalf("dial: %v, want ErrSecretMismatch", err)
			}
			want := "peer " + dir.server.Advertise() + ` (claims node "` + dir.server.NodeID() + `") does not share this cluster's secret`
			if !strings.Contains(err.Error(), want) {
				t.Fatalf("dial error %q does not contain %q", err, want)
			}
			line := dir.server.logs.waitLog(t, "does not share this cluster's secret")
			if !strings.Contains(line, "rejected our certificate") || !strings.Contains(line, "peer=127.0.0.1:") {
				t.Fatalf("server log: %q", line)
			}
		})
	}
}

func TestBadClientsAreDisconnected(t *testing.T) {
	rogue, err := NewIdentity(testSecret, "rogue")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		talk func(t *testing.T, c net.Conn) net.Conn // returns the conn to read from
		log  string
	}{
		{"garbage", func(t *testing.T, c net.Conn) net.Conn {
			c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
			return c
		}, "does not look like a TLS handshake"},
		{"nothing", func(t *testing.T, c net.Conn) net.Conn { return c }, "i/o timeout"},
		{"unknown kind byte", func(t *testing.T, c net.Conn) net.Conn {
			tc := tls.Client(c, rogue.clientConfig("srv"))
			if _, err := tc.Write([]byte{'Z'}); err != nil {
				t.Fatal(err)
			}
			return tc
		}, "no service for connection unknown kind 0x5a"},
		{"reserved kind not registered", func(t *testing.T, c net.Conn) net.Conn {
			tc := tls.Client(c, rogue.clientConfig("srv"))
			if _, err := tc.Write([]byte{byte(KindSnapshot)}); err != nil {
				t.Fatal(err)
			}
			return tc
		}, "no service for connection snapshot"},
		{"handshake but no kind", func(t *testing.T, c net.Conn) net.Conn {
			tc := tls.Client(c, rogue.clientConfig("srv"))
			if err := tc.Handshake(); err != nil {
				t.Fatal(err)
			}
			return tc
		}, "sent no connection kind"},
		{"TLS without a client certificate", func(t *testing.T, c net.Conn) net.Conn {
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13})
			tc.Write([]byte{byte(KindRPC)})
			return tc
		}, "certificate"},
		{"TLS 1.2 only", func(t *testing.T, c net.Conn) net.Conn {
			tc := tls.Client(c, &tls.Config{InsecureSkipVerify: true, MaxVersion: tls.VersionTLS12})
			tc.Handshake()
			return tc
		}, "client offered only unsupported versions"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := listenNode(t, "srv", testSecret, func(c *Config) { c.HandshakeTimeout = 200 * time.Millisecond })
			if _, err := srv.Listen(KindRPC); err != nil {
				t.Fatal(err)
			}
			raw, err := net.Dial("tcp", srv.Advertise())
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			r := tc.talk(t, raw)
			r.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, err = io.ReadAll(r)
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatal("the server kept the connection open")
			}
			srv.logs.waitLog(t, tc.log)

			// The transport still serves members.
			member := listenNode(t, "member", testSecret, nil)
			c, err := member.Dial(ctxT(t), srv.Advertise(), KindRPC)
			if err != nil {
				t.Fatalf("member refused after %s: %v", tc.name, err)
			}
			c.Close()
		})
	}
}

func TestRefusalsAreLoggedOncePerPeerHost(t *testing.T) {
	srv := listenNode(t, "srv", testSecret, nil)
	for range 5 {
		c, err := net.Dial("tcp", srv.Advertise())
		if err != nil {
			t.Fatal(err)
		}
		c.Write([]byte("garbage garbage garbage"))
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		io.ReadAll(c)
		c.Close()
	}
	srv.logs.waitLog(t, "does not look like a TLS handshake")
	// Every refusal is logged before the conn closes, so all five are
	// accounted for once the last read returned.
	time.Sleep(20 * time.Millisecond)
	if got := srv.logs.snapshot(); len(got) != 1 {
		t.Fatalf("5 refusals from one host gave %d log lines: %q", len(got), got)
	}
}

func TestLogLimiter(t *testing.T) {
	l := newLogLimiter(time.Minute)
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	steps := []struct {
		key        string
		at         time.Duration
		ok         bool
		suppressed int
	}{
		{"a", 0, true, 0},
		{"a", time.Second, false, 0},
		{"b", time.Second, true, 0},
		{"a", 59 * time.Second, false, 0},
		{"a", 61 * time.Second, true, 2},
		{"a", 62 * time.Second, false, 0},
	}
	for i, s := range steps {
		ok, n := l.allow(s.key, t0.Add(s.at))
		if ok != s.ok || n != s.suppressed {
			t.Fatalf("step %d (%s at %s): allow = %v, %d; want %v, %d", i, s.key, s.at, ok, n, s.ok, s.suppressed)
		}
	}
	for i := range maxLimitKeys + 10 {
		l.allow(string(rune('A'+i%26))+strings.Repeat("x", i), t0)
	}
	if len(l.keys) > maxLimitKeys {
		t.Fatalf("limiter holds %d keys, max %d", len(l.keys), maxLimitKeys)
	}
}

func TestPendingHandshakesAreBoundedAndClosedOnClose(t *testing.T) {
	srv := listenNode(t, "srv", testSecret, func(c *Config) {
		c.MaxPendingHandshakes = 1
		c.HandshakeTimeout = time.Hour
	})
	silent, err := net.Dial("tcp", srv.Advertise())
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	// Wait until the silent conn holds the only slot.
	for i := 0; len(srv.slots) == 0; i++ {
		if i > 1000 {
			t.Fatal("the silent connection never started handshaking")
		}
		time.Sleep(5 * time.Millisecond)
	}
	second, err := net.Dial("tcp", srv.Advertise())
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(second); err != nil {
		t.Fatalf("over-limit conn: %v, want closed at once", err)
	}
	srv.logs.waitLog(t, "too many connections still handshaking (1)")

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	silent.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadAll(silent); err != nil {
		t.Fatalf("pending conn after Close: %v, want closed", err)
	}
}

func TestCloseClosesEveryConnection(t *testing.T) {
	a := listenNode(t, "a", testSecret, nil)
	b := listenNode(t, "b", testSecret, nil)
	ln, err := b.Listen(KindRPC)
	if err != nil {
		t.Fatal(err)
	}
	in, err := a.Dial(ctxT(t), b.Advertise(), KindRPC) // accepted by b
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if _, err := ln.Accept(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Listen(KindRPC); err != nil {
		t.Fatal(err)
	}
	out, err := b.Dial(ctxT(t), a.Advertise(), KindRPC) // dialed by b
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	queued, err := a.Dial(ctxT(t), b.Advertise(), KindRPC) // delivered, never accepted
	if err != nil {
		t.Fatal(err)
	}
	defer queued.Close()

	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]net.Conn{"accepted": in, "queued": queued} {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := c.Read(make([]byte, 1))
		var ne net.Error
		if err == nil || errors.As(err, &ne) && ne.Timeout() {
			t.Fatalf("%s conn after the peer closed: %v, want EOF or reset", name, err)
		}
	}
	if _, err := out.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write on b's own dialed conn after Close: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept after Close: %v", err)
	}
	if _, err := b.Listen(KindRaft); !errors.Is(err, ErrClosed) {
		t.Fatalf("Listen after Close: %v", err)
	}
	if _, err := b.Dial(ctxT(t), a.Advertise(), KindRPC); !errors.Is(err, ErrClosed) {
		t.Fatalf("Dial after Close: %v", err)
	}
	if _, err := a.Dial(ctxT(t), b.Advertise(), KindRPC); err == nil {
		t.Fatal("dialing a closed transport succeeded")
	}
	if err := b.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestAdvertise(t *testing.T) {
	if _, err := Listen(Config{NodeID: "a", Secret: testSecret, Bind: "0.0.0.0:0"}); err == nil || !strings.Contains(err.Error(), "cluster.advertise is required") {
		t.Fatalf("wildcard bind without advertise: %v", err)
	}
	for _, bad := range []string{"nohost", "host:0", "host:http", ":7000"} {
		if _, err := Listen(Config{NodeID: "a", Secret: testSecret, Bind: "127.0.0.1:0", Advertise: bad}); err == nil {
			t.Errorf("advertise %q accepted", bad)
		}
	}
	n := listenNode(t, "a", testSecret, func(c *Config) { c.Bind = "0.0.0.0:0"; c.Advertise = "node-a.example:7000" })
	if n.Advertise() != "node-a.example:7000" {
		t.Fatalf("Advertise = %q", n.Advertise())
	}
	if _, err := Listen(Config{NodeID: "a", Secret: testSecret}); err == nil {
		t.Fatal("no bind address accepted")
	}
}

func TestRaftDialToAForeignNodeIsLoggedOnTheDialingSide(t *testing.T) {
	member := listenNode(t, "member", testSecret, nil)
	foreign := listenNode(t, "foreign", []byte("not the cluster secret, 32 bytes"), nil)
	stream, err := member.RaftStream()
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()
	for range 3 {
		if _, err := stream.Dial(raft.ServerAddress(foreign.Advertise()), 10*time.Second); !errors.Is(err, ErrSecretMismatch) {
			t.Fatalf("raft dial to a foreign node: %v", err)
		}
	}
	line := member.logs.waitLog(t, "cannot reach a peer for raft")
	if !strings.Contains(line, `does not share this cluster's secret`) {
		t.Fatalf("dial-side log: %q", line)
	}
	if n := len(member.logs.snapshot()); n != 1 {
		t.Fatalf("3 failed dials gave %d log lines, want 1 (rate-limited)", n)
	}
	foreign.logs.waitLog(t, "does not share this cluster's secret")
}

func TestCloseAbortsADialStuckInTheHandshake(t *testing.T) {
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := mute.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	a := listenNode(t, "a", testSecret, func(c *Config) { c.HandshakeTimeout = time.Hour })
	errc := make(chan error, 1)
	go func() {
		_, err := a.Dial(ctxT(t), mute.Addr().String(), KindRPC)
		errc <- err
	}()
	peer := <-accepted // the TCP connection is up; the handshake hangs
	defer peer.Close()
	for i := 0; ; i++ {
		a.mu.Lock()
		n := len(a.pending)
		a.mu.Unlock()
		if n == 1 {
			break
		}
		if i > 1000 {
			t.Fatal("the dial never reached the handshake")
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.Close()
	if err := <-errc; err == nil || !strings.Contains(err.Error(), "TLS handshake with") {
		t.Fatalf("dial cut by Close: %v", err)
	}
}
