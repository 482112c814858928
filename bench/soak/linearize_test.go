package main

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"
	"pgregory.net/rapid"
)

func TestLinStep(t *testing.T) {
	absent, v1 := linState{}, linState{true, "v1"}
	tests := []struct {
		name  string
		st    linState
		in    linInput
		out   linOutput
		ok    bool
		after linState
	}{
		{"read absent", absent, linInput{Op: linRead}, linOutput{Status: linAbsent}, true, absent},
		{"read absent of a present key", v1, linInput{Op: linRead}, linOutput{Status: linAbsent}, false, v1},
		{"read the value", v1, linInput{Op: linRead}, linOutput{Status: linOK, Value: "v1"}, true, v1},
		{"read another value", v1, linInput{Op: linRead}, linOutput{Status: linOK, Value: "v0"}, false, v1},
		{"read a value of an absent key", absent, linInput{Op: linRead}, linOutput{Status: linOK, Value: "v1"}, false, absent},
		{"create", absent, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linOK}, true, linState{true, "v2"}},
		{"create over a present key", v1, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linOK}, false, linState{true, "v2"}},
		{"create refused: exists", v1, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linExists}, true, v1},
		{"create refused although absent", absent, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linExists}, false, absent},
		{"create unknown of an absent key takes effect", absent, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linUnknown}, true, linState{true, "v2"}},
		{"create unknown of a present key changes nothing", v1, linInput{Op: linCreate, Value: "v2"}, linOutput{Status: linUnknown}, true, v1},
		{"update", v1, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linOK}, true, linState{true, "v2"}},
		{"update of an absent key", absent, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linOK}, false, linState{true, "v2"}},
		{"update not found", absent, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linAbsent}, true, absent},
		{"update not found although present", v1, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linAbsent}, false, v1},
		{"update unknown", v1, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linUnknown}, true, linState{true, "v2"}},
		{"update unknown of an absent key", absent, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linUnknown}, true, absent},
		{"delete", v1, linInput{Op: linDelete}, linOutput{Status: linOK}, true, absent},
		{"delete of an absent key", absent, linInput{Op: linDelete}, linOutput{Status: linOK}, false, absent},
		{"delete not found", absent, linInput{Op: linDelete}, linOutput{Status: linAbsent}, true, absent},
		{"delete not found although present", v1, linInput{Op: linDelete}, linOutput{Status: linAbsent}, false, v1},
		{"delete unknown", v1, linInput{Op: linDelete}, linOutput{Status: linUnknown}, true, absent},
		{"update answered exists", v1, linInput{Op: linUpdate, Value: "v2"}, linOutput{Status: linExists}, false, v1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, after := linStep(tt.st, tt.in, tt.out)
			if ok != tt.ok || (ok && after != tt.after) {
				t.Fatalf("linStep(%+v, %+v, %+v) = %v, %+v; want %v, %+v", tt.st, tt.in, tt.out, ok, after, tt.ok, tt.after)
			}
		})
	}
}

