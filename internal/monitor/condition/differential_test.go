package condition

import (
	"sync"
	"testing"
	"time"
)

// differentialOperands are operand texts covering every kind of operand and
// the literals that make the comparison rules branch.
var differentialOperands = []string{
	"[STATUS]", "[status]", "[RESPONSE_TIME]", "[IP]", "[DNS_RCODE]", "[CONNECTED]",
	"[CERTIFICATE_EXPIRATION]", "[DOMAIN_EXPIRATION]", "[certificate_expiration]",
	"[BODY]", "[BODY].a", "[BODY].a.b", "[BODY][0]", "[BODY].arr[1]", "[BODY].arr",
	"[BODY].obj", "[BODY].n", "[BODY].s", "[BODY].", "[BODY].arr[-1]", "[BODY].x[0][1]",
	"len([BODY])", "len([BODY].arr)", "len([BODY].obj)", "len([BODY].s)", "len([STATUS])",
	"len([IP])", "len(x)", "has([BODY])", "has([BODY].a)", "has([IP])", "has(x)",
	"200", "0xC8", "0", "-1", "1.5", "1e3", "48h", "10s", "90m", "500us", "potato", "",
	"true", "false", "NOERROR", "127.0.0.1", "pat(*)", "pat(2*)", "pat(*a*)", "pat([)",
	"any(200, 404)", "any(a, b)", "any()", "foo(x)", "x)", "[UNKNOWN]", "[CONTEXT].x",
}

var differentialInputs = []Input{
	{},
	{
		Status: 200, ResponseTime: 250 * time.Millisecond, IP: "127.0.0.1", DNSRCode: "NOERROR",
		Connected: true, CertificateExpiration: 48 * time.Hour, DomainExpiration: 720 * time.Hour,
		Body: []byte(`{"a":{"b":"0x10"},"arr":[1,"two",{"k":null}],"obj":{"z":1,"y":"<>"},"n":1000000,"s":"pat(*)","x":[[1,2]]}`),
	},
	{Status: 404, Body: []byte(`[ "a", 2.5, true ]`)},
	{Status: 500, Body: []byte("  plain text  "), IP: "::1"},
	{Body: []byte("[1,2,]"), ResponseTime: 10 * time.Second},
	{Body: []byte("null"), CertificateExpiration: -time.Hour},
	{
		Status: 404, ResponseTime: 10 * time.Second, CertificateExpiration: 90 * time.Minute,
		Body: []byte(`{"a":"any(200, x)","n":"1h","s":"` + "éééééééééééééééééééééééééééé" + `","arr":["pat(2*)"]}`),
	},
	{Body: []byte("\xff\xfe{\"a\":1}")},
	{Status: -5, ResponseTime: time.Millisecond, CertificateExpiration: 90 * time.Minute, DNSRCode: "NXDOMAIN"},
	{Status: 200, Body: []byte(`5`)},
}

var optionSets = []Options{{}, {ResolveSuccessful: true}, {DontResolveFailed: true}, {DontResolveFailed: true, ResolveSuccessful: true}}

// TestDifferential compares every pair of operands, with a comparator and
// display options that vary from pair to pair, against the naive model.
func TestDifferential(t *testing.T) {
	var seps = []string{" == ", " != ", " <= ", " >= ", " > ", " < "}
	n := 0
	for i, left := range differentialOperands {
		for j, right := range differentialOperands {
			text := left + seps[(i+j)%len(seps)] + right
			opts := optionSets[(i*7+j)%len(optionSets)]
			c, err := Parse(text)
			if err != nil {
				t.Fatalf("Parse(%q): %v", text, err)
			}
			for k := range differentialInputs {
				in := &differentialInputs[k]
				got := c.Evaluate(in, opts)
				want, _ := refEvaluate(text, in, opts)
				if got != want {
					t.Errorf("%q with %+v on input %d:\n got %+v\nwant %+v", text, opts, k, got, want)
				}
				n++
			}
		}
	}
	t.Logf("%d evaluations agree", n)
}

