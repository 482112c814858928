package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// apiClients issue concurrent writes and reads of a few dedicated
// monitors through random running nodes and record every operation.
type apiClients struct {
	c    *cluster
	tg   *target
	log  *eventLog
	keys []string // monitor names in group "lin"; keys are lin_<name>
	hist *linHistory
	http *http.Client

	mu         sync.Mutex
	unexpected []violation // answers the API must never give
	errors500  int
}

// linClientTimeout bounds one API call; a write that times out is
// ambiguous.
const linClientTimeout = 5 * time.Second

func newAPIClients(c *cluster, tg *target, log *eventLog, keys int) *apiClients {
	a := &apiClients{c: c, tg: tg, log: log, hist: &linHistory{},
		http: &http.Client{Timeout: linClientTimeout, Transport: &http.Transport{DisableKeepAlives: true}}}
	for i := 0; i < keys; i++ {
		a.keys = append(a.keys, fmt.Sprintf("k%d", i))
	}
	return a
}

// run starts clients goroutines issuing operations until the schedule's
// clock reads until, and waits for them.
func (a *apiClients) run(ctx context.Context, clients int, seed uint64, until time.Duration) {
	var wg sync.WaitGroup
	for id := 0; id < clients; id++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(id)+1))
			for seq := 0; seq < 1_000_000 && ctx.Err() == nil && a.log.since() < until; seq++ {
				a.one(ctx, r, id, seq)
				sleep(ctx, between(r, 20*time.Millisecond, 120*time.Millisecond))
			}
		}()
	}
	wg.Wait()
}

// pickNode is a random running node (frozen and cut-off ones included:
// their answers are what ambiguity is about).
func (a *apiClients) pickNode(r *rand.Rand) *node {
	var up []*node
	for _, n := range a.c.nodes {
		if n.alive() {
			up = append(up, n)
		}
	}
	if len(up) == 0 {
		return nil
	}
	return up[r.IntN(len(up))]
}

// one issues a random operation and records it.
func (a *apiClients) one(ctx context.Context, r *rand.Rand, client, seq int) {
	n := a.pickNode(r)
	if n == nil {
		return
	}
	name := a.keys[r.IntN(len(a.keys))]
	in := linInput{Key: "lin_" + name}
	switch x := r.IntN(100); {
	case x < 40:
		in.Op = linRead
	case x < 60:
		in.Op = linCreate
	case x < 85:
		in.Op = linUpdate
	default:
		in.Op = linDelete
	}
	if in.Op == linCreate || in.Op == linUpdate {
		in.Value = fmt.Sprintf("c%d-%d", client, seq)
	}
	call := a.log.since()
	out, keep := a.do(ctx, n, name, in)
	ret := a.log.since()
	if !keep {
		return
	}
	a.hist.add(linOp{Client: client, Node: n.name, In: in, Out: out, Call: call, Return: ret})
}

// monitorBody is a monitor definition for the API; the version rides in
// the URL's query.
func (a *apiClients) monitorBody(name, version string) []byte {
	b, _ := json.Marshal(map[string]any{
		"name": name, "group": "lin", "url": a.tg.url("/lin/"+name) + "?v=" + url.QueryEscape(version),
		"interval": "1m", "conditions": []string{"[STATUS] == 200"},
	})
	return b
}

