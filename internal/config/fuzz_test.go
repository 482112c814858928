package config

import (
	"errors"
	"os"
	"testing"

	"github.com/custodes/custodes/internal/monitor"
)

// FuzzLoad feeds arbitrary bytes to the loader as a config file. Load must
// never panic, and its result must be coherent: either a config whose
// monitors have consistent keys and sources, or a non-empty *Errors whose
// entries all name the file.
func FuzzLoad(f *testing.F) {
	if golden, err := os.ReadFile("testdata/gatus/config.yaml"); err == nil {
		f.Add(golden)
	}
	for _, tc := range endpointErrorCases {
		f.Add([]byte(tc.yaml))
	}
	for _, tc := range sectionErrorCases {
		f.Add([]byte(tc.yaml))
	}
	env := envOf(map[string]string{"PORT": "8080", "HOST": "example.org", "EMPTY": ""})
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := load("fuzz.yaml", []file{{"fuzz.yaml", data}}, env)
		if err != nil {
			var list *Errors
			if !errors.As(err, &list) || len(list.List) == 0 {
				t.Fatalf("error %T %v: want a non-empty *Errors", err, err)
			}
			for _, e := range list.List {
				if e.File != "fuzz.yaml" {
					t.Fatalf("error without the file: %q", e.Error())
				}
			}
			return
		}
		if cfg == nil || len(cfg.Fingerprint) != 64 {
			t.Fatalf("no error but config %+v", cfg)
		}
		seen := map[string]bool{}
		for _, m := range cfg.Monitors {
			if m.Key != monitor.Key(m.Group, m.Name) || m.Name == "" || seen[m.Key] {
				t.Fatalf("monitor key %q for group %q name %q (seen before: %v)", m.Key, m.Group, m.Name, seen[m.Key])
			}
			seen[m.Key] = true
			if m.Source == "" || m.Origin != "file" || m.Kind == "" {
				t.Fatalf("monitor %q: source %q origin %q kind %q", m.Key, m.Source, m.Origin, m.Kind)
			}
			if m.Kind != monitor.KindExternal && m.Kind != monitor.KindPush && (len(m.Conditions) == 0 || m.Interval <= 0) {
				t.Fatalf("monitor %q: %d conditions, interval %s", m.Key, len(m.Conditions), m.Interval)
			}
		}
		for name, s := range cfg.Alerting {
			var m map[string]any
			_ = s.Decode(&m) // must not panic either
			if s.Name != name {
				t.Fatalf("section %q named %q", name, s.Name)
			}
		}
	})
}

// FuzzParseEndpoint feeds arbitrary API request bodies to the monitor
// decoder: an error or a spec, never a panic, and a spec always has a key.
func FuzzParseEndpoint(f *testing.F) {
	f.Add([]byte(`{"name":"api","group":"core","url":"http://127.0.0.1/","conditions":["[STATUS] == 200"]}`))
	f.Add([]byte("name: a\nurl: tcp://127.0.0.1:1\nconditions: ['[CONNECTED] == true']\nalerts: [{type: webhook}]\n"))
	f.Add([]byte(`{"name":"x","url":"http://h/","conditions":["len([BODY].a) > 0"],"client":{"timeout":"1s"},"failure-rate":{"max-failures":2,"window":"1m"}}`))
	f.Add([]byte(`&a [*a, *a]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		spec, err := ParseEndpoint(body, "request body", nil)
		if err == nil && (spec == nil || spec.Key == "") {
			t.Fatalf("no error and no usable spec for %q", body)
		}
	})
}
