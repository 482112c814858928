package condition

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
)

// quirkCases pin down Gatus behaviour that follows from its implementation
// rather than from its documentation. Each is what Gatus v5 does.
var quirkCases = []evalCase{
	// Display options.
	{"resolve-successful-status", "[STATUS] == 200", Input{Status: 200}, Options{ResolveSuccessful: true}, true, "[STATUS] (200) == 200"},
	{"resolve-successful-unchanged-sides", "1 == 1", Input{}, Options{ResolveSuccessful: true}, true, "1 == 1"},
	{"dont-resolve-failed-keeps-text-as-written", "  [STATUS]   ==   200  ", Input{Status: 500}, Options{DontResolveFailed: true}, false, "  [STATUS]   ==   200  "},
	{"resolved-display-uses-trimmed-operands", "  [STATUS]   ==   200  ", Input{Status: 500}, Options{}, false, "[STATUS] (500) == 200"},
	{"both-options-failure", "[STATUS] == 200", Input{Status: 500}, Options{DontResolveFailed: true, ResolveSuccessful: true}, false, "[STATUS] == 200"},
	{"both-options-success", "[STATUS] == 200", Input{Status: 200}, Options{DontResolveFailed: true, ResolveSuccessful: true}, true, "[STATUS] (200) == 200"},
	{"nil-like-zero-input", "[STATUS] == 200", Input{}, Options{}, false, "[STATUS] (0) == 200"},

	// Splitting.
	{"third-piece-ignored-success", "[STATUS] == 200 == 300", Input{Status: 200}, Options{}, true, "[STATUS] == 200 == 300"},
	{"third-piece-ignored-display", "[STATUS] == 200 == 300", Input{Status: 300}, Options{}, false, "[STATUS] (300) == 200"},
	{"equal-found-before-less", "[BODY] < 5 == 3", body("1"), Options{}, false, "[BODY] < 5 == 3"},
	{"empty-right-side", "[IP] == ", Input{}, Options{}, true, "[IP] == "},
	{"empty-right-side-failure", "[IP] == ", Input{IP: "::1"}, Options{}, false, "[IP] (::1) == "},

	// Placeholders.
	{"lower-case-placeholder", "[status] == 200", Input{Status: 200}, Options{}, true, "[status] == 200"},
	{"mixed-case-placeholder-resolved", "[Status] == 200", Input{Status: 201}, Options{}, false, "[Status] (201) == 200"},
	{"lower-case-body-path-keeps-path-case", "[body].Name == x", body(`{"Name":"x"}`), Options{}, true, "[body].Name == x"},
	{"unicode-upper-case-placeholder", "[ſTATUS] == 200", Input{Status: 200}, Options{}, true, "[ſTATUS] == 200"},
	{"unknown-placeholder-is-literal", "[FOO] == [FOO]", Input{}, Options{}, true, "[FOO] == [FOO]"},
	{"unknown-placeholder-unchanged", "[FOO] == bar", Input{}, Options{}, false, "[FOO] == bar"},
	{"dns-rcode", "[DNS_RCODE] == NOERROR", Input{DNSRCode: "NOERROR"}, Options{}, true, "[DNS_RCODE] == NOERROR"},
	{"dns-rcode-failure", "[DNS_RCODE] == NOERROR", Input{DNSRCode: "NXDOMAIN"}, Options{}, false, "[DNS_RCODE] (NXDOMAIN) == NOERROR"},
	{"connected-false", "[CONNECTED] == false", Input{}, Options{}, true, "[CONNECTED] == false"},
	{"body-is-trimmed", "[BODY] == hello", body("\n  hello \t\n"), Options{}, true, "[BODY] == hello"},
	{"body-resolved-failure", "[BODY] == hello", body(" bye "), Options{}, false, "[BODY] (bye) == hello"},
	{"response-time-truncated-to-ms", "[RESPONSE_TIME] == 1", Input{ResponseTime: 1999 * time.Microsecond}, Options{}, true, "[RESPONSE_TIME] == 1"},
	{"two-placeholders-numeric", "[STATUS] < [RESPONSE_TIME]", Input{Status: 200, ResponseTime: 300 * time.Millisecond}, Options{}, true, "[STATUS] < [RESPONSE_TIME]"},
	{"two-placeholders-equal", "[STATUS] == [RESPONSE_TIME]", Input{Status: 200, ResponseTime: 300 * time.Millisecond}, Options{}, false, "[STATUS] (200) == [RESPONSE_TIME] (300)"},

	// Functions on placeholders other than [BODY].
	{"len-status", "len([STATUS]) == 3", Input{Status: 200}, Options{}, true, "len([STATUS]) == 3"},
	{"len-negative-status", "len([STATUS]) == 2", Input{Status: -1}, Options{}, true, "len([STATUS]) == 2"},
	{"len-ip", "len([IP]) == 9", Input{IP: "127.0.0.1"}, Options{}, true, "len([IP]) == 9"},
	{"len-connected", "len([CONNECTED]) == 5", Input{}, Options{}, true, "len([CONNECTED]) == 5"},
	{"len-rcode", "len([DNS_RCODE]) > 3", Input{DNSRCode: "NOERROR"}, Options{}, true, "len([DNS_RCODE]) > 3"},
	{"has-status-always-true", "has([STATUS]) == true", Input{}, Options{}, true, "has([STATUS]) == true"},
	{"has-empty-ip", "has([IP]) == false", Input{}, Options{}, true, "has([IP]) == false"},
	{"has-ip", "has([IP]) == true", Input{IP: "::1"}, Options{}, true, "has([IP]) == true"},
	{"has-unknown-is-false", "has(foo) == false", Input{}, Options{}, true, "has(foo) == false"},
	{"has-empty", "has() == true", Input{}, Options{}, false, "has() (false) == true"},
	{"len-unknown-is-invalid", "len(foo) == 3", Input{}, Options{}, false, "len(foo) (INVALID) == 3"},
	{"len-argument-not-trimmed", "len( [BODY]) == 3", body("abc"), Options{}, false, "len( [BODY]) (INVALID) == 3"},
	{"function-names-are-case-sensitive", "LEN([BODY]) == 3", body("abc"), Options{}, false, "LEN([BODY]) == 3"},
	{"len-unknown-in-ordering-is-zero", "len(foo) < 1", Input{}, Options{}, true, "len(foo) < 1"},
	{"len-invalid-in-ordering-shows-zero", "len([BODY].x) > 1", body(`{}`), Options{}, false, "len([BODY].x) (0) > 1"},

	// [BODY] functions.
	{"len-body-raw-bytes-untrimmed", "len([BODY]) == 5", body(" abc "), Options{}, true, "len([BODY]) == 5"},
	{"len-body-broken-array-counts-trimmed-bytes", "len([BODY]) == 6", body("[1,2,]"), Options{}, true, "len([BODY]) == 6"},
	{"len-body-empty-array", "len([BODY]) == 0", body("[]"), Options{}, true, "len([BODY]) == 0"},
	{"len-body-empty", "len([BODY]) == 0", body(""), Options{}, true, "len([BODY]) == 0"},
	{"has-body-blank", "has([BODY]) == false", body(" \n "), Options{}, true, "has([BODY]) == false"},
	{"has-body", "has([BODY]) == true", body("x"), Options{}, true, "has([BODY]) == true"},
	{"has-path-on-non-json", "has([BODY].x) == true", body("not json"), Options{}, false, "has([BODY].x) (false) == true"},
	{"has-null-value-is-false", "has([BODY].x) == false", body(`{"x":null}`), Options{}, true, "has([BODY].x) == false"},
	{"has-empty-string-is-true", "has([BODY].x) == true", body(`{"x":""}`), Options{}, true, "has([BODY].x) == true"},

	// JSON values as text.
	{"json-number-formatting", "[BODY].n == 1000000", body(`{"n":1000000}`), Options{}, false, "[BODY].n (1e+06) == 1000000"},
	{"json-number-formatting-ordering", "[BODY].n > 999999", body(`{"n":1000000}`), Options{}, true, "[BODY].n > 999999"},
	{"json-float-one", "[BODY].n == 1", body(`{"n":1.0}`), Options{}, true, "[BODY].n == 1"},
	{"json-float", "[BODY].n == 1.5", body(`{"n":1.50}`), Options{}, true, "[BODY].n == 1.5"},
	{"json-bool", "[BODY].ok == true", body(`{"ok":true}`), Options{}, true, "[BODY].ok == true"},
	{"json-array-as-text", "[BODY].data == [1 2 3]", body(`{"data":[1,2,3]}`), Options{}, true, "[BODY].data == [1 2 3]"},
	{"json-object-as-minified-sorted-json", `[BODY].user == {"age":3,"name":"john"}`, body(`{"user": {"name": "john", "age": 3}}`), Options{}, true, `[BODY].user == {"age":3,"name":"john"}`},
	{"json-object-html-escaped", `[BODY].o == x`, body(`{"o":{"a":"<b>"}}`), Options{}, false, `[BODY].o ({"a":"\u003cb\u003e"}) == x`},
	{"json-nested-object-in-array-as-text", "[BODY].a == x", body(`{"a":[{"k":1}]}`), Options{}, false, "[BODY].a ([map[k:1]]) == x"},
	{"json-string-escapes-decoded", `[BODY].s == a"b`, body(`{"s":"a\"b"}`), Options{}, true, `[BODY].s == a"b`},
	{"json-duplicate-keys-last-wins", "[BODY].k == 2", body(`{"k":1,"k":2}`), Options{}, true, "[BODY].k == 2"},
	{"json-number-out-of-range-invalidates-document", "[BODY].a == 1", body(`{"a":1,"b":1e400}`), Options{}, false, "[BODY].a (INVALID) == 1"},

	// JSON path walking.
	{"walk-through-number", "[BODY].data.id.foo == 1", body(`{"data":{"id":1}}`), Options{}, true, "[BODY].data.id.foo == 1"},
	{"walk-through-array", "[BODY].data.foo == [1 2]", body(`{"data":[1,2]}`), Options{}, true, "[BODY].data.foo == [1 2]"},
	{"walk-through-string-is-invalid", "[BODY].name.first == x", body(`{"name":"john"}`), Options{}, false, "[BODY].name.first (INVALID) == x"},
	{"plain-key-on-scalar-body", "[BODY].anything == 5", body(`5`), Options{}, true, "[BODY].anything == 5"},
	{"plain-key-on-array-body", "[BODY].x == 1", body(`[1,2]`), Options{}, false, "[BODY].x ([1 2]) == 1"},
	{"empty-path-is-raw-body", "[BODY]. == raw", body(" raw "), Options{}, false, "[BODY]. ( raw ) == raw"},
	{"empty-path-on-array-body", "[BODY]. == [1 2]", body("[1, 2]"), Options{}, true, "[BODY]. == [1 2]"},
	{"root-index", "[BODY][1] == b", body(`["a","b"]`), Options{}, true, "[BODY][1] == b"},
	{"nested-index-at-root", "[BODY][1][0] == c", body(`[["a","b"],["c"]]`), Options{}, true, "[BODY][1][0] == c"},
	{"nested-index-after-key", "[BODY].data[1][1] == eeeee", body(`{"data": [["a", "b"], ["d", "eeeee"]]}`), Options{}, true, "[BODY].data[1][1] == eeeee"},
	{"index-out-of-range", "[BODY].data[5] == 1", body(`{"data":[1]}`), Options{}, false, "[BODY].data[5] (INVALID) == 1"},
	{"index-not-a-number", "[BODY].data[x] == 1", body(`{"data":[1]}`), Options{}, false, "[BODY].data[x] (INVALID) == 1"},
	{"index-with-plus-sign", "[BODY].data[+0] == 1", body(`{"data":[1]}`), Options{}, true, "[BODY].data[+0] == 1"},
	{"negative-index-is-missing", "[BODY].data[-1] == 1", body(`{"data":[1]}`), Options{}, false, "[BODY].data[-1] (INVALID) == 1"},
	{"indexed-key-on-array-body-is-missing", "[BODY].data[0] == 1", body(`[1,2]`), Options{}, false, "[BODY].data[0] (INVALID) == 1"},
	{"indexed-key-on-scalar-body-is-missing", "[BODY].data[0] == 1", body(`7`), Options{}, false, "[BODY].data[0] (INVALID) == 1"},
	{"text-after-index-ignored", "[BODY].data[0]x[1] == 7", body(`{"data":[7,8]}`), Options{}, true, "[BODY].data[0]x[1] == 7"},
	{"index-of-non-array-is-missing", "[BODY].data[0] == x", body(`{"data":"xyz"}`), Options{}, false, "[BODY].data[0] (INVALID) == x"},
	{"dot-inside-brackets-not-split", "[BODY].a[b.c] == 1", body(`{"a":[1]}`), Options{}, false, "[BODY].a[b.c] (INVALID) == 1"},
	{"double-dot", "[BODY].a..b == 1", body(`{"a":{"":{"b":1}}}`), Options{}, true, "[BODY].a..b == 1"},
	{"object-at-end-of-path", "len([BODY].a) == 7", body(`{"a":{"b":1}}`), Options{}, true, "len([BODY].a) == 7"},
	{"object-then-trailing-dot", "[BODY].a. == 1", body(`{"a":{"b":1}}`), Options{}, false, "[BODY].a. (INVALID) == 1"},
	{"deep-path", "[BODY].data[0].apps[1].name == app2", body(`{"data": [{"apps": [{"name":"app1"}, {"name":"app2"}]}]}`), Options{}, true, "[BODY].data[0].apps[1].name == app2"},
	{"body-path-through-null", "[BODY].a.b == 1", body(`{"a":null}`), Options{}, false, "[BODY].a.b (INVALID) == 1"},

	// Equality.
	{"hex-literal-equals-status", "[STATUS] == 0xC8", Input{Status: 200}, Options{}, true, "[STATUS] == 0xC8"},
	{"octal-literal", "[STATUS] == 0200", Input{Status: 128}, Options{}, true, "[STATUS] == 0200"},
	{"octal-literal-failure", "[STATUS] == 0200", Input{Status: 200}, Options{}, false, "[STATUS] (200) == 0200"},
	{"underscore-literal", "[STATUS] == 2_00", Input{Status: 200}, Options{}, true, "[STATUS] == 2_00"},
	{"plus-literal", "[STATUS] == +200", Input{Status: 200}, Options{}, true, "[STATUS] == +200"},
	{"float-literal-is-a-string", "[BODY] == 1.0", body("1"), Options{}, false, "[BODY] (1) == 1.0"},
	{"int-vs-word", "[STATUS] == OK", Input{Status: 200}, Options{}, false, "[STATUS] (200) == OK"},
	{"not-equal-ints", "[STATUS] != 0x1F4", Input{Status: 500}, Options{}, false, "[STATUS] (500) != 0x1F4"},
	{"string-inequality", "[BODY] != down", body("up"), Options{}, true, "[BODY] != down"},

	// pat().
	{"pat-star", "[BODY] == pat(*)", body(""), Options{}, true, "[BODY] == pat(*)"},
	{"pat-question-marks", "[STATUS] == pat(2??)", Input{Status: 204}, Options{}, true, "[STATUS] == pat(2??)"},
	{"pat-class", "[BODY] == pat([a-c]*)", body("body"), Options{}, true, "[BODY] == pat([a-c]*)"},
	{"pat-malformed-matches-nothing", "[BODY] == pat([)", body("["), Options{}, false, "[BODY] ([) == pat([)"},
	{"pat-separators-removed", "[BODY] == pat(*a/b*)", body("xa/bx"), Options{}, true, "[BODY] == pat(*a/b*)"},
	{"pat-star-crosses-separators", "[BODY] == pat(a*z)", body("a/b/z"), Options{}, true, "[BODY] == pat(a*z)"},
	{"pat-escape", `[BODY] == pat(a\*)`, body("a*"), Options{}, true, `[BODY] == pat(a\*)`},
	{"pat-not-equal", "[IP] != pat(10.*)", Input{IP: "192.168.0.1"}, Options{}, true, "[IP] != pat(10.*)"},
	{"pat-on-both-sides-unwraps-both", "pat(x) == pat(x)", Input{}, Options{}, true, "pat(x) == pat(x)"},
	{"pat-on-both-sides-differ", "pat(x*) == pat(xy)", Input{}, Options{}, false, "pat(x*) == pat(xy)"},
	{"pat-vs-any", "any(1, 2) == pat(2)", Input{}, Options{}, false, "any(1, 2) == pat(2)"},
	{"pat-from-body-value", "[BODY] == hello", body("pat(h*)"), Options{}, true, "[BODY] == hello"},
	{"pat-in-ordering-is-a-word", "[STATUS] < pat(5*)", Input{Status: 200}, Options{}, false, "[STATUS] (200) < pat(5*) (0)"},

	// any().
	{"any-trims-options-not-value", "[BODY] == any( a , b )", body(" b "), Options{}, true, "[BODY] == any( a , b )"},
	{"any-compares-strings-only", "[STATUS] == any(0xC8)", Input{Status: 200}, Options{}, false, "[STATUS] (200) == any(0xC8)"},
	{"any-empty-option", "[IP] == any(, 1.1.1.1)", Input{}, Options{}, true, "[IP] == any(, 1.1.1.1)"},
	{"any-single", "[DNS_RCODE] == any(NOERROR)", Input{DNSRCode: "NOERROR"}, Options{}, true, "[DNS_RCODE] == any(NOERROR)"},
	{"any-not-equal", "[STATUS] != any(500, 503)", Input{Status: 200}, Options{}, true, "[STATUS] != any(500, 503)"},
	{"any-not-equal-failure", "[STATUS] != any(500, 503)", Input{Status: 503}, Options{}, false, "[STATUS] (503) != any(500, 503)"},
	{"any-on-both-sides-unwraps-both", "any(a) == any(a)", Input{}, Options{}, true, "any(a) == any(a)"},
	{"any-from-body-value", "[BODY].v == 2", body(`{"v":"any(1, 2)"}`), Options{}, true, "[BODY].v == 2"},
	{"unknown-function-is-literal", "[BODY] == foo(x)", body("foo(x)"), Options{}, true, "[BODY] == foo(x)"},
	{"paren-suffix-int-compare", "[BODY] == 5)", body("5)"), Options{}, true, "[BODY] == 5)"},

	// Ordering comparators and numbers.
	{"float-truncated", "[BODY].n < 1.5", body(`{"n":1.2}`), Options{}, false, "[BODY].n (1) < 1.5 (1)"},
	{"duration-in-body", "[BODY].n > 1h", body(`{"n":"2h"}`), Options{}, true, "[BODY].n > 1h"},
	{"hex-in-ordering", "[BODY].n >= 0x10", body(`{"n":16}`), Options{}, true, "[BODY].n >= 0x10"},
	{"exponent-literal", "[RESPONSE_TIME] < 1e3", Input{ResponseTime: 500 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] < 1e3"},
	{"negative-literal", "[STATUS] > -1", Input{}, Options{}, true, "[STATUS] > -1"},
	{"words-are-zero", "a < b", Input{}, Options{}, false, "a (0) < b (0)"},
	{"words-are-equal-zero", "a <= b", Input{}, Options{}, true, "a <= b"},
	{"zero-literal-displays-as-duration", "len([BODY].data) > 0", body(`{"data":[]}`), Options{}, false, "len([BODY].data) (0) > 0 (0s)"},
	{"status-zero", "[STATUS] > 0", Input{}, Options{}, false, "[STATUS] (0) > 0 (0s)"},
	{"ten-seconds-shows-as-1", "[RESPONSE_TIME] < 10s", Input{ResponseTime: 12 * time.Second}, Options{}, false, "[RESPONSE_TIME] (12000) < 10s (1)"},
	{"twenty-minutes-shows-as-2", "[RESPONSE_TIME] < 20m", Input{ResponseTime: 21 * time.Minute}, Options{}, false, "[RESPONSE_TIME] (1260000) < 20m (2)"},
	{"one-minute", "[RESPONSE_TIME] <= 1m", Input{ResponseTime: 90 * time.Second}, Options{}, false, "[RESPONSE_TIME] (90000) <= 1m"},
	{"duration-literal-reformatted", "[CERTIFICATE_EXPIRATION] > 90m", Input{CertificateExpiration: time.Hour}, Options{}, false, "[CERTIFICATE_EXPIRATION] (1h) > 90m (1h3)"},
	{"certificate-trailing-zero-minutes", "[CERTIFICATE_EXPIRATION] > 720h", Input{CertificateExpiration: 600*time.Hour + 10*time.Minute}, Options{}, false, "[CERTIFICATE_EXPIRATION] (600h1) > 720h"},
	{"certificate-seconds", "[CERTIFICATE_EXPIRATION] > 48h", Input{CertificateExpiration: 1500 * time.Millisecond}, Options{}, false, "[CERTIFICATE_EXPIRATION] (1s) > 48h"},
	{"certificate-expired", "[CERTIFICATE_EXPIRATION] > 48h", Input{CertificateExpiration: -36 * time.Hour}, Options{}, false, "[CERTIFICATE_EXPIRATION] (-36h) > 48h"},
	{"certificate-zero", "[CERTIFICATE_EXPIRATION] > 0", Input{}, Options{}, false, "[CERTIFICATE_EXPIRATION] (0s) > 0 (0s)"},
	{"certificate-h-m-s", "[CERTIFICATE_EXPIRATION] > 48h", Input{CertificateExpiration: time.Hour + 15*time.Second}, Options{}, false, "[CERTIFICATE_EXPIRATION] (1h0m15s) > 48h"},
	{"certificate-lower-case-shows-integer", "[certificate_expiration] > 48h", Input{CertificateExpiration: 24 * time.Hour}, Options{}, false, "[certificate_expiration] (86400000) > 48h"},
	{"certificate-on-right", "48h < [CERTIFICATE_EXPIRATION]", Input{CertificateExpiration: 24 * time.Hour}, Options{}, false, "48h < [CERTIFICATE_EXPIRATION] (24h)"},
	{"domain-expiration", "[DOMAIN_EXPIRATION] > 720h", Input{DomainExpiration: 4000 * time.Hour}, Options{}, true, "[DOMAIN_EXPIRATION] > 720h"},
	{"domain-expiration-failure", "[DOMAIN_EXPIRATION] > 720h", Input{DomainExpiration: 100 * time.Hour}, Options{}, false, "[DOMAIN_EXPIRATION] (100h) > 720h"},
	{"domain-expiration-resolved-success", "[DOMAIN_EXPIRATION] > 720h", Input{DomainExpiration: 1234*time.Hour + 56*time.Minute + 7*time.Second}, Options{ResolveSuccessful: true}, true, "[DOMAIN_EXPIRATION] (1234h56m7s) > 720h"},
	{"sub-millisecond-duration-literal", "[RESPONSE_TIME] > 500us", Input{}, Options{}, false, "[RESPONSE_TIME] (0) > 500us (0s)"},

	// Truncation of values compared with a pattern.
	{"truncate-counts-runes", "[BODY] == pat(x)", body(strings.Repeat("é", 30)), Options{}, false, "[BODY] (" + strings.Repeat("é", 25) + "...(truncated)) == pat(x)"},
	{"truncate-test-counts-bytes", "[BODY] == pat(x)", body(strings.Repeat("é", 13)), Options{}, false, "[BODY] (" + strings.Repeat("é", 13) + "...(truncated)) == pat(x)"},
	{"no-truncation-at-25-bytes", "[BODY] == pat(x)", body(strings.Repeat("a", 25)), Options{}, false, "[BODY] (" + strings.Repeat("a", 25) + ") == pat(x)"},
	{"truncation-at-26-bytes", "[BODY] == pat(x)", body(strings.Repeat("a", 26)), Options{}, false, "[BODY] (" + strings.Repeat("a", 25) + "...(truncated)) == pat(x)"},
	{"no-truncation-without-pattern", "[BODY] == x", body(strings.Repeat("a", 30)), Options{}, false, "[BODY] (" + strings.Repeat("a", 30) + ") == x"},
	{"truncate-invalid-utf8-bytes-count-as-one", "[BODY] == pat(x)", body(strings.Repeat("\xff", 30)), Options{}, false, "[BODY] (" + strings.Repeat("\xff", 25) + "...(truncated)) == pat(x)"},
	{"numbers-never-truncated", "[BODY] > pat(x)", body("abcdefghijklmnopqrstuvwxyz0123"), Options{}, false, "[BODY] (0) > pat(x) (0)"},
}

func TestEvaluateQuirks(t *testing.T) {
	runEvalCases(t, quirkCases)
}

// TestEvaluateMachineDependentConversions covers conversions whose result Go
// leaves to the architecture (a float out of int64's range): whatever the
// machine gives, custodes gives the same as Gatus on that machine.
func TestEvaluateMachineDependentConversions(t *testing.T) {
	inf := math.Inf(1)
	big := 1e20
	for _, tc := range []struct {
		cond string
		f    float64
	}{
		{"[RESPONSE_TIME] < inf", inf},
		{"[RESPONSE_TIME] < 99999999999999999999", big},
	} {
		n := int64(tc.f)
		c, err := Parse(tc.cond)
		if err != nil {
			t.Fatal(err)
		}
		got := c.Evaluate(&Input{ResponseTime: 500 * time.Millisecond}, Options{ResolveSuccessful: true})
		right := strings.SplitN(tc.cond, " < ", 2)[1]
		want := Result{Success: 500 < n, Condition: "[RESPONSE_TIME] (500) < " + right + " (" + strconv.FormatInt(n, 10) + ")"}
		if got != want {
			t.Errorf("%q: got %+v, want %+v", tc.cond, got, want)
		}
	}
}

func TestEvaluateNilInput(t *testing.T) {
	c, err := Parse("[STATUS] == 200")
	if err != nil {
		t.Fatal(err)
	}
	want := Result{Condition: "[STATUS] (0) == 200", Success: false}
	if got := c.Evaluate(nil, Options{}); got != want {
		t.Errorf("Evaluate(nil) = %+v, want %+v", got, want)
	}
	if got := EvaluateAll(nil, []*Condition{c}, nil, Options{}); len(got) != 1 || got[0] != want {
		t.Errorf("EvaluateAll(nil input) = %+v, want [%+v]", got, want)
	}
}
