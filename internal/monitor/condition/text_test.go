package condition

import (
	"encoding/json"
	"errors"
	"testing"
)

func TestConditionJSONRoundTrip(t *testing.T) {
	in := []*Condition{mustParseText(t, "[STATUS] == 200"), mustParseText(t, "len([BODY].data) > 0")}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `["[STATUS] == 200","len([BODY].data) \u003e 0"]` {
		t.Fatalf("marshalled as %s", b)
	}
	var out []*Condition
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	body := &Input{Status: 500, Body: []byte(`{"data":[1]}`)}
	for i := range in {
		if out[i].String() != in[i].String() {
			t.Errorf("condition %d: %q after round trip, want %q", i, out[i], in[i])
		}
		if got, want := out[i].Evaluate(body, Options{}), in[i].Evaluate(body, Options{}); got != want {
			t.Errorf("condition %d evaluates to %+v after round trip, want %+v", i, got, want)
		}
	}
	var bad []*Condition
	if err := json.Unmarshal([]byte(`["[STATUS]==200"]`), &bad); !errors.Is(err, ErrInvalid) {
		t.Fatalf("invalid condition text unmarshalled with err=%v", err)
	}
}

func mustParseText(t *testing.T, s string) *Condition {
	t.Helper()
	c, err := Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
