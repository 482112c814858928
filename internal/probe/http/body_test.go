package http_test

import (
	"bytes"
	"context"
	"io"
	nethttp "net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/monitor/condition"
	probehttp "github.com/custodes/custodes/internal/probe/http"
	"github.com/custodes/custodes/internal/probe/internal/probetest"
)

func TestBodyIsReadOnlyWhenAConditionReadsIt(t *testing.T) {
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		_, _ = io.WriteString(w, `{"status":"UP"}`)
	})
	p := newProber(t, probehttp.Options{})
	obs := probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL, "[BODY].status == UP"))
	if string(obs.Body) != `{"status":"UP"}` || len(obs.Errors) != 0 {
		t.Errorf("with [BODY]: Body = %q, Errors = %q", obs.Body, obs.Errors)
	}
	obs = probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL, "[STATUS] == 200"))
	if obs.Body != nil || obs.Status != 200 {
		t.Errorf("without [BODY]: Body = %q, Status = %d", obs.Body, obs.Status)
	}
}

// endless serves a body of n bytes (announced in Content-Length when
// announce is set), written lazily until the client goes away.
func endless(n int64, announce bool) nethttp.HandlerFunc {
	return func(w nethttp.ResponseWriter, r *nethttp.Request) {
		if announce {
			w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
		}
		chunk := bytes.Repeat([]byte("0123456789abcdef"), 2048)
		for sent := int64(0); sent < n; sent += int64(len(chunk)) {
			if _, err := w.Write(chunk[:min(int64(len(chunk)), n-sent)]); err != nil {
				return
			}
		}
	}
}

func TestGigabyteBody(t *testing.T) {
	for _, announce := range []bool{true, false} {
		srv := server(t, endless(1<<30, announce))
		p := newProber(t, probehttp.Options{})
		obs := probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL, "[BODY] == x"))
		if obs.Status != 200 || len(obs.Body) != probehttp.DefaultMaxBodyBytes || len(obs.Errors) != 1 || obs.Errors[0] != "response body exceeds the 1 MiB limit" {
			t.Errorf("announced %v, body needed: Status = %d, Body of %d bytes, Errors = %q", announce, obs.Status, len(obs.Body), obs.Errors)
		}
		obs = probe(t, p, probetest.Spec(t, monitor.KindHTTP, srv.URL, "[STATUS] == 200"))
		if obs.Status != 200 || obs.Body != nil || len(obs.Errors) != 0 {
			t.Errorf("announced %v, body not needed: Status = %d, Body of %d bytes, Errors = %q", announce, obs.Status, len(obs.Body), obs.Errors)
		}
	}
}

func TestBodyLimit(t *testing.T) {
	const limit = 1000
	for _, size := range []int64{0, 1, limit - 1, limit, limit + 1, 5 * limit} {
		srv := server(t, endless(size, size%2 == 0))
		p := newProber(t, probehttp.Options{MaxBodyBytes: limit})
		obs := p.ProbeWithNeeds(context.Background(), probetest.Spec(t, monitor.KindHTTP, srv.URL), condition.Needs{Body: true})
		wantLen, wantErrs := size, 0
		if size > limit {
			wantLen, wantErrs = limit, 1
		}
		if int64(len(obs.Body)) != wantLen || len(obs.Errors) != wantErrs {
			t.Errorf("body of %d bytes: kept %d, Errors = %q; want %d bytes and %d errors", size, len(obs.Body), obs.Errors, wantLen, wantErrs)
		}
		if wantErrs == 1 && obs.Errors[0] != "response body exceeds the 1000 bytes limit" {
			t.Errorf("error = %q", obs.Errors[0])
		}
	}
}

func TestSlowBody(t *testing.T) {
	abandoned := make(chan struct{}, 4)
	srv := server(t, func(w nethttp.ResponseWriter, r *nethttp.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "first bytes")
		w.(nethttp.Flusher).Flush()
		<-r.Context().Done()
		abandoned <- struct{}{}
	})
	p := newProber(t, probehttp.Options{})

	// Not needed: the check ends without waiting for the rest, and gives
	// the connection up rather than keeping it.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	obs := p.Probe(ctx, probetest.Spec(t, monitor.KindHTTP, srv.URL, "[STATUS] == 200"))
	if obs.Status != 200 || len(obs.Errors) != 0 {
		t.Errorf("not needed: Status = %d, Errors = %q", obs.Status, obs.Errors)
	}
	<-abandoned

	// Needed: reading it is bounded by the deadline and reported.
	spec := probetest.Spec(t, monitor.KindHTTP, srv.URL, "[BODY] == x")
	spec.Client.Timeout = 200 * time.Millisecond
	obs = p.Probe(context.Background(), spec)
	if obs.Status != 200 || string(obs.Body) != "first bytes" || len(obs.Errors) != 1 ||
		!strings.HasPrefix(obs.Errors[0], "error reading response body: ") || !strings.Contains(obs.Errors[0], "(timed out after ") {
		t.Errorf("needed: Status = %d, Body = %q, Errors = %q", obs.Status, obs.Body, obs.Errors)
	}
	<-abandoned
}

func TestSize(t *testing.T) {
	for n, want := range map[int64]string{1 << 20: "1 MiB", 512 << 10: "512 KiB", 3 << 30: "3 GiB", 1000: "1000 bytes", 1536 << 10: "1536 KiB", 1: "1 bytes"} {
		if got := probehttp.Size(n); got != want {
			t.Errorf("Size(%d) = %q, want %q", n, got, want)
		}
	}
}