// op is a history entry with times in milliseconds.
func op(client int, kind linKind, key, value string, call, ret int, status linStatus, seen string) linOp {
	return linOp{Client: client, Node: "n1", In: linInput{Op: kind, Key: key, Value: value},
		Out: linOutput{Status: status, Value: seen}, Call: ms(call), Return: ms(ret)}
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

func final(o linOp) linOp { o.Final = true; return o }

func TestHistories(t *testing.T) {
	tests := []struct {
		name     string
		ops      []linOp
		writes   porcupine.CheckResult // writes + final reads
		all      porcupine.CheckResult // every operation
		stale    int                   // reads explainStale must name
		staleSay string
	}{
		{"sequential life of a monitor", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(0, linRead, "k", "", 20, 30, linOK, "v1"),
			op(0, linCreate, "k", "v9", 40, 50, linExists, ""),
			op(0, linUpdate, "k", "v2", 60, 70, linOK, ""),
			op(1, linRead, "k", "", 80, 90, linOK, "v2"),
			op(1, linDelete, "k", "", 100, 110, linOK, ""),
			op(0, linUpdate, "k", "v3", 120, 130, linAbsent, ""),
			final(op(2, linRead, "k", "", 140, 150, linAbsent, "")),
		}, porcupine.Ok, porcupine.Ok, 0, ""},
		{"an acknowledged create lost", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			final(op(2, linRead, "k", "", 100, 110, linAbsent, "")),
		}, porcupine.Illegal, porcupine.Illegal, 1, "c2 read k via n1 -> absent (+0.100s..+0.110s) is stale: c0 create k=v1 via n1 -> ok was acknowledged at +0.010s, leaving v1"},
		{"an acknowledged delete undone", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(1, linDelete, "k", "", 20, 30, linOK, ""),
			final(op(2, linRead, "k", "", 100, 110, linOK, "v1")),
		}, porcupine.Illegal, porcupine.Illegal, 1, "is stale: c1 delete k via n1 -> ok was acknowledged at +0.030s, leaving absent"},
		{"a stale read during the run, caught up at the end", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(0, linUpdate, "k", "v2", 20, 30, linOK, ""),
			op(1, linRead, "k", "", 40, 50, linOK, "v1"),
			final(op(2, linRead, "k", "", 100, 110, linOK, "v2")),
		}, porcupine.Ok, porcupine.Illegal, 1, "c1 read k via n1 -> ok v1 (+0.040s..+0.050s) is stale: c0 update k=v2 via n1 -> ok was acknowledged at +0.030s, leaving v2"},
		{"a read concurrent with an update may see either", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(0, linUpdate, "k", "v2", 20, 60, linOK, ""),
			op(1, linRead, "k", "", 30, 40, linOK, "v2"),
			op(2, linRead, "k", "", 45, 50, linOK, "v2"),
			final(op(2, linRead, "k", "", 100, 110, linOK, "v2")),
		}, porcupine.Ok, porcupine.Ok, 0, ""},
		{"concurrent reads may not see the value go back", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(0, linUpdate, "k", "v2", 20, 60, linOK, ""),
			op(1, linRead, "k", "", 30, 40, linOK, "v2"),
			op(2, linRead, "k", "", 45, 50, linOK, "v1"),
		}, porcupine.Ok, porcupine.Illegal, 0, ""},
		{"an ambiguous create that took effect late", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linUnknown, ""),
			op(1, linRead, "k", "", 20, 30, linAbsent, ""),
			op(1, linRead, "k", "", 40, 50, linOK, "v1"),
			final(op(2, linRead, "k", "", 100, 110, linOK, "v1")),
		}, porcupine.Ok, porcupine.Ok, 0, ""},
		{"an ambiguous create that never happened", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linUnknown, ""),
			final(op(2, linRead, "k", "", 100, 110, linAbsent, "")),
		}, porcupine.Ok, porcupine.Ok, 0, ""},
		{"an ambiguous update cannot un-happen", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			op(0, linUpdate, "k", "v2", 20, 30, linUnknown, ""),
			op(1, linRead, "k", "", 40, 50, linOK, "v2"),
			op(1, linRead, "k", "", 60, 70, linOK, "v1"),
		}, porcupine.Ok, porcupine.Illegal, 0, ""},
		{"a refused create although the key was absent", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linExists, ""),
			final(op(2, linRead, "k", "", 100, 110, linAbsent, "")),
		}, porcupine.Illegal, porcupine.Illegal, 0, ""},
		{"a value nobody wrote", []linOp{
			op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
			final(op(2, linRead, "k", "", 100, 110, linOK, "v7")),
		}, porcupine.Illegal, porcupine.Illegal, 1, "is stale"},
		{"keys are independent", []linOp{
			op(0, linCreate, "a", "v1", 0, 10, linOK, ""),
			op(1, linCreate, "b", "w1", 0, 10, linOK, ""),
			op(1, linDelete, "a", "", 20, 30, linOK, ""),
			final(op(2, linRead, "a", "", 100, 110, linAbsent, "")),
			final(op(2, linRead, "b", "", 100, 110, linOK, "w1")),
		}, porcupine.Ok, porcupine.Ok, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := checkHistory("writes", tt.ops, writesAndFinalReads, 10*time.Second); got.Result != tt.writes {
				t.Errorf("writes + final reads: %s, want %s", got.Result, tt.writes)
			}
			if got := checkHistory("all", tt.ops, everything, 10*time.Second); got.Result != tt.all {
				t.Errorf("every operation: %s, want %s", got.Result, tt.all)
			}
			stale := explainStale(tt.ops, 10)
			if len(stale) != tt.stale {
				t.Fatalf("explainStale found %d: %q, want %d", len(stale), stale, tt.stale)
			}
			if tt.stale > 0 && !strings.Contains(stale[0], tt.staleSay) {
				t.Errorf("explainStale says %q, want it to say %q", stale[0], tt.staleSay)
			}
		})
	}
}

