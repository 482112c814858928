package config

import (
	"context"
	"flag"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/custodes/custodes/internal/monitor/condition"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestGoldenGatusConfig loads a Gatus configuration written for Gatus,
// unchanged, and compares everything Load makes of it with a golden file.
// Run with -update to rewrite the golden file after a deliberate change.
func TestGoldenGatusConfig(t *testing.T) {
	const path, golden = "testdata/gatus/config.yaml", "testdata/gatus/config.golden"
	cfg, err := Load(context.Background(), path, envOf(map[string]string{
		"PORT":              "8081",
		"SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if host, _ := os.Hostname(); cfg.Node.ID == host {
		cfg.Node.ID = "<hostname>"
	}
	got := dump(t, cfg)
	if *update {
		if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", golden, diff)
	}
}

// dump renders cfg as sorted "path = value" lines, leaving zero values out;
// alerting sections are shown decoded into generic maps.
func dump(t *testing.T, cfg *Config) string {
	var lines []string
	emit := func(path string, v reflect.Value) {
		lines = append(lines, path+" = "+fmt.Sprint(v.Interface()))
	}
	sections := map[string]any{}
	for name, s := range cfg.Alerting {
		var m map[string]any
		if err := s.Decode(&m); err != nil {
			t.Fatalf("alerting.%s: %v", name, err)
		}
		sections[name] = m
	}
	view := *cfg
	view.Alerting = nil
	var warnings []string
	for _, w := range cfg.Warnings {
		warnings = append(warnings, w.String())
	}
	view.Warnings = nil
	walk("", reflect.ValueOf(view), emit)
	walk("Alerting", reflect.ValueOf(sections), emit)
	walk("Warnings", reflect.ValueOf(warnings), emit)
	return strings.Join(lines, "\n") + "\n"
}

var (
	conditionPtr = reflect.TypeFor[*condition.Condition]()
	byteSlice    = reflect.TypeFor[[]byte]()
)

func walk(path string, v reflect.Value, emit func(string, reflect.Value)) {
	if !v.IsValid() || v.IsZero() {
		return
	}
	switch {
	case v.Type() == conditionPtr:
		emit(path, reflect.ValueOf(v.Interface().(*condition.Condition).String()))
		return
	case v.Type() == durationType:
		emit(path, reflect.ValueOf(time.Duration(v.Int()).String()))
		return
	case v.Type() == byteSlice:
		emit(path, reflect.ValueOf(fmt.Sprintf("%d bytes", v.Len())))
		return
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		walk(path, v.Elem(), emit)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				walk(join(path, v.Type().Field(i).Name), v.Field(i), emit)
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			walk(index(path, i), v.Index(i), emit)
		}
	case reflect.Map:
		keys := v.MapKeys()
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) })
		for _, k := range keys {
			walk(path+"["+fmt.Sprint(k)+"]", v.MapIndex(k), emit)
		}
	default:
		emit(path, v)
	}
}

// TestConcurrentUse loads the same config and decodes the same sections from
// several goroutines; run with -race.
func TestConcurrentUse(t *testing.T) {
	env := envOf(map[string]string{"PORT": "8081", "SLACK_WEBHOOK_URL": "https://hooks.slack.com/services/T000/B000/XXXX"})
	shared, err := Load(context.Background(), "testdata/gatus/config.yaml", env)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 4 {
		wg.Go(func() {
			cfg, err := Load(context.Background(), "testdata/gatus/config.yaml", env)
			if err == nil && cfg.Fingerprint != shared.Fingerprint {
				err = fmt.Errorf("fingerprint %s, want %s", cfg.Fingerprint, shared.Fingerprint)
			}
			errs <- err
		})
		wg.Go(func() {
			var m map[string]any
			errs <- shared.Alerting["pagerduty"].Decode(&m)
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}
