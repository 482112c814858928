package main

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// linKind is an API operation on a monitor.
type linKind string

const (
	linCreate linKind = "create" // POST /api/v1/monitors
	linUpdate linKind = "update" // PUT /api/v1/monitors/{key}
	linDelete linKind = "delete" // DELETE /api/v1/monitors/{key}
	linRead   linKind = "read"   // GET /api/v1/monitors/{key}
)

// linStatus is what an operation's answer says happened.
type linStatus string

const (
	linOK      linStatus = "ok"      // 201/200/204, or a read that found the monitor
	linAbsent  linStatus = "absent"  // 404: no such monitor
	linExists  linStatus = "exists"  // 409 on create: the monitor exists
	linUnknown linStatus = "unknown" // timeout, 503, connection error: it may or may not have happened
)

// linInput is an operation's request; Value is the version a write sets
// (carried in the monitor's URL).
type linInput struct {
	Op    linKind
	Key   string
	Value string
}

// linOutput is an operation's answer; Value is the version a read saw.
type linOutput struct {
	Status linStatus
	Value  string
}

// linOp is one operation as a client saw it.
type linOp struct {
	Client int
	Node   string // the node it was sent to
	In     linInput
	Out    linOutput
	Call   time.Duration // since the schedule started
	Return time.Duration // meaningless when Out.Status is linUnknown
	Final  bool          // a read made after the run, once every node caught up
}

func (o linOp) String() string {
	s := fmt.Sprintf("c%d %s %s", o.Client, o.In.Op, o.In.Key)
	if o.In.Value != "" {
		s += "=" + o.In.Value
	}
	s += fmt.Sprintf(" via %s -> %s", o.Node, o.Out.Status)
	if o.Out.Value != "" {
		s += " " + o.Out.Value
	}
	return s
}

// linState is one key's value in the model: the monitor exists or not,
// and which version it holds.
type linState struct {
	Present bool
	Value   string
}

// linStep is the sequential specification of the monitors API on one key.
// An unknown outcome may have taken effect (applied here) or not (the
// checker places it after everything else, where it changes nothing seen).
func linStep(st linState, in linInput, out linOutput) (bool, linState) {
	switch in.Op {
	case linRead:
		switch out.Status {
		case linOK:
			return st.Present && st.Value == out.Value, st
		case linAbsent:
			return !st.Present, st
		}
		return false, st
	case linCreate:
		switch out.Status {
		case linOK:
			return !st.Present, linState{true, in.Value}
		case linExists:
			return st.Present, st
		case linUnknown:
			if !st.Present {
				return true, linState{true, in.Value}
			}
			return true, st // it was refused as a conflict, or never ran
		}
	case linUpdate:
		switch out.Status {
		case linOK:
			return st.Present, linState{true, in.Value}
		case linAbsent:
			return !st.Present, st
		case linUnknown:
			if st.Present {
				return true, linState{true, in.Value}
			}
			return true, st
		}
	case linDelete:
		switch out.Status {
		case linOK:
			return st.Present, linState{}
		case linAbsent:
			return !st.Present, st
		case linUnknown:
			return true, linState{}
		}
	}
	return false, st
}

// linModel is the porcupine model: a key -> monitor-version map,
// partitioned by key (keys are independent).
var linModel = porcupine.Model{
	Partition: func(history []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range history {
			k := op.Input.(linInput).Key
			if byKey[k] == nil {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		return linStep(state.(linState), input.(linInput), output.(linOutput))
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		s := fmt.Sprintf("%s(%s", in.Op, in.Key)
		if in.Value != "" {
			s += "=" + in.Value
		}
		s += ") -> " + string(out.Status)
		if out.Value != "" {
			s += " " + out.Value
		}
		return s
	},
	DescribeState: func(state any) string {
		st := state.(linState)
		if !st.Present {
			return "absent"
		}
		return st.Value
	},
}

// toPorcupine converts the operations kept by keep. An unknown outcome
// gets a return time after every other event: it may take effect at any
// point after its call, or never.
func toPorcupine(ops []linOp, keep func(linOp) bool) []porcupine.Operation {
	var last time.Duration
	for _, o := range ops {
		last = max(last, o.Call, o.Return)
	}
	var out []porcupine.Operation
	for _, o := range ops {
		if !keep(o) {
			continue
		}
		ret := o.Return
		if o.Out.Status == linUnknown {
			ret = last + time.Second
		}
		out = append(out, porcupine.Operation{ClientId: o.Client, Input: o.In, Output: o.Out,
			Call: int64(o.Call), Return: int64(ret), Metadata: o.Node})
	}
	return out
}

// linCheck is one linearizability verdict.
type linCheck struct {
	Name      string
	Ops       int
	Ambiguous int
	Result    porcupine.CheckResult
	Info      porcupine.LinearizationInfo
	Took      time.Duration
}

// checkHistory checks the operations kept by keep against linModel.
func checkHistory(name string, ops []linOp, keep func(linOp) bool, timeout time.Duration) linCheck {
	h := toPorcupine(ops, keep)
	c := linCheck{Name: name, Ops: len(h)}
	for _, o := range h {
		if o.Output.(linOutput).Status == linUnknown {
			c.Ambiguous++
		}
	}
	start := time.Now()
	c.Result, c.Info = porcupine.CheckOperationsVerbose(linModel, h, timeout)
	c.Took = time.Since(start)
	return c
}

// writesAndFinalReads keeps the writes and the reads made after the run:
// an acknowledged write lost (or a refused one applied) shows here.
func writesAndFinalReads(o linOp) bool { return o.In.Op != linRead || o.Final }

// everything keeps every operation: reads during the run must see every
// write acknowledged before they were sent.
func everything(linOp) bool { return true }

// linHistory collects operations from concurrent clients.
type linHistory struct {
	mu  sync.Mutex
	ops []linOp
}

func (h *linHistory) add(o linOp) {
	h.mu.Lock()
	h.ops = append(h.ops, o)
	h.mu.Unlock()
}

func (h *linHistory) all() []linOp {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]linOp(nil), h.ops...)
}

