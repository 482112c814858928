package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// singleNode writes a one-node config checking target paths every second,
// alerting through the sink's webhook, and starts it.
func singleNode(t *testing.T, dir string, tg *target, sk *sink, extra string) *node {
	t.Helper()
	port := freePort(t, "127.0.0.1")
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := fmt.Sprintf(`node:
  id: solo
  data-dir: ./data
web:
  address: 127.0.0.1
  port: %d
security:
  admin-token: e2e-admin-token-0123456789
alerting:
  webhook:
    url: %s
    default-alert:
      failure-threshold: 2
      success-threshold: 2
      send-on-resolved: true
endpoints:
  - name: api
    group: core
    url: %s
    interval: 1s
    conditions: ["[STATUS] == 200"]
    alerts: [{type: webhook}]
%s`, port, sk.url(), tg.url("/api"), extra)
	n := startNode(t, "solo", dir, addr, cfg)
	n.waitReady(30 * time.Second)
	return n
}

func TestSingleNodeTriggeredAndResolvedOnce(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	n := singleNode(t, "", tg, sk, "")
	defer n.dumpOnFailure()

	eventually(t, 10*time.Second, "the first checks", func() bool { return tg.hitCount("/api") >= 2 })
	flipped := time.Now()
	tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "triggered", func() bool { return len(sk.accepted("triggered")) == 1 })
	trig := sk.accepted("triggered")[0]
	t.Logf("detection: flip -> webhook in %s (interval 1s, failure-threshold 2)", trig.At.Sub(flipped).Round(time.Millisecond))
	if trig.Key != "core_api#1/triggered/webhook" || trig.Monitor.Key != "core_api" || trig.SentBy != "solo" {
		t.Fatalf("triggered delivery %+v", trig)
	}
	tg.setFail("/api", 0)
	eventually(t, 20*time.Second, "resolved", func() bool { return len(sk.accepted("resolved")) == 1 })
	time.Sleep(3 * time.Second) // nothing more may arrive
	if got := sk.perKey(); len(got) != 2 || got["core_api#1/triggered/webhook"] != 1 || got["core_api#1/resolved/webhook"] != 1 {
		t.Fatalf("deliveries per key: %v; want exactly one triggered and one resolved", got)
	}

	// The history and the Gatus-compatible API saw it all.
	code, body := n.get("/api/v1/endpoints/core_api/statuses")
	if code != 200 {
		t.Fatalf("statuses: %d %s", code, body)
	}
	var st struct {
		Results []struct {
			Success bool `json:"success"`
			Status  int  `json:"status"`
		} `json:"results"`
		Events []struct {
			Type string `json:"type"`
		} `json:"events"`
	}
	json.Unmarshal(body, &st)
	var ok, failed int
	for _, r := range st.Results {
		if r.Success {
			ok++
		} else if r.Status == 500 {
			failed++
		}
	}
	if ok == 0 || failed < 2 {
		t.Fatalf("results: %d ok, %d failed with 500; want both kinds", ok, failed)
	}
	var types []string
	for _, e := range st.Events {
		types = append(types, e.Type)
	}
	if strings.Join(types, ",") != "START,HEALTHY,UNHEALTHY,HEALTHY" {
		t.Fatalf("events %v", types)
	}
}

func TestSingleNodeReceiverDownFor15s(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	n := singleNode(t, "", tg, sk, "")
	defer n.dumpOnFailure()
	eventually(t, 10*time.Second, "the first checks", func() bool { return tg.hitCount("/api") >= 1 })
	sk.setStatus(500)
	tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "a refused delivery", func() bool { return sk.received() > 0 })
	time.Sleep(15 * time.Second)
	sk.setStatus(200)
	eventually(t, 90*time.Second, "the delivery after the receiver recovered", func() bool { return len(sk.accepted("triggered")) == 1 })
	time.Sleep(3 * time.Second)
	if got := len(sk.accepted("")); got != 1 {
		t.Fatalf("%d accepted deliveries, want exactly 1", got)
	}
	// The failed attempts are visible in the delivery log.
	_, body := n.get("/api/v1/notifications")
	var log struct {
		Delivered []struct {
			Key      string `json:"key"`
			Attempts int    `json:"attempts"`
		} `json:"delivered"`
	}
	json.Unmarshal(body, &log)
	if len(log.Delivered) != 1 || log.Delivered[0].Attempts < 2 {
		t.Fatalf("delivery log %s", body)
	}
}

