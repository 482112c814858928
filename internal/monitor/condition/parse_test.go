package condition

import (
	"errors"
	"strings"
	"testing"
)

// TestParseAcceptsWhatGatusAccepts lists conditions Gatus's validation
// accepts: anything with a comparator that has a space on each side, even
// when the rest makes little sense.
func TestParseAcceptsWhatGatusAccepts(t *testing.T) {
	for _, s := range []string{
		"[STATUS] == 200",
		"[STATUS] != 200",
		"[STATUS] <= 200",
		"[STATUS] >= 200",
		"[STATUS] < 200",
		"[STATUS] > 200",
		"[STATUS] == any(200, 201, 202, 203)",
		"[STATUS] == [BODY].status",
		"[CONNECTED] == true",
		"[RESPONSE_TIME] < 500",
		"[IP] == 127.0.0.1",
		"[BODY] == 1",
		"[BODY].test == wat",
		"[BODY].test.wat == wat",
		"[BODY].age == [BODY].id",
		"[BODY].users[0].id == 1",
		"len([BODY].users) == 100",
		"len([BODY].data) < 5",
		"has([BODY].errors) == false",
		"has([BODY].users[0].name) == true",
		"[BODY].name == pat(john*)",
		"[CERTIFICATE_EXPIRATION] > 48h",
		"[DOMAIN_EXPIRATION] > 720h",
		"raw == raw",
		"len([BODY].users == 100", // unbalanced, but Gatus accepts it
		"[STATUS] == ",            // empty right side
		" == ",                    // both sides empty
		"[STATUS] == 200 == 300",  // only the first two pieces count
		"[UNKNOWN] == [PLACEHOLDER]",
		"a >= b > c",
		"[BODY].data[-1] == 1",
		"[body].status == up",
	} {
		c, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(%q): unexpected error %v", s, err)
			continue
		}
		if c.String() != s {
			t.Errorf("Parse(%q).String() = %q, want the text as written", s, c.String())
		}
	}
}

func TestParseRejectsWhatGatusRejects(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // the error message, exactly
	}{
		{"[STATUS] ? 201", `invalid condition "[STATUS] ? 201": no comparator: expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`},
		{"[STATUS]==201", `invalid condition "[STATUS]==201": comparator "==" must have a space on each side, as in "[STATUS] == 200"`},
		{"[STATUS] = = 201", `invalid condition "[STATUS] = = 201": no comparator: expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`},
		{"[STATUS] ==", `invalid condition "[STATUS] ==": comparator "==" must have a space on each side, as in "[STATUS] == 200"`},
		{"[STATUS]", `invalid condition "[STATUS]": no comparator: expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`},
		{"", `invalid condition: empty condition: expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`},
		{"   ", `invalid condition: empty condition: expected "<value> <comparator> <value>", with comparator ==, !=, <=, >=, > or <`},
		{"[STATUS]\t==\t200", `invalid condition "[STATUS]\t==\t200": comparator "==" must have a space on each side, as in "[STATUS] == 200"`},
		{"[RESPONSE_TIME]<300", `invalid condition "[RESPONSE_TIME]<300": comparator "<" must have a space on each side, as in "[STATUS] < 200"`},
		{"[STATUS] =< 300", `invalid condition "[STATUS] =< 300": comparator "<" must have a space on each side, as in "[STATUS] < 200"`},
		{"[STATUS] !=200", `invalid condition "[STATUS] !=200": comparator "!=" must have a space on each side, as in "[STATUS] != 200"`},
		{"[STATUS]>= 200", `invalid condition "[STATUS]>= 200": comparator ">=" must have a space on each side, as in "[STATUS] >= 200"`},
	} {
		c, err := Parse(tc.text)
		if err == nil {
			t.Errorf("Parse(%q) = %v, want an error", tc.text, c)
			continue
		}
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error %v does not wrap ErrInvalid", tc.text, err)
		}
		if err.Error() != tc.want {
			t.Errorf("Parse(%q) error\n got %s\nwant %s", tc.text, err, tc.want)
		}
	}
}

