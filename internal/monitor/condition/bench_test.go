package condition

import (
	"testing"
	"time"
)

var benchInput = Input{
	Status:                200,
	ResponseTime:          42 * time.Millisecond,
	IP:                    "10.1.2.3",
	Connected:             true,
	CertificateExpiration: 900 * time.Hour,
	Body:                  []byte(`{"status":"UP","data":[{"id":1,"name":"a"},{"id":2,"name":"b"}],"meta":{"count":2,"version":"1.4.2"}}`),
}

var benchSink Result

// BenchmarkEvaluate measures one condition against a typical input.
// Reproduce with: go test -run '^$' -bench . -benchmem ./internal/monitor/condition/
func BenchmarkEvaluate(b *testing.B) {
	for _, bc := range []struct {
		name, cond string
		opts       Options
		in         Input
	}{
		{"status", "[STATUS] == 200", Options{}, benchInput},
		{"status-failed-resolved", "[STATUS] == 500", Options{}, benchInput},
		{"response-time", "[RESPONSE_TIME] < 300", Options{}, benchInput},
		{"certificate-duration", "[CERTIFICATE_EXPIRATION] > 48h", Options{}, benchInput},
		{"jsonpath", "[BODY].data[0].id == 1", Options{}, benchInput},
		{"jsonpath-len", "len([BODY].data) > 0", Options{}, benchInput},
		{"body-pattern", "[BODY] == pat(*\"UP\"*)", Options{}, benchInput},
		{"any", "[STATUS] == any(200, 204)", Options{}, benchInput},
	} {
		c, err := Parse(bc.cond)
		if err != nil {
			b.Fatal(err)
		}
		in := bc.in
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchSink = c.Evaluate(&in, bc.opts)
			}
		})
	}
}

// BenchmarkEvaluateAll measures a typical check with three conditions, two
// of them on the JSON body, which is parsed once.
func BenchmarkEvaluateAll(b *testing.B) {
	var conds []*Condition
	for _, s := range []string{"[STATUS] == 200", "[BODY].status == UP", "len([BODY].data) > 0"} {
		c, err := Parse(s)
		if err != nil {
			b.Fatal(err)
		}
		conds = append(conds, c)
	}
	dst := make([]Result, 0, len(conds))
	b.ReportAllocs()
	for b.Loop() {
		dst = EvaluateAll(dst[:0], conds, &benchInput, Options{})
	}
	benchSink = dst[0]
}

func BenchmarkParse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		c, err := Parse("[BODY].data[0].id == 1")
		if err != nil {
			b.Fatal(err)
		}
		benchSink.Success = c.left.source == srcBodyPath
	}
}
