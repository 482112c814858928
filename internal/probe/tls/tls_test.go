package tls_test

import (
	"bufio"
	"context"
	cryptotls "crypto/tls"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
	probetls "github.com/custodes/custodes/internal/probe/tls"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var notAfter = time.Date(2031, 3, 4, 5, 6, 7, 0, time.UTC)

// clock is 48h before the test certificate expires.
func clock() time.Time { return notAfter.Add(-48 * time.Hour) }

// acceptLoop serves each connection of ln with handle, one goroutine each,
// until the test ends.
func acceptLoop(t *testing.T, ln net.Listener, handle func(net.Conn)) {
	t.Helper()
	var wg sync.WaitGroup
	t.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
}

// tlsServer serves TLS with cert on 127.0.0.1, configured by conf (may be
// nil), echoing "echo:" + what it reads.
func tlsServer(t *testing.T, cert *probetest.Cert, configure func(*cryptotls.Config)) string {
	t.Helper()
	conf := &cryptotls.Config{Certificates: []cryptotls.Certificate{cert.TLS}}
	if configure != nil {
		configure(conf)
	}
	ln := probetest.Listen(t)
	acceptLoop(t, ln, func(c net.Conn) {
		tc := cryptotls.Server(c, conf)
		_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
		if tc.Handshake() != nil {
			return
		}
		buf := make([]byte, 512)
		n, err := tc.Read(buf)
		if err != nil {
			return
		}
		_, _ = tc.Write(append([]byte("echo:"), buf[:n]...))
	})
	return ln.Addr().String()
}

func probe(t *testing.T, p *probetls.Prober, spec *monitor.Spec) monitor.Observation {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return p.Probe(ctx, spec)
}

func TestTLSHandshake(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	addr := tlsServer(t, cert, nil)
	_, port, _ := net.SplitHostPort(addr)
	spec := probetest.Spec(t, monitor.KindTLS, "tls://"+addr, "[CERTIFICATE_EXPIRATION] > 24h")
	spec.Client.Insecure = true
	obs := probe(t, probetls.New().WithClock(clock), spec)
	if !obs.Connected || len(obs.Errors) != 0 {
		t.Fatalf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if obs.CertificateExpiration != 48*time.Hour {
		t.Errorf("CertificateExpiration = %v, want 48h", obs.CertificateExpiration)
	}
	if obs.Hostname != "127.0.0.1" || obs.Port != port || obs.IP != "127.0.0.1" || obs.ResponseTime <= 0 {
		t.Errorf("Hostname = %q, Port = %q, IP = %q, ResponseTime = %v", obs.Hostname, obs.Port, obs.IP, obs.ResponseTime)
	}
}

func TestUntrustedCertificateIsAnError(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	addr := tlsServer(t, cert, nil)
	obs := probe(t, probetls.New(), probetest.Spec(t, monitor.KindTLS, "tls://"+addr, "[CONNECTED] == true"))
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "certificate signed by unknown authority") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	if obs.CertificateExpiration != 0 {
		t.Errorf("CertificateExpiration = %v", obs.CertificateExpiration)
	}
}

func TestBodyOverTLS(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	addr := tlsServer(t, cert, nil)
	spec := probetest.Spec(t, monitor.KindTLS, "tls://"+addr, "[BODY] == echo:hello")
	spec.Client.Insecure = true
	spec.Body = "hello"
	obs := probe(t, probetls.New(), spec)
	if !obs.Connected || string(obs.Body) != "echo:hello" || len(obs.Errors) != 0 {
		t.Errorf("Connected = %v, Body = %q, Errors = %q", obs.Connected, obs.Body, obs.Errors)
	}
}

func TestStalledHandshakeTimesOut(t *testing.T) {
	ln := probetest.Listen(t)
	acceptLoop(t, ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	spec := probetest.Spec(t, monitor.KindTLS, "tls://"+ln.Addr().String(), "[CONNECTED] == true")
	spec.Client.Timeout = 200 * time.Millisecond
	obs := probetls.New().Probe(context.Background(), spec)
	if obs.Connected || len(obs.Errors) != 1 {
		t.Fatalf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
	want := "tls handshake with " + ln.Addr().String() + ": context deadline exceeded"
	if !strings.HasPrefix(obs.Errors[0], want) || !strings.Contains(obs.Errors[0], "(timed out after ") {
		t.Errorf("error = %q, want %q… (timed out after …)", obs.Errors[0], want)
	}
}

func TestClosedPortIsAnError(t *testing.T) {
	addr := probetest.ClosedPort(t)
	obs := probe(t, probetls.New(), probetest.Spec(t, monitor.KindTLS, "tls://"+addr))
	if obs.Connected || len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "connection refused") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestClientCertificate(t *testing.T) {
	serverCert := probetest.NewCert(t, notAfter)
	clientCert := probetest.NewCert(t, notAfter)
	addr := tlsServer(t, serverCert, func(c *cryptotls.Config) {
		c.ClientAuth = cryptotls.RequireAndVerifyClientCert
		c.ClientCAs = clientCert.Pool
	})
	spec := probetest.Spec(t, monitor.KindTLS, "tls://"+addr, "[BODY] == echo:hi")
	spec.Client.Insecure = true
	spec.Body = "hi"

	// Without a client certificate the server refuses us; with TLS 1.3 the
	// refusal arrives after the client's side of the handshake, on read.
	obs := probe(t, probetls.New(), spec)
	if len(obs.Errors) != 1 || !strings.Contains(obs.Errors[0], "certificate required") {
		t.Errorf("without client cert: Errors = %q", obs.Errors)
	}

	spec.Client.TLS = &monitor.ClientTLS{CertificateFile: clientCert.CertFile, PrivateKeyFile: clientCert.KeyFile}
	obs = probe(t, probetls.New(), spec)
	if !obs.Connected || string(obs.Body) != "echo:hi" || len(obs.Errors) != 0 {
		t.Errorf("with client cert: Connected = %v, Body = %q, Errors = %q", obs.Connected, obs.Body, obs.Errors)
	}
}

func TestClientConfig(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	tests := []struct {
		name  string
		opts  monitor.ClientOptions
		err   string
		reneg cryptotls.RenegotiationSupport
	}{
		{name: "default", opts: monitor.ClientOptions{}},
		{name: "once", opts: monitor.ClientOptions{TLS: &monitor.ClientTLS{CertificateFile: cert.CertFile, PrivateKeyFile: cert.KeyFile, Renegotiation: "once"}}, reneg: cryptotls.RenegotiateOnceAsClient},
		{name: "freely", opts: monitor.ClientOptions{TLS: &monitor.ClientTLS{CertificateFile: cert.CertFile, PrivateKeyFile: cert.KeyFile, Renegotiation: "freely"}}, reneg: cryptotls.RenegotiateFreelyAsClient},
		{name: "bad renegotiation", opts: monitor.ClientOptions{TLS: &monitor.ClientTLS{CertificateFile: cert.CertFile, PrivateKeyFile: cert.KeyFile, Renegotiation: "sometimes"}}, err: `invalid client tls renegotiation "sometimes": must be never, once or freely`},
		{name: "key missing", opts: monitor.ClientOptions{TLS: &monitor.ClientTLS{CertificateFile: cert.CertFile}}, err: "invalid client tls: certificate-file and private-key-file must both be set"},
		{name: "missing file", opts: monitor.ClientOptions{TLS: &monitor.ClientTLS{CertificateFile: cert.CertFile + ".nope", PrivateKeyFile: cert.KeyFile}}, err: "loading client certificate: open " + cert.CertFile + ".nope: no such file or directory"},
	}
	for _, tt := range tests {
		conf, err := probetls.ClientConfig(&tt.opts, "example.org")
		gotErr := ""
		if err != nil {
			gotErr = err.Error()
		}
		if gotErr != tt.err {
			t.Errorf("%s: error %q, want %q", tt.name, gotErr, tt.err)
			continue
		}
		if err == nil && (conf.Renegotiation != tt.reneg || conf.ServerName != "example.org") {
			t.Errorf("%s: Renegotiation = %v, ServerName = %q", tt.name, conf.Renegotiation, conf.ServerName)
		}
	}
}

// smtpServer is an SMTP-ish server offering STARTTLS with cert. ehlo and
// starttls are the replies to those commands (code and text).
func smtpServer(t *testing.T, cert *probetest.Cert, ehlo, starttls string) string {
	t.Helper()
	ln := probetest.Listen(t)
	acceptLoop(t, ln, func(c net.Conn) {
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		r := bufio.NewReader(c)
		_, _ = io.WriteString(c, "220 smtp.custodes.test ESMTP ready\r\n")
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"):
				_, _ = io.WriteString(c, ehlo)
			case strings.HasPrefix(cmd, "HELO"):
				_, _ = io.WriteString(c, "250 smtp.custodes.test\r\n")
			case cmd == "STARTTLS":
				_, _ = io.WriteString(c, starttls)
				if !strings.HasPrefix(starttls, "220") {
					continue
				}
				tc := cryptotls.Server(c, &cryptotls.Config{Certificates: []cryptotls.Certificate{cert.TLS}})
				if tc.Handshake() == nil {
					_, _ = io.Copy(io.Discard, tc)
				}
				return
			default:
				_, _ = io.WriteString(c, "502 5.5.2 command not recognized\r\n")
			}
		}
	})
	return ln.Addr().String()
}

func TestSTARTTLS(t *testing.T) {
	cert := probetest.NewCert(t, notAfter)
	ehloOK := "250-smtp.custodes.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n"
	tests := []struct {
		name, ehlo, starttls string
		connected            bool
		err                  string
	}{
		{name: "ehlo", ehlo: ehloOK, starttls: "220 2.0.0 go ahead\r\n", connected: true},
		{name: "helo fallback", ehlo: "502 5.5.2 no ehlo here\r\n", starttls: "220 2.0.0 go ahead\r\n", connected: true},
		{name: "refused", ehlo: ehloOK, starttls: "454 4.7.0 TLS not available\r\n", err: "smtp STARTTLS with {addr}: server replied 454 4.7.0 TLS not available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			addr := smtpServer(t, cert, tt.ehlo, tt.starttls)
			spec := probetest.Spec(t, monitor.KindSTARTTLS, "starttls://"+addr, "[CONNECTED] == true")
			spec.Client.Insecure = true
			obs := probe(t, probetls.NewSTARTTLS().WithClock(clock), spec)
			gotErr := strings.Join(obs.Errors, "; ")
			wantErr := strings.ReplaceAll(tt.err, "{addr}", addr)
			if obs.Connected != tt.connected || gotErr != wantErr {
				t.Errorf("Connected = %v, Errors = %q; want %v, %q", obs.Connected, gotErr, tt.connected, wantErr)
			}
			if tt.connected && obs.CertificateExpiration != 48*time.Hour {
				t.Errorf("CertificateExpiration = %v, want 48h", obs.CertificateExpiration)
			}
		})
	}
}

func TestSTARTTLSWithoutGreetingTimesOut(t *testing.T) {
	ln := probetest.Listen(t)
	acceptLoop(t, ln, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	spec := probetest.Spec(t, monitor.KindSTARTTLS, "starttls://"+ln.Addr().String())
	spec.Client.Timeout = 200 * time.Millisecond
	obs := probetls.NewSTARTTLS().Probe(context.Background(), spec)
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], "smtp greeting from "+ln.Addr().String()+": ") || !strings.Contains(obs.Errors[0], "timed out after") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}

func TestSTARTTLSGarbageGreeting(t *testing.T) {
	ln := probetest.Listen(t)
	acceptLoop(t, ln, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 400 Bad Request\r\n\r\n")
	})
	obs := probe(t, probetls.NewSTARTTLS(), probetest.Spec(t, monitor.KindSTARTTLS, "starttls://"+ln.Addr().String()))
	if obs.Connected || len(obs.Errors) != 1 || !strings.HasPrefix(obs.Errors[0], "smtp greeting from ") {
		t.Errorf("Connected = %v, Errors = %q", obs.Connected, obs.Errors)
	}
}
