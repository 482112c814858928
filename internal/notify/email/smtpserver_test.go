package email

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// session is what the test SMTP server saw in one connection.
type session struct {
	EHLO     string
	TLS      bool
	AuthMech string
	User     string
	Password string
	From     string
	To       []string
	Data     string
}

// smtpServer is a minimal SMTP server on loopback, enough for net/smtp:
// EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, QUIT.
type smtpServer struct {
	Addr string
	Port int

	ln       net.Listener
	host     string // loopback address to listen on (default 127.0.0.1)
	tls      *tls.Config
	implicit bool   // TLS from the first byte
	startTLS bool   // offer STARTTLS
	auth     string // AUTH mechanisms offered ("" for none)
	hang     bool   // accept, never greet
	rcpt     string // reply to RCPT (default "250 OK")
	wg       sync.WaitGroup
	mu       sync.Mutex
	sessions []session
	conns    []net.Conn
	closed   bool
}

// testCert is a self-signed certificate for 127.0.0.1.
var testCert = func() tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "custodes test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}()

func newSMTPServer(t *testing.T, configure func(*smtpServer)) *smtpServer {
	t.Helper()
	s := &smtpServer{host: "127.0.0.1", tls: &tls.Config{Certificates: []tls.Certificate{testCert}}, rcpt: "250 OK"}
	if configure != nil {
		configure(s)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(s.host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.Addr = ln.Addr().String()
	s.Port = ln.Addr().(*net.TCPAddr).Port
	s.wg.Add(1)
	go s.accept()
	t.Cleanup(s.close)
	return s
}

func (s *smtpServer) close() {
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.ln.Close()
	s.wg.Wait()
}

func (s *smtpServer) Sessions() []session {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]session(nil), s.sessions...)
}

func (s *smtpServer) accept() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns = append(s.conns, c)
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.serve(c)
		}()
	}
}

func (s *smtpServer) serve(c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(10 * time.Second)) // bounds a stuck test
	var sess session
	// Recorded before answering QUIT, so a client that got its answer finds
	// the session; or at the end for sessions that break off.
	record := sync.OnceFunc(func() {
		s.mu.Lock()
		s.sessions = append(s.sessions, sess)
		s.mu.Unlock()
	})
	defer record()
	if s.hang {
		_, _ = c.Read(make([]byte, 1)) // until the client gives up
		return
	}
	if s.implicit {
		tc := tls.Server(c, s.tls)
		if tc.Handshake() != nil {
			return
		}
		c, sess.TLS = tc, true
	}
	r := bufio.NewReader(c)
	reply := func(lines ...string) bool {
		_, err := c.Write([]byte(strings.Join(lines, "\r\n") + "\r\n"))
		return err == nil
	}
	readLine := func() (string, bool) {
		line, err := r.ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err == nil
	}
	if !reply("220 test ESMTP") {
		return
	}
	for range 100 { // bounded: a session is a handful of commands
		line, ok := readLine()
		if !ok {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			sess.EHLO = arg
			lines := []string{"250-test"}
			if s.startTLS && !sess.TLS {
				lines = append(lines, "250-STARTTLS")
			}
			if s.auth != "" {
				lines = append(lines, "250-AUTH "+s.auth)
			}
			reply(append(lines, "250 8BITMIME")...)
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, sess.TLS = tc, true
			r = bufio.NewReader(c)
		case "AUTH":
			mech, initial, _ := strings.Cut(arg, " ")
			sess.AuthMech = mech
			switch mech {
			case "PLAIN":
				raw, _ := base64.StdEncoding.DecodeString(initial)
				parts := strings.Split(string(raw), "\x00")
				if len(parts) == 3 {
					sess.User, sess.Password = parts[1], parts[2]
				}
			case "LOGIN":
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Username:")))
				u, _ := readLine()
				reply("334 " + base64.StdEncoding.EncodeToString([]byte("Password:")))
				p, _ := readLine()
				user, _ := base64.StdEncoding.DecodeString(u)
				pass, _ := base64.StdEncoding.DecodeString(p)
				sess.User, sess.Password = string(user), string(pass)
			}
			if sess.Password == "wrong" {
				reply("535 5.7.8 authentication failed")
				continue
			}
			reply("235 2.7.0 authenticated")
		case "MAIL":
			sess.From = strings.TrimSuffix(strings.TrimPrefix(arg, "FROM:<"), ">")
			sess.From, _, _ = strings.Cut(sess.From, "> ")
			reply("250 OK")
		case "RCPT":
			if strings.HasPrefix(s.rcpt, "250") {
				sess.To = append(sess.To, strings.TrimSuffix(strings.TrimPrefix(arg, "TO:<"), ">"))
			}
			reply(s.rcpt)
		case "DATA":
			reply("354 end with .")
			var data strings.Builder
			for {
				l, ok := readLine()
				if !ok {
					return
				}
				if l == "." {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".") + "\n")
			}
			sess.Data = data.String()
			reply("250 queued")
		case "QUIT":
			record()
			reply("221 bye")
			return
		case "RSET", "NOOP":
			reply("250 OK")
		default:
			reply("502 unknown command")
		}
	}
}