// explainStale finds reads that certainly missed an acknowledged write,
// to say in words what an Illegal verdict means. A read R missed write W
// when W was acknowledged before R was sent, R saw another state than W
// left, and no other write X that gives R's state could have taken effect
// between them (X sent before R returned, and X not acknowledged before W
// was sent, or X's outcome unknown). At most limit, earliest first.
//
// For each read it is enough to look at the W sent last among those that
// qualify: an X that explains the read after it explains it after any
// earlier one. So each read costs a few binary searches.
func explainStale(ops []linOp, limit int) []string {
	byKey := map[string][]linOp{}
	var keys []string
	for _, o := range ops {
		if byKey[o.In.Key] == nil {
			keys = append(keys, o.In.Key)
		}
		byKey[o.In.Key] = append(byKey[o.In.Key], o)
	}
	type found struct {
		at   time.Duration
		text string
	}
	var out []found
	for _, k := range keys {
		for _, f := range staleOfKey(byKey[k]) {
			out = append(out, found{f.Call, f.text})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	var texts []string
	for i := 0; i < len(out) && i < limit; i++ {
		texts = append(texts, out[i].text)
	}
	return texts
}

type staleRead struct {
	Call time.Duration
	text string
}

// staleOfKey is explainStale for the operations on one key.
func staleOfKey(ops []linOp) []staleRead {
	const never = time.Duration(1<<63 - 1) // the return of an unknown outcome
	var acked []linOp                      // acknowledged writes, by return time
	byValue := map[string]linOp{}          // the write of each version
	var deletes []linOp                    // deletes that may have happened, by call time
	for _, o := range ops {
		if o.In.Op == linRead {
			continue
		}
		if o.Out.Status == linOK {
			acked = append(acked, o)
		}
		if o.Out.Status != linOK && o.Out.Status != linUnknown {
			continue
		}
		if o.In.Op == linDelete {
			deletes = append(deletes, o)
		} else {
			byValue[o.In.Value] = o
		}
	}
	sort.Slice(acked, func(i, j int) bool { return acked[i].Return < acked[j].Return })
	sort.Slice(deletes, func(i, j int) bool { return deletes[i].Call < deletes[j].Call })
	// Over prefixes of acked: the two writes sent last, and the non-delete
	// sent last (-1: none).
	best, second, bestPut := make([]int, len(acked)), make([]int, len(acked)), make([]int, len(acked))
	b, sc, bp := -1, -1, -1
	for i, w := range acked {
		switch {
		case b < 0 || w.Call > acked[b].Call:
			b, sc = i, b
		case sc < 0 || w.Call > acked[sc].Call:
			sc = i
		}
		if w.In.Op != linDelete && (bp < 0 || w.Call > acked[bp].Call) {
			bp = i
		}
		best[i], second[i], bestPut[i] = b, sc, bp
	}
	// Over prefixes of deletes: the latest return (never for unknown ones).
	latest := make([]time.Duration, len(deletes))
	var l time.Duration
	for i, d := range deletes {
		ret := d.Return
		if d.Out.Status == linUnknown {
			ret = never
		}
		l = max(l, ret)
		latest[i] = l
	}
	var out []staleRead
	for _, r := range ops {
		if r.In.Op != linRead {
			continue
		}
		n := sort.Search(len(acked), func(i int) bool { return acked[i].Return >= r.Call })
		if n == 0 {
			continue
		}
		// w: the acknowledged write sent last that leaves another state.
		w := -1
		if r.Out.Status == linAbsent {
			w = bestPut[n-1]
		} else if b := best[n-1]; acked[b].In.Op == linDelete || acked[b].In.Value != r.Out.Value {
			w = b
		} else {
			w = second[n-1]
		}
		if w < 0 {
			continue
		}
		W := acked[w]
		explained := false
		if r.Out.Status == linAbsent {
			m := sort.Search(len(deletes), func(i int) bool { return deletes[i].Call >= r.Return })
			explained = m > 0 && latest[m-1] > W.Call
		} else if x, ok := byValue[r.Out.Value]; ok && x.Call < r.Return {
			explained = x.Out.Status == linUnknown || x.Return > W.Call
		}
		if explained {
			continue
		}
		left := "absent"
		if W.In.Op != linDelete {
			left = W.In.Value
		}
		out = append(out, staleRead{r.Call, fmt.Sprintf("%s (%s..%s) is stale: %s was acknowledged at %s, leaving %s",
			r, fmtAt(r.Call), fmtAt(r.Return), W, fmtAt(W.Return), left)})
	}
	return out
}
