package condition

import (
	"testing"
	"time"
)

// resolveText resolves one operand text against in.
func resolveText(text string, in *Input) string {
	o := parseOperand(text)
	st := newState(in)
	v := o.resolve(&st)
	return v.String()
}

// TestResolvePlaceholders follows Gatus's placeholder tests.
func TestResolvePlaceholders(t *testing.T) {
	in := &Input{
		Status:                200,
		IP:                    "127.0.0.1",
		ResponseTime:          250 * time.Millisecond,
		DNSRCode:              "NOERROR",
		Connected:             true,
		CertificateExpiration: 30 * 24 * time.Hour,
		DomainExpiration:      365 * 24 * time.Hour,
		Body:                  []byte(`{"status":"success","items":[1,2,3],"user":{"name":"john","id":123}}`),
	}
	for _, tc := range []struct{ text, want string }{
		{"[STATUS]", "200"},
		{"[IP]", "127.0.0.1"},
		{"[RESPONSE_TIME]", "250"},
		{"[DNS_RCODE]", "NOERROR"},
		{"[CONNECTED]", "true"},
		{"[CERTIFICATE_EXPIRATION]", "2592000000"},
		{"[DOMAIN_EXPIRATION]", "31536000000"},
		{"[BODY]", `{"status":"success","items":[1,2,3],"user":{"name":"john","id":123}}`},
		{"[status]", "200"},
		{"[Ip]", "127.0.0.1"},
		{"len([STATUS])", "3"},
		{"len([IP])", "9"},
		{"len([RESPONSE_TIME])", "3"},
		{"len([CONNECTED])", "4"},
		{"len([DNS_RCODE])", "7"},
		{"len([CERTIFICATE_EXPIRATION])", "10"},
		{"has([STATUS])", "true"},
		{"has([DOMAIN_EXPIRATION])", "true"},
		{"has([CONNECTED])", "true"},
		{"has()", "false"},
		{"len()", "len() (INVALID)"},
		{"[BODY].status", "success"},
		{"[BODY].user.name", "john"},
		{"[BODY].user.id", "123"},
		{"[BODY].user", `{"id":123,"name":"john"}`},
		{"[BODY].items", "[1 2 3]"},
		{"len([BODY].items)", "3"},
		{"len([BODY].user)", "24"},
		{"len([BODY])", "68"},
		{"[BODY].items[0]", "1"},
		{"[BODY].items[2]", "3"},
		{"[BODY].items[3]", "[BODY].items[3] (INVALID)"},
		{"has([BODY].status)", "true"},
		{"has([BODY].user)", "true"},
		{"has([BODY].missing)", "false"},
		{"has([BODY])", "true"},
		{"[UNKNOWN]", "[UNKNOWN]"},
		{"len([UNKNOWN])", "len([UNKNOWN]) (INVALID)"},
		{"has([UNKNOWN])", "false"},
		{"[BODY].invalid.path", "[BODY].invalid.path (INVALID)"},
		{"len([BODY].invalid.path)", "len([BODY].invalid.path) (INVALID)"},
		{"literal", "literal"},
		{"123", "123"},
		{"", ""},
		{"[CONTEXT].user_id", "[CONTEXT].user_id"},
		{"has([CONTEXT].user_id)", "false"},
		{"pat(*)", "pat(*)"},
		{"any(1, 2)", "any(1, 2)"},
	} {
		if got := resolveText(tc.text, in); got != tc.want {
			t.Errorf("resolve(%q) = %q, want %q", tc.text, got, tc.want)
		}
		if ref := refResolve(tc.text, in); ref != tc.want {
			t.Errorf("reference resolve(%q) = %q, want %q", tc.text, ref, tc.want)
		}
	}
}

