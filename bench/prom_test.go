package main

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const exposition = `# HELP custodes_checks_total Checks run by this node.
# TYPE custodes_checks_total counter
custodes_checks_total{outcome="failure",type="HTTP"} 7
custodes_checks_total{outcome="success",type="HTTP"} 1.5e3
custodes_checks_total{outcome="success",type="TCP"} 3

custodes_scheduler_queue_delay_seconds_bucket{le="+Inf"} 12
custodes_scheduler_queue_delay_seconds_sum 0.25
custodes_scheduler_queue_delay_seconds_count 12
gatus_results_total{group="a \"b\"\\c\nd",key="k",name="n",success="true",type="HTTP"} 2 1700000000000
process_cpu_seconds_total 1.23
weird_value NaN
`

func TestParseProm(t *testing.T) {
	got, err := parseProm(strings.NewReader(exposition))
	if err != nil {
		t.Fatal(err)
	}
	want := []promSample{
		{Name: "custodes_checks_total", Labels: map[string]string{"outcome": "failure", "type": "HTTP"}, Value: 7},
		{Name: "custodes_checks_total", Labels: map[string]string{"outcome": "success", "type": "HTTP"}, Value: 1500},
		{Name: "custodes_checks_total", Labels: map[string]string{"outcome": "success", "type": "TCP"}, Value: 3},
		{Name: "custodes_scheduler_queue_delay_seconds_bucket", Labels: map[string]string{"le": "+Inf"}, Value: 12},
		{Name: "custodes_scheduler_queue_delay_seconds_sum", Value: 0.25},
		{Name: "custodes_scheduler_queue_delay_seconds_count", Value: 12},
		{Name: "gatus_results_total", Labels: map[string]string{"group": "a \"b\"\\c\nd", "key": "k", "name": "n", "success": "true", "type": "HTTP"}, Value: 2},
		{Name: "process_cpu_seconds_total", Value: 1.23},
		{Name: "weird_value", Value: math.NaN()},
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateNaNs(), cmpopts.EquateEmpty()); diff != "" {
		t.Fatalf("samples (-want +got):\n%s", diff)
	}

	for _, tt := range []struct {
		name  string
		match map[string]string
		sum   float64
		n     int
	}{
		{"custodes_checks_total", nil, 1510, 3},
		{"custodes_checks_total", map[string]string{"type": "HTTP"}, 1507, 2},
		{"custodes_checks_total", map[string]string{"type": "HTTP", "outcome": "success"}, 1500, 1},
		{"custodes_checks_total", map[string]string{"type": "DNS"}, 0, 0},
		{"absent_total", nil, 0, 0},
	} {
		if sum, n := promSum(got, tt.name, tt.match); sum != tt.sum || n != tt.n {
			t.Errorf("promSum(%s, %v) = %v, %d; want %v, %d", tt.name, tt.match, sum, n, tt.sum, tt.n)
		}
	}
}

func TestParsePromErrors(t *testing.T) {
	for in, want := range map[string]string{
		"ok 1\n{a=\"b\"} 1\n":      "line 2: ",
		"m{a=\"b\" 1\n":            `m: label at byte 7: want name="value"`,
		"m{a=\"b\\q\"} 1\n":        `m: label a: unknown escape \q`,
		"m{a=b} 1\n":               `m: label at byte 1: want name="value"`,
		"m{a=\"1\",a=\"2\"} 1\n":   "label a given twice",
		"m one\n":                  `m: value "one" is not a number`,
		"m\n":                      "m: want a value",
		"m 1 2 3\n":                "m: want a value and an optional timestamp",
		"m{a=\"x\"\n":              "unterminated",
		"m{a=\"x\\":                "dangling backslash",
		"9lives 1\n":               "does not start with a metric name",
		strings.Repeat("x", 70000): "reading metrics",
	} {
		_, err := parseProm(strings.NewReader(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.40q: error %v, want one containing %q", in, err, want)
		}
	}
}

// FuzzParseProm: any input gives samples or an error, never a panic, and
// every sample has a valid name.
func FuzzParseProm(f *testing.F) {
	f.Add(exposition)
	f.Add("m{a=\"\\\\\\n\"} -Inf\n")
	f.Add("m{} +Inf 1\n")
	f.Fuzz(func(t *testing.T, in string) {
		samples, err := parseProm(strings.NewReader(in))
		if err != nil {
			return
		}
		for _, s := range samples {
			if s.Name == "" || !isNameChar(s.Name[0], true) {
				t.Fatalf("sample with bad name %q from %q", s.Name, in)
			}
		}
	})
}
