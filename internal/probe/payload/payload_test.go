package payload_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"go.uber.org/goleak"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/payload"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func spec(body string) *monitor.Spec {
	return &monitor.Spec{Name: "api", Group: "core", URL: "https://example.org/graphql", Body: body}
}

func TestBodyFixedPlaceholders(t *testing.T) {
	tests := []struct{ body, want string }{
		{"", ""},
		{"plain", "plain"},
		{`{"name":"[ENDPOINT_NAME]","group":"[ENDPOINT_GROUP]","url":"[ENDPOINT_URL]"}`, `{"name":"api","group":"core","url":"https://example.org/graphql"}`},
		{"[ENDPOINT_NAME][ENDPOINT_NAME]", "apiapi"},
		{"[endpoint_name] [ENDPOINT_NAME", "[endpoint_name] [ENDPOINT_NAME"},
		{"[RANDOM_STRING_] [RANDOM_STRING_x] [RANDOM_STRING_3", "[RANDOM_STRING_] [RANDOM_STRING_x] [RANDOM_STRING_3"},
		{"[RANDOM_STRING_0]", ""},
		{"a[[RANDOM_STRING_0]]b", "a[]b"},
	}
	for _, tt := range tests {
		if got := payload.Body(spec(tt.body)); got != tt.want {
			t.Errorf("Body(%q) = %q, want %q", tt.body, got, tt.want)
		}
	}
}

func TestBodyRandomStrings(t *testing.T) {
	alnum := regexp.MustCompile(`^[a-zA-Z0-9]*$`)
	tests := []struct {
		body           string
		prefix, suffix string
		n              int
	}{
		{"id=[RANDOM_STRING_16]&x", "id=", "&x", 16},
		{"[RANDOM_STRING_1]", "", "", 1},
		{"[RANDOM_STRING_8192]", "", "", 8192},
		{"[RANDOM_STRING_8193]", "", "", payload.MaxRandomString},
		{"[RANDOM_STRING_99999999999999999999]!", "", "!", payload.MaxRandomString},
	}
	for _, tt := range tests {
		got := payload.Body(spec(tt.body))
		mid, ok := strings.CutPrefix(got, tt.prefix)
		if ok {
			mid, ok = strings.CutSuffix(mid, tt.suffix)
		}
		if !ok || len(mid) != tt.n || !alnum.MatchString(mid) {
			t.Errorf("Body(%q) = %q (len %d), want %q + %d letters and digits + %q", tt.body, got, len(got), tt.prefix, tt.n, tt.suffix)
		}
	}
	a, b := payload.Body(spec("[RANDOM_STRING_32]")), payload.Body(spec("[RANDOM_STRING_32]"))
	if a == b {
		t.Errorf("two random strings are equal: %q", a)
	}
	two := payload.Body(spec("[RANDOM_STRING_4]-[RANDOM_STRING_5]"))
	if len(two) != 10 || two[4] != '-' {
		t.Errorf("two placeholders: %q", two)
	}
}

func FuzzBody(f *testing.F) {
	for _, s := range []string{"", "[RANDOM_STRING_10]", "[ENDPOINT_NAME]", "[[RANDOM_STRING_", "[RANDOM_STRING_12x]", "x[RANDOM_STRING_9999999]y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := payload.Body(spec(body))
		// Each placeholder grows the body by at most MaxRandomString.
		if limit := len(body) + strings.Count(body, "[")*(payload.MaxRandomString+len("https://example.org/graphql")); len(got) > limit {
			t.Fatalf("Body grew from %d to %d bytes", len(body), len(got))
		}
		if !strings.Contains(body, "[") && got != body {
			t.Fatalf("Body changed a body without placeholders: %q -> %q", body, got)
		}
		if utf8.ValidString(body) && !utf8.ValidString(got) {
			t.Fatalf("Body broke UTF-8: %q -> %q", body, got)
		}
	})
}

func TestWithLocalAddress(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4242}
	if got := payload.WithLocalAddress("from [LOCAL_ADDRESS]!", addr); got != "from 127.0.0.1:4242!" {
		t.Errorf("got %q", got)
	}
	if got := payload.WithLocalAddress("no placeholder", addr); got != "no placeholder" {
		t.Errorf("got %q", got)
	}
	if got := payload.WithLocalAddress("[LOCAL_ADDRESS]", nil); got != "[LOCAL_ADDRESS]" {
		t.Errorf("got %q", got)
	}
}

// pair returns both ends of a real loopback TCP connection.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	if server == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { _ = client.Close(); _ = server.Close() })
	return client, server
}

func TestExchange(t *testing.T) {
	client, server := pair(t)
	got := make(chan string, 1)
	go func() {
		buf := make([]byte, 100)
		n, _ := server.Read(buf)
		got <- string(buf[:n])
		_, _ = server.Write([]byte(strings.Repeat("x", 3000)))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	reply, err := payload.Exchange(ctx, client, "hello from [LOCAL_ADDRESS]")
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello from " + client.LocalAddr().String(); <-got != want {
		t.Errorf("server got something else than %q", want)
	}
	if len(reply) == 0 || len(reply) > payload.MaxReply || strings.Trim(string(reply), "x") != "" {
		t.Errorf("reply of %d bytes, want 1..%d x's", len(reply), payload.MaxReply)
	}
}

func TestExchangeWithoutReply(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		client, server := pair(t)
		go func() {
			_, _ = server.Read(make([]byte, 10))
			_ = server.Close()
		}()
		_, err := payload.Exchange(context.Background(), client, "ping")
		if err == nil || err.Error() != "reading reply: connection closed without a reply" {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		client, _ := pair(t)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, err := payload.Exchange(ctx, client, "ping")
		if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), "reading reply: context deadline exceeded") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		client, _ := pair(t)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(20*time.Millisecond, cancel)
		_, err := payload.Exchange(ctx, client, "ping")
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
	})
}
