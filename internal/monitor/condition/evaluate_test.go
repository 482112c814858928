package condition

import (
	"testing"
	"time"
)

type evalCase struct {
	name string
	cond string
	in   Input
	opts Options
	ok   bool   // expected success
	show string // expected display
}

func body(s string) Input { return Input{Body: []byte(s)} }

// gatusCases are the scenarios of Gatus's own condition tests, with the
// results Gatus expects.
var gatusCases = []evalCase{
	{"ip", "[IP] == 127.0.0.1", Input{IP: "127.0.0.1"}, Options{}, true, "[IP] == 127.0.0.1"},
	{"status", "[STATUS] == 200", Input{Status: 200}, Options{}, true, "[STATUS] == 200"},
	{"status-failure", "[STATUS] == 200", Input{Status: 500}, Options{}, false, "[STATUS] (500) == 200"},
	{"status-using-less-than", "[STATUS] < 300", Input{Status: 201}, Options{}, true, "[STATUS] < 300"},
	{"status-using-less-than-failure", "[STATUS] < 300", Input{Status: 404}, Options{}, false, "[STATUS] (404) < 300"},
	{"response-time-using-less-than", "[RESPONSE_TIME] < 500", Input{ResponseTime: 50 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] < 500"},
	{"response-time-using-less-than-with-duration", "[RESPONSE_TIME] < 1s", Input{ResponseTime: 50 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] < 1s"},
	{"response-time-using-less-than-invalid", "[RESPONSE_TIME] < potato", Input{ResponseTime: 50 * time.Millisecond}, Options{}, false, "[RESPONSE_TIME] (50) < potato (0)"},
	{"response-time-using-greater-than", "[RESPONSE_TIME] > 500", Input{ResponseTime: 750 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] > 500"},
	{"response-time-using-greater-than-with-duration", "[RESPONSE_TIME] > 1s", Input{ResponseTime: 2 * time.Second}, Options{}, true, "[RESPONSE_TIME] > 1s"},
	{"response-time-using-greater-than-or-equal-to-equal", "[RESPONSE_TIME] >= 500", Input{ResponseTime: 500 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] >= 500"},
	{"response-time-using-greater-than-or-equal-to-failure", "[RESPONSE_TIME] >= 500", Input{ResponseTime: 499 * time.Millisecond}, Options{}, false, "[RESPONSE_TIME] (499) >= 500"},
	{"response-time-using-less-than-or-equal-to-equal", "[RESPONSE_TIME] <= 500", Input{ResponseTime: 500 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] <= 500"},
	{"response-time-using-less-than-or-equal-to-less", "[RESPONSE_TIME] <= 500", Input{ResponseTime: 25 * time.Millisecond}, Options{}, true, "[RESPONSE_TIME] <= 500"},
	{"response-time-using-less-than-or-equal-to-failure", "[RESPONSE_TIME] <= 500", Input{ResponseTime: 750 * time.Millisecond}, Options{}, false, "[RESPONSE_TIME] (750) <= 500"},
	{"body", "[BODY] == test", body("test"), Options{}, true, "[BODY] == test"},
	{"body-resolved-on-success", "[BODY].status == UP", body(`{"status":"UP"}`), Options{ResolveSuccessful: true}, true, "[BODY].status (UP) == UP"},
	{"body-numerical-equal", "[BODY] == 123", body("123"), Options{}, true, "[BODY] == 123"},
	{"body-numerical-less-than", "[BODY] < 124", body("123"), Options{}, true, "[BODY] < 124"},
	{"body-numerical-greater-than", "[BODY] > 122", body("123"), Options{}, true, "[BODY] > 122"},
	{"body-numerical-greater-than-failure", "[BODY] > 123", body("100"), Options{}, false, "[BODY] (100) > 123"},
	{"body-jsonpath", "[BODY].status == UP", body(`{"status":"UP"}`), Options{}, true, "[BODY].status == UP"},
	{"body-jsonpath-complex", "[BODY].data.name == john", body(`{"data": {"id": 1, "name": "john"}}`), Options{}, true, "[BODY].data.name == john"},
	{"body-jsonpath-complex-invalid", "[BODY].data.name == john", body(`{"data": {"id": 1}}`), Options{}, false, "[BODY].data.name (INVALID) == john"},
	{"body-jsonpath-complex-len-invalid", "len([BODY].data.name) == john", body(`{"data": {"id": 1}}`), Options{}, false, "len([BODY].data.name) (INVALID) == john"},
	{"body-jsonpath-double-placeholder", "[BODY].user.firstName != [BODY].user.lastName", body(`{"user": {"firstName": "john", "lastName": "doe"}}`), Options{}, true, "[BODY].user.firstName != [BODY].user.lastName"},
	{"body-jsonpath-double-placeholder-failure", "[BODY].user.firstName == [BODY].user.lastName", body(`{"user": {"firstName": "john", "lastName": "doe"}}`), Options{}, false, "[BODY].user.firstName (john) == [BODY].user.lastName (doe)"},
	{"body-jsonpath-when-body-is-array", "[BODY][0].id == 1", body(`[{"id": 1}, {"id": 2}]`), Options{}, true, "[BODY][0].id == 1"},
	{"body-jsonpath-when-body-has-null-parameter", "[BODY].data == OK", body(`{"data": null}"`), Options{}, false, "[BODY].data (INVALID) == OK"},
	{"body-jsonpath-when-body-has-array-with-null", "[BODY].items[0] == OK", body(`{"items": [null, null]}"`), Options{}, false, "[BODY].items[0] (INVALID) == OK"},
	{"body-jsonpath-when-body-is-null", "[BODY].data == OK", body(`null`), Options{}, false, "[BODY].data (INVALID) == OK"},
	{"body-jsonpath-when-body-is-array-but-actual-body-is-not", "[BODY][0].name == test", body(`{"statusCode": 500, "message": "Internal Server Error"}`), Options{}, false, "[BODY][0].name (INVALID) == test"},
	{"body-jsonpath-complex-int", "[BODY].data.id == 1", body(`{"data": {"id": 1}}`), Options{}, true, "[BODY].data.id == 1"},
	{"body-jsonpath-complex-array-int", "[BODY].data[1].id == 2", body(`{"data": [{"id": 1}, {"id": 2}, {"id": 3}]}`), Options{}, true, "[BODY].data[1].id == 2"},
	{"body-jsonpath-complex-int-using-greater-than", "[BODY].data.id > 0", body(`{"data": {"id": 1}}`), Options{}, true, "[BODY].data.id > 0"},
	{"body-jsonpath-hexadecimal-int-using-greater-than", "[BODY].data > 0", body(`{"data": "0x1"}`), Options{}, true, "[BODY].data > 0"},
	{"body-jsonpath-hexadecimal-int-using-equal-to-0x1", "[BODY].data == 1", body(`{"data": "0x1"}`), Options{}, true, "[BODY].data == 1"},
	{"body-jsonpath-hexadecimal-int-using-equals", "[BODY].data == 0x1", body(`{"data": "0x1"}`), Options{}, true, "[BODY].data == 0x1"},
	{"body-jsonpath-hexadecimal-int-using-equal-to-0x2", "[BODY].data == 2", body(`{"data": "0x2"}`), Options{}, true, "[BODY].data == 2"},
	{"body-jsonpath-hexadecimal-int-using-equal-to-0xF", "[BODY].data == 15", body(`{"data": "0xF"}`), Options{}, true, "[BODY].data == 15"},
	{"body-jsonpath-hexadecimal-int-using-equal-to-0xC0ff33", "[BODY].data == 12648243", body(`{"data": "0xC0ff33"}`), Options{}, true, "[BODY].data == 12648243"},
	{"body-jsonpath-hexadecimal-int-len", "len([BODY].data) == 3", body(`{"data": "0x1"}`), Options{}, true, "len([BODY].data) == 3"},
	{"body-jsonpath-hexadecimal-int-greater", "[BODY].data >= 1", body(`{"data": "0x01"}`), Options{}, true, "[BODY].data >= 1"},
	{"body-jsonpath-hexadecimal-int-0x01-len", "len([BODY].data) == 4", body(`{"data": "0x01"}`), Options{}, true, "len([BODY].data) == 4"},
	{"body-jsonpath-octal-int-using-greater-than", "[BODY].data > 0", body(`{"data": "0o1"}`), Options{}, true, "[BODY].data > 0"},
	{"body-jsonpath-octal-int-using-equal", "[BODY].data == 2", body(`{"data": "0o2"}`), Options{}, true, "[BODY].data == 2"},
	{"body-jsonpath-octal-int-using-equals", "[BODY].data == 0o2", body(`{"data": "0o2"}`), Options{}, true, "[BODY].data == 0o2"},
	{"body-jsonpath-binary-int-using-greater-than", "[BODY].data > 0", body(`{"data": "0b1"}`), Options{}, true, "[BODY].data > 0"},
	{"body-jsonpath-binary-int-using-equal", "[BODY].data == 2", body(`{"data": "0b0010"}`), Options{}, true, "[BODY].data == 2"},
	{"body-jsonpath-binary-int-using-equals", "[BODY].data == 0b10", body(`{"data": "0b0010"}`), Options{}, true, "[BODY].data == 0b10"},
	{"body-jsonpath-complex-int-using-greater-than-failure", "[BODY].data.id > 5", body(`{"data": {"id": 1}}`), Options{}, false, "[BODY].data.id (1) > 5"},
	{"body-jsonpath-float-using-greater-than-issue433", "[BODY].balance > 100", body(`{"balance": "123.40000000000005"}`), Options{}, true, "[BODY].balance > 100"},
	{"body-jsonpath-complex-int-using-less-than", "[BODY].data.id < 5", body(`{"data": {"id": 2}}`), Options{}, true, "[BODY].data.id < 5"},
	{"body-jsonpath-complex-int-using-less-than-failure", "[BODY].data.id < 5", body(`{"data": {"id": 10}}`), Options{}, false, "[BODY].data.id (10) < 5"},
	{"connected", "[CONNECTED] == true", Input{Connected: true}, Options{}, true, "[CONNECTED] == true"},
	{"connected-failure", "[CONNECTED] == true", Input{Connected: false}, Options{}, false, "[CONNECTED] (false) == true"},
	{"certificate-expiration-not-set", "[CERTIFICATE_EXPIRATION] == 0", Input{}, Options{}, true, "[CERTIFICATE_EXPIRATION] == 0"},
	{"certificate-expiration-greater-than-numerical", "[CERTIFICATE_EXPIRATION] > 2419200000", Input{CertificateExpiration: 60 * 24 * time.Hour}, Options{}, true, "[CERTIFICATE_EXPIRATION] > 2419200000"},
	{"certificate-expiration-greater-than-numerical-failure", "[CERTIFICATE_EXPIRATION] > 2419200000", Input{CertificateExpiration: 14 * 24 * time.Hour}, Options{}, false, "[CERTIFICATE_EXPIRATION] (336h) > 2419200000"},
	{"certificate-expiration-greater-than-duration", "[CERTIFICATE_EXPIRATION] > 12h", Input{CertificateExpiration: 24 * time.Hour}, Options{}, true, "[CERTIFICATE_EXPIRATION] > 12h"},
	{"certificate-expiration-greater-than-duration-failure", "[CERTIFICATE_EXPIRATION] > 48h", Input{CertificateExpiration: 24 * time.Hour}, Options{}, false, "[CERTIFICATE_EXPIRATION] (24h) > 48h"},
	{"no-placeholders", "1 == 2", Input{}, Options{}, false, "1 == 2"},
	// len
	{"len-body-jsonpath-complex", "len([BODY].data.name) == 4", body(`{"data": {"name": "john"}}`), Options{}, true, "len([BODY].data.name) == 4"},
	{"len-body-array", "len([BODY]) == 3", body(`[{"id": 1}, {"id": 2}, {"id": 3}]`), Options{}, true, "len([BODY]) == 3"},
	{"len-body-keyed-array", "len([BODY].data) == 3", body(`{"data": [{"id": 1}, {"id": 2}, {"id": 3}]}`), Options{}, true, "len([BODY].data) == 3"},
	{"len-body-array-invalid", "len([BODY].data) == 8", body(`{"name": "john.doe"}`), Options{}, false, "len([BODY].data) (INVALID) == 8"},
	{"len-body-string", "len([BODY]) == 8", body("john.doe"), Options{}, true, "len([BODY]) == 8"},
	{"len-body-keyed-string", "len([BODY].name) == 8", body(`{"name": "john.doe"}`), Options{}, true, "len([BODY].name) == 8"},
	{"len-body-keyed-int", "len([BODY].age) == 2", body(`{"age":18}`), Options{}, true, "len([BODY].age) == 2"},
	{"len-body-keyed-bool", "len([BODY].adult) == 4", body(`{"adult":true}`), Options{}, true, "len([BODY].adult) == 4"},
	{"len-body-object-inside-array", "len([BODY][0]) == 23", body(`[{"age":18,"adult":true}]`), Options{}, true, "len([BODY][0]) == 23"},
	{"len-body-object-keyed-int-inside-array", "len([BODY][0].age) == 2", body(`[{"age":18,"adult":true}]`), Options{}, true, "len([BODY][0].age) == 2"},
	{"len-body-keyed-bool-inside-array", "len([BODY][0].adult) == 4", body(`[{"age":18,"adult":true}]`), Options{}, true, "len([BODY][0].adult) == 4"},
	{"len-body-object", "len([BODY]) == 20", body(`{"name": "john.doe"}`), Options{}, true, "len([BODY]) == 20"},
	// pat
	{"pat-body-1", "[BODY] == pat(*john*)", body(`{"name": "john.doe"}`), Options{}, true, "[BODY] == pat(*john*)"},
	{"pat-body-2", "[BODY].name == pat(john*)", body(`{"name": "john.doe"}`), Options{}, true, "[BODY].name == pat(john*)"},
	{"pat-body-failure", "[BODY].name == pat(bob*)", body(`{"name": "john.doe"}`), Options{}, false, "[BODY].name (john.doe) == pat(bob*)"},
	{"pat-body-html", `[BODY] == pat(*<div id="user">john.doe</div>*)`, body(htmlPage("john.doe")), Options{}, true, `[BODY] == pat(*<div id="user">john.doe</div>*)`},
	{"pat-body-html-failure", `[BODY] == pat(*<div id="user">john.doe</div>*)`, body(htmlPage("jane.doe")), Options{}, false, `[BODY] (<!DOCTYPE html><html lang...(truncated)) == pat(*<div id="user">john.doe</div>*)`},
	{"pat-body-html-failure-alt", `pat(*<div id="user">john.doe</div>*) == [BODY]`, body(htmlPage("jane.doe")), Options{}, false, `pat(*<div id="user">john.doe</div>*) == [BODY] (<!DOCTYPE html><html lang...(truncated))`},
	{"pat-body-in-array", "[BODY].data == pat(*Whatever*)", body(`{"data": ["hello", "world", "Whatever"]}`), Options{}, true, "[BODY].data == pat(*Whatever*)"},
	{"pat-ip", "[IP] == pat(10.*)", Input{IP: "10.0.0.0"}, Options{}, true, "[IP] == pat(10.*)"},
	{"pat-ip-failure", "[IP] == pat(10.*)", Input{IP: "255.255.255.255"}, Options{}, false, "[IP] (255.255.255.255) == pat(10.*)"},
	{"pat-status", "[STATUS] == pat(4*)", Input{Status: 404}, Options{}, true, "[STATUS] == pat(4*)"},
	{"pat-status-failure", "[STATUS] == pat(4*)", Input{Status: 200}, Options{}, false, "[STATUS] (200) == pat(4*)"},
	// any
	{"any-body-1", "[BODY].name == any(john.doe, jane.doe)", body(`{"name": "john.doe"}`), Options{}, true, "[BODY].name == any(john.doe, jane.doe)"},
	{"any-body-2", "[BODY].name == any(john.doe, jane.doe)", body(`{"name": "jane.doe"}`), Options{}, true, "[BODY].name == any(john.doe, jane.doe)"},
	{"any-body-failure", "[BODY].name == any(john.doe, jane.doe)", body(`{"name": "bob"}`), Options{}, false, "[BODY].name (bob) == any(john.doe, jane.doe)"},
	{"any-status-1", "[STATUS] == any(200, 429)", Input{Status: 200}, Options{}, true, "[STATUS] == any(200, 429)"},
	{"any-status-2", "[STATUS] == any(200, 429)", Input{Status: 429}, Options{}, true, "[STATUS] == any(200, 429)"},
	{"any-status-reverse", "any(200, 429) == [STATUS]", Input{Status: 429}, Options{}, true, "any(200, 429) == [STATUS]"},
	{"any-status-failure", "[STATUS] == any(200, 429)", Input{Status: 404}, Options{}, false, "[STATUS] (404) == any(200, 429)"},
	{"any-status-failure-but-dont-resolve", "[STATUS] == any(200, 429)", Input{Status: 404}, Options{DontResolveFailed: true}, false, "[STATUS] == any(200, 429)"},
	// has
	{"has", "has([BODY].errors) == false", body(`{}`), Options{}, true, "has([BODY].errors) == false"},
	{"has-key-of-map", "has([BODY].article) == true", body("{\n  \"article\": {\n    \"id\": 123,\n    \"title\": \"Hello, world!\",\n    \"tags\": [\"hello\", \"world\"]\n  }\n}"), Options{}, true, "has([BODY].article) == true"},
	{"has-failure", "has([BODY].errors) == false", body(`{"errors": ["1"]}`), Options{}, false, "has([BODY].errors) (true) == false"},
	{"has-failure-but-dont-resolve", "has([BODY].errors) == false", body(`{"errors": ["1"]}`), Options{DontResolveFailed: true}, false, "has([BODY].errors) == false"},
	// [CONTEXT] is a suite feature custodes does not have: without a suite
	// context Gatus treats it as a literal.
	{"context-is-literal", "[STATUS] == [CONTEXT].expected_status", Input{Status: 200}, Options{}, false, "[STATUS] (200) == [CONTEXT].expected_status"},
	{"context-is-zero-in-ordering", "[RESPONSE_TIME] < [CONTEXT].invalid_key", Input{ResponseTime: 100 * time.Millisecond}, Options{}, false, "[RESPONSE_TIME] (100) < [CONTEXT].invalid_key (0)"},
}

func htmlPage(user string) string {
	return `<!DOCTYPE html><html lang="en"><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8" /></head><body><div id="user">` + user + `</div></body></html>`
}

func TestEvaluateGatusScenarios(t *testing.T) {
	runEvalCases(t, gatusCases)
}

func runEvalCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse(tc.cond)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.cond, err)
			}
			in := tc.in
			got := c.Evaluate(&in, tc.opts)
			want := Result{Condition: tc.show, Success: tc.ok}
			if got != want {
				t.Errorf("%q on %s:\n got %+v\nwant %+v", tc.cond, describe(&tc.in), got, want)
			}
			// The naive model agrees, so the expectation is not a typo.
			if ref, _ := refEvaluate(tc.cond, &in, tc.opts); ref != want {
				t.Errorf("reference model disagrees with the expectation: %+v", ref)
			}
		})
	}
}

func describe(in *Input) string {
	if in.Body != nil {
		return "body " + string(in.Body)
	}
	return "input"
}