func TestSingleNodeKilledRightAfterTheReceiverAccepted(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	dir := t.TempDir()
	n := singleNode(t, dir, tg, sk, "")
	defer n.dumpOnFailure()
	killed := make(chan struct{})
	sk.setOnAccept(func(d delivery) {
		if d.Event == "triggered" {
			sk.setOnAccept(nil)
			n.cmd.Process.Kill() // before it can record the delivery
			close(killed)
		}
	})
	eventually(t, 10*time.Second, "the first checks", func() bool { return tg.hitCount("/api") >= 1 })
	tg.setFail("/api", 500)
	select {
	case <-killed:
	case <-time.After(30 * time.Second):
		t.Fatal("no triggered delivery to kill after")
	}
	<-n.done
	n.restart()
	n.waitReady(30 * time.Second)
	time.Sleep(5 * time.Second)
	per := sk.perKey()
	if c := per["core_api#1/triggered/webhook"]; c < 1 || c > 2 {
		t.Fatalf("the triggered key was delivered %d times; want 1 or 2 (at least once, re-sent at most once)", c)
	}
	if len(per) != 1 {
		t.Fatalf("deliveries %v: a new incident was opened by the restart", per)
	}
	tg.setFail("/api", 0)
	eventually(t, 20*time.Second, "resolved", func() bool { return len(sk.accepted("resolved")) == 1 })
}

func TestSingleNodeRestartKeepsIncidentAndNotifiesRecoveryWhileDown(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	dir := t.TempDir()
	n := singleNode(t, dir, tg, sk, "")
	defer n.dumpOnFailure()
	eventually(t, 10*time.Second, "the first checks", func() bool { return tg.hitCount("/api") >= 1 })
	tg.setFail("/api", 500)
	eventually(t, 20*time.Second, "triggered", func() bool { return len(sk.accepted("triggered")) == 1 })

	// Restart during the incident: no second triggered.
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.restart()
	n.waitReady(30 * time.Second)
	time.Sleep(5 * time.Second)
	if got := len(sk.accepted("triggered")); got != 1 {
		t.Fatalf("%d triggered after a restart during the incident, want still 1", got)
	}

	// The target recovers while the node is down: resolved after restart.
	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	tg.setFail("/api", 0)
	time.Sleep(2 * time.Second)
	n.restart()
	n.waitReady(30 * time.Second)
	eventually(t, 20*time.Second, "the resolved after the restart", func() bool { return len(sk.accepted("resolved")) == 1 })
	time.Sleep(2 * time.Second)
	if got := sk.perKey(); len(got) != 2 {
		t.Fatalf("deliveries %v, want one triggered and one resolved", got)
	}
}

func TestSingleNodeHotReloadAndRestartKeepHistory(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	dir := t.TempDir()
	n := singleNode(t, dir, tg, sk, "")
	defer n.dumpOnFailure()
	eventually(t, 15*time.Second, "results stored", func() bool {
		_, b := n.get("/api/v1/endpoints/core_api/statuses")
		return strings.Count(string(b), `"success":true`) >= 3
	})
	// Add a monitor by editing the file.
	cfg, _ := os.ReadFile(n.config)
	added := string(cfg) + fmt.Sprintf(`  - name: web
    group: core
    url: %s
    interval: 1s
    conditions: ["[STATUS] == 200"]
`, tg.url("/web"))
	if err := os.WriteFile(n.config, []byte(added), 0o600); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the new monitor checked", func() bool { return tg.hitCount("/web") >= 2 })
	_, before := n.get("/api/v1/endpoints/core_api/statuses")
	// A broken edit keeps the running config.
	os.WriteFile(n.config, []byte(added+"  - name: [broken\n"), 0o600)
	time.Sleep(4 * time.Second)
	hits := tg.hitCount("/web")
	time.Sleep(2 * time.Second)
	if tg.hitCount("/web") <= hits {
		t.Fatal("a broken config edit stopped the checks")
	}
	if !strings.Contains(n.logs(), "config changed but does not load") {
		t.Fatal("the broken edit was not reported")
	}
	os.WriteFile(n.config, []byte(added), 0o600)

	if err := n.stop(); err != nil {
		t.Fatal(err)
	}
	n.restart()
	n.waitReady(30 * time.Second)
	_, after := n.get("/api/v1/endpoints/core_api/statuses")
	var b, a struct {
		Results []struct {
			Timestamp time.Time `json:"timestamp"`
		} `json:"results"`
	}
	json.Unmarshal(before, &b)
	json.Unmarshal(after, &a)
	if len(b.Results) == 0 || len(a.Results) < len(b.Results) {
		t.Fatalf("%d results before the restart, %d after", len(b.Results), len(a.Results))
	}
	seen := map[time.Time]bool{}
	for _, r := range a.Results {
		seen[r.Timestamp] = true
	}
	for _, r := range b.Results {
		if !seen[r.Timestamp] {
			t.Fatalf("result at %s lost across the restart", r.Timestamp)
		}
	}
}