// do sends one operation and interprets the answer. keep is false when
// the answer says nothing (a read that failed).
func (a *apiClients) do(ctx context.Context, n *node, name string, in linInput) (out linOutput, keep bool) {
	var method, path string
	var body []byte
	switch in.Op {
	case linCreate:
		method, path, body = http.MethodPost, "/api/v1/monitors", a.monitorBody(name, in.Value)
	case linUpdate:
		method, path, body = http.MethodPut, "/api/v1/monitors/"+in.Key, a.monitorBody(name, in.Value)
	case linDelete:
		method, path = http.MethodDelete, "/api/v1/monitors/"+in.Key
	case linRead:
		method, path = http.MethodGet, "/api/v1/monitors/"+in.Key
	}
	req, err := http.NewRequestWithContext(ctx, method, n.apiURL(path), bytes.NewReader(body))
	if err != nil {
		return linOutput{Status: linUnknown}, in.Op != linRead
	}
	if in.Op != linRead {
		req.Header.Set("Authorization", "Bearer "+adminToken)
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return linOutput{Status: linUnknown}, in.Op != linRead
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return linOutput{Status: linUnknown}, in.Op != linRead
	}
	code := resp.StatusCode
	switch {
	case in.Op == linRead && code == http.StatusOK:
		v, err := versionOf(raw)
		if err != nil {
			a.unexpect(n, in, code, err.Error())
			return linOutput{}, false
		}
		return linOutput{Status: linOK, Value: v}, true
	case in.Op == linRead && code == http.StatusNotFound:
		return linOutput{Status: linAbsent}, true
	case in.Op == linRead:
		return linOutput{}, false // no answer: it tells nothing
	case code == http.StatusCreated && in.Op == linCreate,
		code == http.StatusOK && in.Op == linUpdate,
		code == http.StatusNoContent && in.Op == linDelete:
		return linOutput{Status: linOK}, true
	case code == http.StatusConflict && in.Op == linCreate:
		return linOutput{Status: linExists}, true
	case code == http.StatusNotFound && in.Op != linCreate:
		return linOutput{Status: linAbsent}, true
	case code == http.StatusServiceUnavailable:
		return linOutput{Status: linUnknown}, true
	case code == http.StatusInternalServerError:
		// Not a documented answer to a write; it may have happened.
		a.mu.Lock()
		a.errors500++
		a.mu.Unlock()
		a.log.add(evNote, "%s %s via %s: 500 %s", in.Op, in.Key, n.name, clip(string(raw)))
		return linOutput{Status: linUnknown}, true
	}
	a.unexpect(n, in, code, string(raw))
	return linOutput{Status: linUnknown}, true
}

func (a *apiClients) unexpect(n *node, in linInput, code int, body string) {
	text := fmt.Sprintf("%s %s via %s: unexpected answer %d %s", in.Op, in.Key, n.name, code, clip(body))
	at := a.log.add(evViolation, "%s", text)
	a.mu.Lock()
	a.unexpected = append(a.unexpected, violation{At: at, What: text})
	a.mu.Unlock()
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}

// versionOf reads the version from a GET /api/v1/monitors/{key} body.
func versionOf(body []byte) (string, error) {
	var m struct {
		URL string `json:"url"`
	}
	if err := json.Unmarshal(body, &m); err != nil {
		return "", fmt.Errorf("monitor JSON: %w", err)
	}
	u, err := url.Parse(m.URL)
	if err != nil {
		return "", fmt.Errorf("monitor url %q: %w", m.URL, err)
	}
	v := u.Query().Get("v")
	if v == "" {
		return "", fmt.Errorf("monitor url %q has no version", m.URL)
	}
	return v, nil
}

// finalReads reads every key from every node once they all applied the
// same log prefix (the run is over and quiet), so they must agree with
// every acknowledged write. It says which nodes were read.
func (a *apiClients) finalReads(ctx context.Context, client int) string {
	for attempt := 0; attempt < 20; attempt++ {
		before := a.c.statuses(ctx)
		if len(before) == len(a.c.nodes) && sameApplied(before) {
			var ops []linOp
			for _, n := range a.c.nodes {
				for _, name := range a.keys {
					in := linInput{Op: linRead, Key: "lin_" + name}
					call := a.log.since()
					out, keep := a.do(ctx, n, name, in)
					if keep {
						ops = append(ops, linOp{Client: client, Node: n.name, In: in, Out: out, Call: call, Return: a.log.since(), Final: true})
					}
				}
			}
			after := a.c.statuses(ctx)
			if len(after) == len(a.c.nodes) && sameApplied(after) && after[a.c.nodes[0].name].Applied == before[a.c.nodes[0].name].Applied {
				for _, o := range ops {
					a.hist.add(o)
				}
				return fmt.Sprintf("every node at applied index %d", after[a.c.nodes[0].name].Applied)
			}
		}
		if sleep(ctx, 500*time.Millisecond) != nil {
			break
		}
	}
	a.log.add(evNote, "final reads: the nodes never agreed on an applied index; no final reads")
	return "none: the nodes never agreed on an applied index"
}

func sameApplied(sts map[string]clusterStatus) bool {
	var first uint64
	i := 0
	for _, st := range sts {
		if i == 0 {
			first = st.Applied
		} else if st.Applied != first {
			return false
		}
		i++
	}
	return true
}