func TestUnknownOutcomesReturnLast(t *testing.T) {
	ops := []linOp{
		op(0, linCreate, "k", "v1", 0, 10, linUnknown, ""),
		op(1, linRead, "k", "", 20, 30, linAbsent, ""),
	}
	h := toPorcupine(ops, everything)
	if len(h) != 2 || h[0].Return <= h[1].Return || h[1].Return != int64(ms(30)) {
		t.Fatalf("the unknown create must return after everything else: %+v", h)
	}
	c := checkHistory("x", ops, everything, time.Second)
	if c.Ops != 2 || c.Ambiguous != 1 {
		t.Fatalf("counted %d ops, %d ambiguous; want 2 and 1", c.Ops, c.Ambiguous)
	}
}

func TestVisualizeIllegal(t *testing.T) {
	c := checkHistory("acknowledged writes survive", []linOp{
		op(0, linCreate, "k", "v1", 0, 10, linOK, ""),
		final(op(2, linRead, "k", "", 100, 110, linAbsent, "")),
	}, writesAndFinalReads, time.Second)
	if c.Result != porcupine.Illegal {
		t.Fatalf("result %s", c.Result)
	}
	dir := t.TempDir()
	path, err := visualize(dir, c)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(path) != "linearizability-writes.html" || !strings.Contains(string(b), "create(k=v1)") {
		t.Fatalf("%s does not show the history (%d bytes)", path, len(b))
	}
}

func TestVersionOf(t *testing.T) {
	tests := []struct {
		body, want, err string
	}{
		{`{"key":"lin_k0","url":"http://10.0.0.254:1234/lin/k0?v=c1-7"}`, "c1-7", ""},
		{`{"key":"lin_k0","url":"http://10.0.0.254:1234/lin/k0"}`, "", "has no version"},
		{`{"key":"lin_k0"`, "", "monitor JSON"},
		{`{"url":"http://[::1"}`, "", "monitor url"},
	}
	for _, tt := range tests {
		got, err := versionOf([]byte(tt.body))
		if got != tt.want || (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("versionOf(%s) = %q, %v; want %q, error with %q", tt.body, got, err, tt.want, tt.err)
		}
	}
}

// bruteStale is explainStale's definition, checked pair by pair: the
// reads for which some acknowledged W and no explaining X exist.
func bruteStale(ops []linOp) map[string]bool {
	gives := func(x, r linOp) bool {
		if x.Out.Status != linOK && x.Out.Status != linUnknown {
			return false
		}
		if r.Out.Status == linAbsent {
			return x.In.Op == linDelete
		}
		return x.In.Op != linDelete && x.In.Value == r.Out.Value
	}
	out := map[string]bool{}
	for _, r := range ops {
		if r.In.Op != linRead {
			continue
		}
		for _, w := range ops {
			if w.In.Op == linRead || w.Out.Status != linOK || w.Return >= r.Call || gives(w, r) {
				continue
			}
			explained := false
			for _, x := range ops {
				if x.In.Op != linRead && x.Call < r.Return && (x.Out.Status == linUnknown || x.Return > w.Call) && gives(x, r) {
					explained = true
				}
			}
			if !explained {
				out[fmt.Sprintf("%s (%s..%s)", r, fmtAt(r.Call), fmtAt(r.Return))] = true
			}
		}
	}
	return out
}

func TestExplainStaleMatchesItsDefinition(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 40).Draw(t, "ops")
		var ops []linOp
		var values []string
		for i := 0; i < n; i++ {
			call := rapid.IntRange(0, 1000).Draw(t, "call")
			ret := call + rapid.IntRange(0, 200).Draw(t, "latency")
			kind := rapid.SampledFrom([]linKind{linCreate, linUpdate, linDelete, linRead}).Draw(t, "kind")
			o := op(i%3, kind, "k", "", call, ret, linOK, "")
			switch kind {
			case linRead:
				if len(values) == 0 || rapid.Bool().Draw(t, "absent") {
					o.Out.Status = linAbsent
				} else {
					o.Out.Value = rapid.SampledFrom(values).Draw(t, "seen")
				}
			default:
				if kind != linDelete {
					o.In.Value = fmt.Sprintf("v%d", i)
					values = append(values, o.In.Value)
				}
				o.Out.Status = rapid.SampledFrom([]linStatus{linOK, linOK, linUnknown, linAbsent, linExists}).Draw(t, "status")
			}
			ops = append(ops, o)
		}
		want := bruteStale(ops)
		got := map[string]bool{}
		for _, s := range explainStale(ops, 1<<30) {
			read, _, _ := strings.Cut(s, " is stale: ")
			got[read] = true
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("explainStale found %v, its definition %v", got, want)
		}
	})
}