func TestSingleNodePushChecksAndAPI(t *testing.T) {
	t.Parallel()
	tg, sk := newTarget(t), newSink(t)
	n := singleNode(t, "", tg, sk, `push-endpoints:
  - name: backup
    group: jobs
    token: backup-job-token
    period: 1h
    grace: 1m
    alerts: [{type: webhook, failure-threshold: 1, success-threshold: 1}]
`)
	defer n.dumpOnFailure()
	post := func(path, body string) int {
		resp, err := http.Post("http://"+n.apiAddr+path, "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{
		"/ping/unknown-token":           404,
		"/ping/backup-job-token/256":    400,
		"/ping/backup-job-token/-1":     400,
		"/ping/backup-job-token?rid=xx": 400,
	} {
		if got := post(path, ""); got != want {
			t.Errorf("POST %s: %d, want %d", path, got, want)
		}
	}
	if len(sk.accepted("")) != 0 {
		t.Fatal("rejected pings changed state")
	}
	if got := post("/ping/backup-job-token/start", ""); got != 200 {
		t.Fatalf("start ping: %d", got)
	}
	if got := post("/ping/backup-job-token/1", "disk full"); got != 200 {
		t.Fatalf("exit-status ping: %d", got)
	}
	eventually(t, 10*time.Second, "triggered by the failed run", func() bool { return len(sk.accepted("triggered")) == 1 })
	if got := post("/ping/backup-job-token", ""); got != 200 {
		t.Fatalf("success ping: %d", got)
	}
	eventually(t, 10*time.Second, "resolved by the successful run", func() bool { return len(sk.accepted("resolved")) == 1 })
}

func TestValidateCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("endpoints:\n  - name: a\n    url: http://x/\n    interval: 5x\n    conditions: [\"[STATUS]==200\"]\n"), 0o600)
	out, err := exec.Command(binary, "validate", "-c", bad).CombinedOutput()
	var ee *exec.ExitError
	if err == nil || !asExit(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("validate of a bad file: err %v, output %s", err, out)
	}
	for _, want := range []string{"bad.yaml:4: endpoints[0].interval", "bad.yaml:5: endpoints[0].conditions[0]"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("validate output lacks %q:\n%s", want, out)
		}
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("endpoints:\n  - name: a\n    url: http://127.0.0.1/\n    conditions: [\"[STATUS] == 200\"]\n"), 0o600)
	if out, err := exec.Command(binary, "validate", "-c", good).CombinedOutput(); err != nil || !strings.Contains(string(out), "valid") {
		t.Fatalf("validate of a good file: %v\n%s", err, out)
	}
	// serve refuses a bad config with the same message and exit code 3.
	cmd := exec.Command(binary, "serve", "-c", bad)
	cmd.Dir = dir
	out, err = cmd.CombinedOutput()
	if !asExit(err, &ee) || ee.ExitCode() != 3 || !strings.Contains(string(out), "bad.yaml:4") {
		t.Fatalf("serve with a bad config: %v\n%s", err, out)
	}
}

func asExit(err error, ee **exec.ExitError) bool {
	e, ok := err.(*exec.ExitError)
	if ok {
		*ee = e
	}
	return ok
}
