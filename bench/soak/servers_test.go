package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// clientFrom is an HTTP client whose requests leave from ip.
func clientFrom(ip string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

func status(t *testing.T, c *http.Client, url string) int {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func TestTargetFailsPerPathAndSource(t *testing.T) {
	log := newEventLog(time.Now(), nil)
	tg, err := newTarget("127.0.0.1", log)
	if err != nil {
		t.Fatal(err)
	}
	defer tg.close()
	one, two := clientFrom("127.0.0.1"), clientFrom("127.0.0.2")
	steps := []struct {
		path, ip string
		failing  bool
		want1    int // from 127.0.0.1
		want2    int // from 127.0.0.2
	}{
		{"/m/0", "", false, 200, 200},
		{"/m/0", "", true, 500, 500},
		{"/m/0", "", false, 200, 200},
		{"/m/0", "127.0.0.2", true, 200, 500},
		{"/m/1", "", true, 200, 500}, // another path fails; /m/0 still only from .2
		{"/m/0", "127.0.0.2", false, 200, 200},
	}
	for i, s := range steps {
		tg.set(s.path, s.ip, s.failing)
		if got1, got2 := status(t, one, tg.url("/m/0")), status(t, two, tg.url("/m/0")); got1 != s.want1 || got2 != s.want2 {
			t.Fatalf("step %d: /m/0 answers %d from .1 and %d from .2, want %d and %d", i, got1, got2, s.want1, s.want2)
		}
	}
	if got := tg.checksOf("/m/0"); got["127.0.0.1"] != 6 || got["127.0.0.2"] != 6 {
		t.Fatalf("checks per source %v, want 6 each", got)
	}
	if got := tg.failuresOf("/m/0"); got != 4 {
		t.Fatalf("%d failing answers, want 4", got)
	}
	if got := byNode(tg.checksOf("/m/0"), loopbackLab(3)); got["n1"] != 6 || got["n2"] != 6 || len(got) != 2 {
		t.Fatalf("checks per node %v", got)
	}
	var seq []string
	for _, h := range tg.hitsOf("/m/0", -time.Hour, time.Hour) {
		mark := "ok"
		if h.Failing {
			mark = "FAIL"
		}
		seq = append(seq, strings.TrimPrefix(h.IP, "127.0.0.")+":"+mark)
	}
	if got, want := strings.Join(seq, " "), "1:ok 2:ok 1:FAIL 2:FAIL 1:ok 2:ok 1:ok 2:FAIL 1:ok 2:FAIL 1:ok 2:ok"; got != want {
		t.Fatalf("hits %s, want %s", got, want)
	}
	// Checks before the schedule's time zero do not count for coverage.
	tg.restartClock(func() time.Duration { return log.since() + time.Second })
	status(t, one, tg.url("/m/0"))
	if got := tg.checksSince("/m/0", 0); got["127.0.0.1"] != 1 || len(got) != 1 {
		t.Fatalf("checks since time zero %v, want one from 127.0.0.1", got)
	}
}

func TestSinkRecordsDeliveries(t *testing.T) {
	log := newEventLog(time.Now(), nil)
	sk, err := newSink("127.0.0.1", log)
	if err != nil {
		t.Fatal(err)
	}
	defer sk.close()
	c := clientFrom("127.0.0.1")
	post := func(key, body string) int {
		req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, sk.url(), strings.NewReader(body))
		req.Header.Set("Idempotency-Key", key)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	body := `{"event":"triggered","idempotency_key":"soak_m0#1/triggered/webhook","monitor":{"key":"soak_m0"},
		"incident":{"id":"soak_m0#1"},"sent_by":"n2","degraded":false}`
	if code := post("soak_m0#1/triggered/webhook", body); code != 200 {
		t.Fatalf("webhook answered %d", code)
	}
	if code := post("x", "not json"); code != 400 {
		t.Fatalf("a bad body answered %d, want 400", code)
	}
	if n := sk.malformed(); n != 1 {
		t.Fatalf("%d malformed webhooks counted, want 1", n)
	}
	got := sk.deliveries()
	if len(got) != 1 {
		t.Fatalf("%d deliveries recorded, want 1", len(got))
	}
	d := got[0]
	d.At = 0
	want := delivery{Key: "soak_m0#1/triggered/webhook", PayloadKey: "soak_m0#1/triggered/webhook", Event: "triggered",
		Monitor: "soak_m0", Incident: "soak_m0#1", SentBy: "n2"}
	if d != want {
		t.Fatalf("delivery %+v, want %+v", d, want)
	}
	// Moving time zero moves the recorded deliveries and events with it.
	before := sk.deliveries()[0].At
	sk.restartClock(time.Now().Add(time.Hour))
	if after := sk.deliveries()[0].At; after > before-59*time.Minute {
		t.Fatalf("delivery at %s after moving time zero an hour on, was %s", after, before)
	}
	if ev := log.all(); len(ev) != 2 || ev[0].At > -59*time.Minute {
		t.Fatalf("events %v", ev)
	}
}
