package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// detectTrial is one outage of the flip monitor: the target flipped to
// 500, the webhook "triggered" received.
type detectTrial struct {
	Key string `json:"idempotency_key"`
	// DetectionMS is flip -> webhook received: the wait for the next check
	// (0..1 s at interval 1s), the check, the commit, the send.
	DetectionMS float64 `json:"detection_ms"`
	// NotifyMS is webhook received - timestamp of the failing result (the
	// check that crossed failure-threshold 1), read from
	// /api/v1/endpoints/bench_flip/statuses; -1 when it was not found.
	NotifyMS float64 `json:"notify_after_check_ms"`
	SentBy   string  `json:"sent_by"`
}

// detectResult summarises the trials.
type detectResult struct {
	Nodes          int           `json:"nodes"`
	Trials         []detectTrial `json:"trials"`
	DetectMedianMS float64       `json:"detection_median_ms"`
	DetectMaxMS    float64       `json:"detection_max_ms"`
	NotifyMedianMS float64       `json:"notify_median_ms"`
	NotifyMaxMS    float64       `json:"notify_max_ms"`
	Notes          []string      `json:"notes,omitempty"`
}

func (d *detectResult) summarise() {
	var det, not []time.Duration
	for _, t := range d.Trials {
		det = append(det, msDur(t.DetectionMS))
		if t.NotifyMS >= 0 {
			not = append(not, msDur(t.NotifyMS))
		}
	}
	d.DetectMedianMS, d.DetectMaxMS = durMS(median(det)), durMS(maxOf(det))
	d.NotifyMedianMS, d.NotifyMaxMS = durMS(median(not)), durMS(maxOf(not))
}

func msDur(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }
func durMS(d time.Duration) float64  { return float64(d) / float64(time.Millisecond) }

// runDetection starts one node with only the flip monitor (1s, failure-
// and success-threshold 1) and runs trials outages.
func (h *harness) runDetection(ctx context.Context, trials int) (*detectResult, error) {
	res := &detectResult{Nodes: 1}
	if note := h.waitQuiet(ctx); note != "" {
		res.Notes = append(res.Notes, note)
	}
	h.target.reset(0)
	port, err := freePort(h.webHost)
	if err != nil {
		return nil, err
	}
	cfg := nodeConfig{ID: "bench", WebHost: h.webHost, WebPort: port, Flip: true, Target: h.target, WebhookTo: h.sink.url()}
	n, err := newNode(h.bin, "detect", filepath.Join(h.workDir, "detect"), fmt.Sprintf("%s:%d", h.webHost, port), cfg.render())
	if err != nil {
		return nil, err
	}
	if err := n.start(); err != nil {
		return nil, err
	}
	defer n.stop(30 * time.Second)
	if err := n.waitReady(ctx, time.Minute); err != nil {
		return nil, err
	}
	for i := range trials {
		tr, err := h.outage(ctx, i, []*node{n}, nil)
		if err != nil {
			return res, fmt.Errorf("detection trial %d: %w%s", i+1, err, h.postMortem(n))
		}
		res.Trials = append(res.Trials, tr)
	}
	res.summarise()
	return res, nil
}

// outage runs one detection trial against nodes: wait for the flip
// monitor to be healthy, flip at a phase that differs from trial to trial,
// measure the triggered webhook, then recover and wait for resolved. When
// onTriggered is set it runs right after the triggered delivery (before
// recovery) and its error ends the trial.
func (h *harness) outage(ctx context.Context, trial int, nodes []*node, onTriggered func(delivery) error) (detectTrial, error) {
	var tr detectTrial
	// Healthy and checked at least twice since the last outage.
	before := h.target.flipHits.Load()
	if err := waitUntil(ctx, time.Now().Add(30*time.Second), func() bool { return h.target.flipHits.Load() >= before+2 }); err != nil {
		return tr, err
	}
	if h.target.flipHits.Load() < before+2 {
		return tr, fmt.Errorf("the flip monitor is not being checked (hits %d)", h.target.flipHits.Load())
	}
	// Spread the flips over the 1s interval: phase 0, 0.37, 0.74, 0.11 ...
	phase := time.Duration(trial*370%1000) * time.Millisecond
	if err := sleepUntil(ctx, time.Now().Add(phase)); err != nil {
		return tr, err
	}
	from := h.sink.mark()
	h.target.flipFail.Store(true)
	flipped := time.Now()
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	d, ok := h.sink.await(wctx, from, func(d delivery) bool {
		return d.Event == "triggered" && d.Monitor == flipMonitorKey
	})
	cancel()
	if !ok {
		h.target.flipFail.Store(false)
		return tr, fmt.Errorf("no triggered webhook within 30s of the flip")
	}
	tr.Key, tr.SentBy = d.Key, d.SentBy
	tr.DetectionMS = durMS(d.At.Sub(flipped))
	tr.NotifyMS = -1
	if ts, err := h.failingResultTime(ctx, nodes, flipped); err == nil {
		tr.NotifyMS = durMS(d.At.Sub(ts))
	}
	if onTriggered != nil {
		if err := onTriggered(d); err != nil {
			h.target.flipFail.Store(false)
			return tr, err
		}
	}
	h.target.flipFail.Store(false)
	incident, _, _ := strings.Cut(d.Key, "/")
	wctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	_, ok = h.sink.await(wctx, from, func(r delivery) bool {
		return r.Event == "resolved" && r.Accepted && strings.HasPrefix(r.Key, incident+"/")
	})
	cancel()
	if !ok {
		return tr, fmt.Errorf("no resolved webhook for %s within 60s of recovery", incident)
	}
	return tr, nil
}

// failingResultTime finds the first failing result of the flip monitor
// checked at or after the flip (less 1s: a check that started just before
// the flip may see it), asking each running node in turn. In a cluster
// that is the first observer's failure, not the confirming one, so the
// figure there is an upper bound.
func (h *harness) failingResultTime(ctx context.Context, nodes []*node, flipped time.Time) (time.Time, error) {
	var st struct {
		Results []struct {
			Success   bool      `json:"success"`
			Timestamp time.Time `json:"timestamp"`
		} `json:"results"`
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		for _, n := range nodes {
			if !n.running() {
				continue
			}
			if err := n.getJSON(ctx, "/api/v1/endpoints/"+flipMonitorKey+"/statuses", &st); err != nil {
				continue
			}
			var first time.Time
			for _, r := range st.Results {
				if !r.Success && r.Timestamp.After(flipped.Add(-time.Second)) && (first.IsZero() || r.Timestamp.Before(first)) {
					first = r.Timestamp
				}
			}
			if !first.IsZero() {
				return first, nil
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, fmt.Errorf("no failing result of %s after the flip in the history", flipMonitorKey)
		}
		if err := sleepUntil(ctx, time.Now().Add(100*time.Millisecond)); err != nil {
			return time.Time{}, err
		}
	}
}