func TestParseChoosesComparatorInGatusOrder(t *testing.T) {
	for _, tc := range []struct {
		text              string
		cmp               comparator
		leftText, rightTx string
	}{
		{"[STATUS] == 200", cmpEqual, "[STATUS]", "200"},
		{"a < b == c", cmpEqual, "a < b", "c"},          // == is looked for first
		{"a == b != c", cmpEqual, "a", "b != c"},        // ... wherever it is
		{"a != b <= c", cmpNotEqual, "a", "b <= c"},     // then !=
		{"a > b <= c", cmpLessOrEqual, "a > b", "c"},    // then <=
		{"a < b >= c", cmpGreaterOrEqual, "a < b", "c"}, // then >=
		{"a < b > c", cmpGreater, "a < b", "c"},         // then >
		{"a < b", cmpLess, "a", "b"},
		{"a >= b", cmpGreaterOrEqual, "a", "b"}, // not " > "
		{"a == b == c", cmpEqual, "a", "b"},     // the third piece is dropped
		{"  [STATUS]   ==   200  ", cmpEqual, "[STATUS]", "200"},
		{"[STATUS] ==  == 200", cmpEqual, "[STATUS]", ""},
	} {
		c, err := Parse(tc.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.text, err)
		}
		if c.cmp != tc.cmp || c.left.text != tc.leftText || c.right.text != tc.rightTx {
			t.Errorf("Parse(%q) = %q %s %q, want %q %s %q", tc.text,
				c.left.text, c.cmp.symbol(), c.right.text, tc.leftText, tc.cmp.symbol(), tc.rightTx)
		}
	}
}

func TestNeeds(t *testing.T) {
	for _, tc := range []struct {
		text string
		want Needs
	}{
		{"[STATUS] == 200", Needs{}},
		{"[CONNECTED] == true", Needs{}},
		{"[CERTIFICATE_EXPIRATION] > 48h", Needs{}},
		{"[BODY] == 1", Needs{Body: true}},
		{"[BODY].data.id == 1", Needs{Body: true}},
		{"[BODY][0] == 1", Needs{Body: true}},
		{"len([BODY]) > 0", Needs{Body: true}},
		{"has([BODY].errors) == false", Needs{Body: true}},
		{"[body].status == UP", Needs{Body: true}},       // resolves from the body
		{"[STATUS] == pat(*[BODY]*)", Needs{Body: true}}, // Gatus reads the body for this
		{"[STATUS] == [BODYGUARD]", Needs{}},             // neither
		{"[IP] == 127.0.0.1", Needs{IP: true}},
		{"[ip] == pat(10.*)", Needs{IP: true}},
		{"len([IP]) > 0", Needs{IP: true}},
		{"[DOMAIN_EXPIRATION] > 720h", Needs{DomainExpiration: true}},
		{"[Domain_Expiration] > 720h", Needs{DomainExpiration: true}},
		{"[BODY].ip == [IP]", Needs{Body: true, IP: true}},
		{"[DOMAIN_EXPIRATION] > [BODY].min", Needs{Body: true, DomainExpiration: true}},
	} {
		c, err := Parse(tc.text)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.text, err)
		}
		if got := c.Needs(); got != tc.want {
			t.Errorf("Parse(%q).Needs() = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func TestNeedsUnion(t *testing.T) {
	all := Needs{Body: true, IP: true, DomainExpiration: true}
	for _, tc := range []struct{ a, b, want Needs }{
		{Needs{}, Needs{}, Needs{}},
		{Needs{Body: true}, Needs{}, Needs{Body: true}},
		{Needs{}, Needs{IP: true}, Needs{IP: true}},
		{Needs{Body: true}, Needs{DomainExpiration: true}, Needs{Body: true, DomainExpiration: true}},
		{all, Needs{}, all},
		{Needs{IP: true}, all, all},
	} {
		if got := tc.a.Union(tc.b); got != tc.want {
			t.Errorf("%+v.Union(%+v) = %+v, want %+v", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestParseLongCondition checks that nothing in parsing is quadratic or
// fragile on a large text.
func TestParseLongCondition(t *testing.T) {
	long := "[BODY]." + strings.Repeat("a.", 5000) + "b == " + strings.Repeat("x", 10000)
	c, err := Parse(long)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.left.path.keys); n != 5001 {
		t.Errorf("path has %d keys, want 5001", n)
	}
	r := c.Evaluate(&Input{Body: []byte(`{"a":{"a":1}}`)}, Options{DontResolveFailed: true})
	if r.Success || r.Condition != long {
		t.Errorf("Evaluate = %v, want a failure shown as written", r.Success)
	}
}