// TestJSONPath follows Gatus's JSON path tests: the text and length of what
// a path leads to, or an error.
func TestJSONPath(t *testing.T) {
	for _, tc := range []struct {
		name, path, data string
		want             string
		wantLen          int
		wantErr          bool
	}{
		{"simple", "key", `{"key": "value"}`, "value", 5, false},
		{"simple-with-invalid-data", "key", "invalid data", "", 0, true},
		{"invalid-path", "key", `{}`, "", 0, true},
		{"long-simple-walk", "long.simple.walk", `{"long": {"simple": {"walk": "value"}}}`, "value", 5, false},
		{"array-of-objects", "ids[1].id", `{"ids": [{"id": 1}, {"id": 2}]}`, "2", 1, false},
		{"array-of-values", "ids[0]", `{"ids": [1, 2]}`, "1", 1, false},
		{"array-of-values-with-no-path", "", `[1, 2]`, "[1 2]", 2, false},
		{"array-of-values-and-invalid-index", "ids[wat]", `{"ids": [1, 2]}`, "", 0, true},
		{"array-of-values-at-root", "[1]", `[1, 2]`, "2", 1, false},
		{"array-of-objects-at-root", "[0]", `[{"id": 1}, {"id": 2}]`, `{"id":1}`, 8, false},
		{"array-of-objects-with-int-at-root", "[0].id", `[{"id": 1}, {"id": 2}]`, "1", 1, false},
		{"array-of-objects-at-root-and-invalid-index", "[5].id", `[{"id": 1}, {"id": 2}]`, "", 0, true},
		{"long-walk-and-array", "data.ids[0].id", `{"data": {"ids": [{"id": 1}, {"id": 2}, {"id": 3}]}}`, "1", 1, false},
		{"nested-array", "[3][2]", `[[1, 2], [3, 4], [], [5, 6, 7]]`, "7", 1, false},
		{"object-with-nested-arrays", "data[1][1]", `{"data": [["a", "b", "c"], ["d", "eeeee", "f"]]}`, "eeeee", 5, false},
		{"object-with-arrays-of-objects", "data[0].apps[1].name", `{"data": [{"apps": [{"name":"app1"}, {"name":"app2"}, {"name":"app3"}]}]}`, "app2", 4, false},
		{"object-with-arrays-of-objects-with-missing-element", "data[0].apps[1].name", `{"data": [{"apps": []}]}`, "", 0, true},
		{"partially-invalid-path-issue122", "data.name.invalid", `{"data": {"name": "john"}}`, "", 0, true},
		{"float-as-string", "balance", `{"balance": "123.40000000000005"}`, "123.40000000000005", 18, false},
		{"float-as-number", "balance", `{"balance": 123.40000000000005}`, "123.40000000000005", 18, false},
		{"empty-path-non-array-is-raw", "", ` {"a":1} `, ` {"a":1} `, 9, false},
		{"empty-path-broken-array", "", `[1,` + "]", "", 0, true},
		{"deep-nested-index", "[0][0][0]", `[[[9]]]`, "9", 1, false},
		{"unclosed-bracket-is-missing", "a[[0]]", `{"a":[[1]]}`, "", 0, true},
		{"bool", "b", `{"b":false}`, "false", 5, false},
		{"null-leaf", "n", `{"n":null}`, "", 0, true},
		{"unicode-key", "clé", `{"clé":"v"}`, "v", 1, false},
		{"invalid-utf8-replaced", "s", "{\"s\":\"a\xffb\"}", "a\uFFFDb", 5, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := parsePath(tc.path)
			st := newState(&Input{Body: []byte(tc.data)})
			text, err := st.pathText(&p)
			n, lenErr := st.pathLen(&p)
			if (err != nil) != tc.wantErr || (lenErr != nil) != tc.wantErr {
				t.Fatalf("errors %v, %v; want error: %v", err, lenErr, tc.wantErr)
			}
			if st.pathFound(&p) == tc.wantErr {
				t.Errorf("pathFound = %v, want %v", !tc.wantErr, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if text != tc.want || n != tc.wantLen {
				t.Errorf("got %q (len %d), want %q (len %d)", text, n, tc.want, tc.wantLen)
			}
			refText, refLen, refErr := refJSONEval(tc.path, []byte(tc.data))
			if refErr != nil || refText != text || refLen != n {
				t.Errorf("reference model: %q (len %d, err %v)", refText, refLen, refErr)
			}
		})
	}
}

func TestParsePathKeys(t *testing.T) {
	for _, tc := range []struct {
		path string
		want []string // each key's name, with [index] and ->next for indexed keys
	}{
		{"", []string{""}},
		{"a", []string{"a"}},
		{"a.b.c", []string{"a", "b", "c"}},
		{"a.", []string{"a", ""}},
		{".a", []string{"", "a"}},
		{"a[0].b", []string{"a[0]", "b"}},
		{"[0][1].x", []string{"[0]->[1]", "x"}},
		{"a[b.c]", []string{"a[bad]"}},
		{"a].b", []string{"a].b"}}, // a stray "]" leaves the rest at depth -1
		{"a[0]x[1]", []string{"a[0]"}},
		{"a[-1]", []string{"a[bad]"}},
		{"a[x]", []string{"a[bad]"}},
		{"a[[0]]", []string{"[bad]"}},
	} {
		p := parsePath(tc.path)
		var got []string
		for _, k := range p.keys {
			got = append(got, describeKey(&k))
		}
		if len(got) != len(tc.want) {
			t.Errorf("parsePath(%q) = %q, want %q", tc.path, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parsePath(%q) = %q, want %q", tc.path, got, tc.want)
				break
			}
		}
	}
}

func describeKey(k *pathKey) string {
	if !k.indexed {
		return k.name
	}
	s := k.name + "["
	if k.index < 0 {
		s += "bad"
	} else {
		s += itoa(k.index)
	}
	s += "]"
	if k.next != nil {
		s += "->" + describeKey(k.next)
	}
	return s
}

func itoa(n int) string {
	v := intValue(int64(n))
	return v.String()
}

// TestMatchPattern follows Gatus's pattern tests.
func TestMatchPattern(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		want       bool
	}{
		{"*", "livingroom_123", true},
		{"**", "livingroom_123", true},
		{"living*", "livingroom_123", true},
		{"*living*", "livingroom_123", true},
		{"*123", "livingroom_123", true},
		{"*_*", "livingroom_123", true},
		{"living*_*3", "livingroom_123", true},
		{"living*room_*3", "livingroom_123", true},
		{"*vin*om*2*", "livingroom_123", true},
		{"livingroom_123", "livingroom_123", true},
		{"*livingroom_123*", "livingroom_123", true},
		{"*test*", "\\test", true},
		{"livingroom", "livingroom_123", false},
		{"livingroom123", "livingroom_123", false},
		{"what", "livingroom_123", false},
		{"*what*", "livingroom_123", false},
		{"*.*", "livingroom_123", false},
		{"room*123", "livingroom_123", false},
		{"*", "", true},
		{"", "", true},
		{"", "a", false},
		{"a/b", "ab", true},
		{"ab", "a/b", true},
		{"[", "[", false},
		{"[!a]", "b", false}, // only "^" negates a class
		{"[^a]", "b", true},
		{"?", "é", true},
	} {
		if got := matchPattern(tc.pattern, tc.s); got != tc.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tc.pattern, tc.s, got, tc.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{500 * time.Millisecond, "0s"},
		{time.Second, "1s"},
		{10 * time.Second, "1"}, // Gatus trims the "0s" of "10s"
		{15 * time.Second, "15s"},
		{time.Minute, "1m"},
		{20 * time.Minute, "2"}, // "20m0s" -> "20m" -> "2"
		{time.Hour, "1h"},
		{90 * time.Minute, "1h3"},
		{time.Hour + 15*time.Second, "1h0m15s"},
		{48 * time.Hour, "48h"},
		{336 * time.Hour, "336h"},
		{-36 * time.Hour, "-36h"},
		{-1500 * time.Millisecond, "-1s"},
	} {
		if got := formatDuration(tc.d); got != tc.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
		if ref := refFormatDuration(tc.d); ref != tc.want {
			t.Errorf("reference formatDuration(%v) = %q, want %q", tc.d, ref, tc.want)
		}
	}
}