// TestEvaluateAllMatchesEvaluate checks that sharing the parsed body across
// conditions changes nothing, and that results are appended in order.
func TestEvaluateAllMatchesEvaluate(t *testing.T) {
	var conds []*Condition
	for i, o := range differentialOperands {
		c, err := Parse(o + " == " + differentialOperands[(i*5+3)%len(differentialOperands)])
		if err != nil {
			t.Fatal(err)
		}
		conds = append(conds, c)
	}
	prefix := Result{Condition: "kept", Success: true}
	for k := range differentialInputs {
		in := &differentialInputs[k]
		for _, opts := range optionSets {
			got := EvaluateAll([]Result{prefix}, conds, in, opts)
			if len(got) != len(conds)+1 || got[0] != prefix {
				t.Fatalf("EvaluateAll returned %d results (first %+v), want the prefix and %d more", len(got), got[0], len(conds))
			}
			for i, c := range conds {
				if want := c.Evaluate(in, opts); got[i+1] != want {
					t.Errorf("input %d, %q: EvaluateAll gave %+v, Evaluate %+v", k, c, got[i+1], want)
				}
			}
		}
	}
	if got := EvaluateAll(nil, nil, &differentialInputs[1], Options{}); len(got) != 0 {
		t.Errorf("EvaluateAll of no conditions = %v, want none", got)
	}
}

// TestEvaluateConcurrently runs one condition from several goroutines; the
// race detector checks that evaluation does not write to the condition.
func TestEvaluateConcurrently(t *testing.T) {
	c, err := Parse("len([BODY].arr) == 3")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]Result, 8)
	for g := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 100 {
				results[g] = c.Evaluate(&differentialInputs[1], Options{ResolveSuccessful: true})
			}
		}()
	}
	wg.Wait()
	want := Result{Condition: "len([BODY].arr) (3) == 3", Success: true}
	for g, r := range results {
		if r != want {
			t.Errorf("goroutine %d: %+v, want %+v", g, r, want)
		}
	}
}

// FuzzParseEvaluate parses arbitrary text and evaluates it against an
// arbitrary body and input: it never panics, accepts exactly what the model
// accepts, and agrees with the model on every result.
func FuzzParseEvaluate(f *testing.F) {
	for _, tc := range append(append([]evalCase(nil), gatusCases...), quirkCases[:20]...) {
		f.Add(tc.cond, tc.in.Body, tc.in.Status, tc.in.ResponseTime.Milliseconds(), tc.in.IP, tc.in.Connected, tc.in.CertificateExpiration.Milliseconds())
	}
	f.Fuzz(func(t *testing.T, text string, body []byte, status int, responseMs int64, ip string, connected bool, expirationMs int64) {
		in := &Input{
			Status:                status,
			ResponseTime:          time.Duration(responseMs) * time.Millisecond,
			IP:                    ip,
			Body:                  body,
			Connected:             connected,
			CertificateExpiration: time.Duration(expirationMs) * time.Millisecond,
			DNSRCode:              ip,
			DomainExpiration:      time.Duration(responseMs) * time.Second,
		}
		c, err := Parse(text)
		_, valid := refEvaluate(text, in, Options{})
		if (err == nil) != valid {
			t.Fatalf("Parse(%q) error %v, but the model says valid=%v", text, err, valid)
		}
		if err != nil {
			return
		}
		var success bool
		for i, opts := range optionSets {
			got := c.Evaluate(in, opts)
			want, _ := refEvaluate(text, in, opts)
			if got != want {
				t.Fatalf("%q with %+v:\n got %+v\nwant %+v", text, opts, got, want)
			}
			if i == 0 {
				success = got.Success
			} else if got.Success != success {
				t.Fatalf("%q: success depends on display options", text)
			}
			if (got.Success && !opts.ResolveSuccessful) || (!got.Success && opts.DontResolveFailed) {
				if got.Condition != text {
					t.Fatalf("%q with %+v shows %q, want the text as written", text, opts, got.Condition)
				}
			}
		}
		// Sharing the parsed body with another condition changes nothing.
		other, _ := Parse("[BODY].a == 1")
		all := EvaluateAll(nil, []*Condition{other, c}, in, Options{})
		if want := c.Evaluate(in, Options{}); all[1] != want {
			t.Fatalf("%q: EvaluateAll gave %+v, Evaluate %+v", text, all[1], want)
		}
	})
}