func TestToNumber(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want int64
	}{
		{"", 0},
		{"0", 0},
		{"42", 42},
		{"-42", -42},
		{"+7", 7},
		{"0x10", 16},
		{"0o10", 8},
		{"0b10", 2},
		{"010", 8},
		{"1_000", 1000},
		{"1.9", 1},
		{"-1.9", -1},
		{".5", 0},
		{"2.5e3", 2500},
		{"1s", 1000},
		{"1h", 3600000},
		{"1.5s", 1500},
		{"-2m", -120000},
		{"500us", 0},
		{"1µs", 0},
		{"0s", 0},
		{"1d", 0},
		{"potato", 0},
		{"12ms", 12},
		{"1h30m", 5400000},
		{"NaN", int64(nan)},
		{"infinity", int64(inf)},
	} {
		if got := toNumber(tc.s); got != tc.want {
			t.Errorf("toNumber(%q) = %d, want %d", tc.s, got, tc.want)
		}
		if ref := refNumber(tc.s); ref != tc.want {
			t.Errorf("refNumber(%q) = %d, want %d", tc.s, ref, tc.want)
		}
	}
}

// Variables, so that converting them to int64 happens at run time as in
// the code under test.
var (
	nan = func() float64 { var z float64; return z / z }()
	inf = func() float64 { var z float64; return 1 / z }()
)

func TestEqualText(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want bool
	}{
		{"200", "200", true},
		{"200", "0xC8", true},
		{"0b1", "0o1", true},
		{"1", "1.0", false},
		{"abc", "abc", true},
		{"", "", true},
		{"abc", "pat(a*)", true},
		{"pat(a*)", "abc", true},
		{"pat(a*)", "pat(a*)", true},
		{"pat(b*)", "pat(a*)", false},
		{"x", "any(x, y)", true},
		{"any(x, y)", " y", false},
		{"z", "any(x, y)", false},
		{"any(x)", "any(x)", true},
		{"foo(1)", "foo(1)", true},
		{"pat(1)", "any(1)", false},
		{"1)", "1)", true},
		{"pat(", "pat(", true},
	} {
		if got := equalText(tc.a, tc.b); got != tc.want {
			t.Errorf("equalText(%q, %q) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
		if ref := refEqual(tc.a, tc.b); ref != tc.want {
			t.Errorf("refEqual(%q, %q) = %v, want %v", tc.a, tc.b, ref, tc.want)
		}
	}
}

func TestDecimalLen(t *testing.T) {
	for _, n := range []int64{0, 1, 9, 10, 99, 100, -1, -9, -10, 1<<63 - 1, -1 << 63} {
		v := intValue(n)
		if got, want := decimalLen(n), len(v.String()); got != want {
			t.Errorf("decimalLen(%d) = %d, want %d", n, got, want)
		}
	}
}
