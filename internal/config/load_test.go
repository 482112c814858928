package config

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDirectoryMerge(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"00-base.yaml": `metrics: true
alerting:
  slack:
    webhook-url: https://hooks.example/slack
storage:
  type: sqlite
endpoints:
  - name: a
    url: https://a.example
    conditions: ["[STATUS] == 200"]
`,
		"10-more.yml": `alerting:
  pagerduty:
    integration-key: k
storage:
  path: /tmp/h.db
endpoints:
  - name: b
    url: https://b.example
    conditions: ["[STATUS] == 200"]
    alerts: [{type: pagerduty}]
`,
		"sub/dir/20-ext.yaml": `external-endpoints:
  - name: c
    token: t
`,
		"notes.txt":   "not: [yaml",
		"README.md":   "# ignored",
		"empty.yaml":  "",
		"only.yaml":   "# just a comment\n",
		"nulled.yaml": "endpoints:\nalerting:\n",
	})
	cfg, err := Load(context.Background(), dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, f := range cfg.Files {
		files = append(files, relative(dir, f))
	}
	wantFiles := []string{"00-base.yaml", "10-more.yml", "empty.yaml", "nulled.yaml", "only.yaml", "sub/dir/20-ext.yaml"}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	var keys, sources []string
	for _, m := range cfg.Monitors {
		keys = append(keys, m.Key)
		sources = append(sources, relative(dir, m.Source))
	}
	if diff := cmp.Diff([]string{"_a", "_b", "_c"}, keys); diff != "" {
		t.Errorf("monitor keys (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"00-base.yaml:8", "10-more.yml:7", "sub/dir/20-ext.yaml:2"}, sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
	if len(cfg.Alerting) != 2 || cfg.Alerting["slack"] == nil || cfg.Alerting["pagerduty"] == nil {
		t.Errorf("alerting providers: %v", cfg.Alerting)
	}
	if !cfg.Metrics || cfg.Storage.Type != StorageSQLite || cfg.Storage.Path != "/tmp/h.db" {
		t.Errorf("merged scalars: metrics %v storage %+v", cfg.Metrics, cfg.Storage)
	}
	if !cfg.Monitors[1].Alerts[0].Enabled {
		t.Error("the pagerduty alert of b.yml should find the pagerduty section of another file")
	}
}

// TestKubernetesConfigMap loads a directory laid out as a ConfigMap volume:
// the files live in a "..<timestamp>" directory, reached through a "..data"
// symlink and one symlink per file. Each file must be read once. The volume
// itself is reached through a symlink too.
func TestKubernetesConfigMap(t *testing.T) {
	base := t.TempDir()
	vol := filepath.Join(base, "config")
	stamp := filepath.Join(vol, "..2024_01_01_00_00_00.123")
	if err := os.MkdirAll(stamp, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stamp, "config.yaml"), []byte("endpoints:\n  - name: a\n    url: https://a.example\n    conditions: [\"[STATUS] == 200\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, link := range []struct{ target, name string }{
		{"..2024_01_01_00_00_00.123", filepath.Join(vol, "..data")},
		{"..data/config.yaml", filepath.Join(vol, "config.yaml")},
		{"config", filepath.Join(base, "mounted")},
	} {
		if err := os.Symlink(link.target, link.name); err != nil {
			t.Fatal(err)
		}
	}
	for _, dir := range []string{vol, filepath.Join(base, "mounted")} {
		cfg, err := Load(context.Background(), dir, noEnv)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		if diff := cmp.Diff([]string{filepath.Join(dir, "config.yaml")}, cfg.Files); diff != "" {
			t.Errorf("%s: files (-want +got):\n%s", dir, diff)
		}
		if len(cfg.Monitors) != 1 {
			t.Errorf("%s: %d monitors, want 1", dir, len(cfg.Monitors))
		}
	}
}

func TestDirectoryMergeErrors(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.yaml": `metrics: true
web:
  port: 8080
endpoints:
  - name: dup
    url: https://a.example
    conditions: ["[STATUS] == 200"]
alerting:
  slack: {webhook-url: x}
`,
		"b.yaml": `metrics: false
web:
  port: 9090
endpoints:
  - name: ok
    url: https://b.example
    conditions: ["[STATUS] == 200"]
  - name: dup
    url: https://c.example
    interval: 5x
    conditions: ["[STATUS] == 200"]
alerting:
  slack: [x]
`,
	})
	_, err := Load(context.Background(), dir, noEnv)
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	want := []string{
		"b.yaml:1: metrics: defined more than once (also at a.yaml:1); a value may be set in one file only",
		"b.yaml:3: web.port: defined more than once (also at a.yaml:3); a value may be set in one file only",
		`b.yaml:8: endpoints[1]: duplicate key "_dup" (from group "" and name "dup"): already defined at a.yaml:5`,
		`b.yaml:10: endpoints[1].interval: invalid duration "5x"`,
		"b.yaml:13: alerting.slack: is a list here but a mapping at a.yaml:9; they cannot be merged",
	}
	if diff := cmp.Diff(want, errorLines(t, dir, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFileErrors(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()

	_, err := Load(ctx, filepath.Join(dir, "missing.yaml"), noEnv)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	if got := relative(dir, err.Error()); got != "missing.yaml: cannot read: no such file or directory" {
		t.Errorf("missing file: %q", got)
	}

	_, err = Load(ctx, dir, noEnv)
	if got := relative(filepath.Dir(dir), err.Error()); got != filepath.Base(dir)+": no *.yaml or *.yml file in this directory" {
		t.Errorf("empty dir: %q", got)
	}

	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte(strings.Repeat("#", maxFileSize+1)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(ctx, big, noEnv)
	if got := relative(dir, err.Error()); got != "big.yaml: file larger than 16 MiB" {
		t.Errorf("big file: %q", got)
	}

	canceled, cancel := context.WithCancel(ctx)
	cancel()
	_, err = Load(canceled, big, noEnv)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled: %v, want context.Canceled", err)
	}
}

func TestYAMLErrors(t *testing.T) {
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "metrics: true\nweb: {}\nui {}\nnode: {}\n", []string{
			"custodes.yaml:3: invalid YAML: could not find expected ':'",
		}},
		{"not a mapping", "- a\n- b\n", []string{
			"custodes.yaml:1: the top level must be a mapping of keys (e.g. endpoints:), got a list",
		}},
		{"two documents", "metrics: true\n---\nmetrics: false\n", []string{
			"custodes.yaml:2: a second YAML document (after ---) is not supported; use one document per file",
		}},
		{"duplicate keys", "metrics: true\nweb:\n  port: 1\n  port: 2\nmetrics: false\n", []string{
			"custodes.yaml:4: web.port: key defined twice in the same mapping (first at line 3)",
			"custodes.yaml:5: metrics: key defined twice in the same mapping (first at line 1)",
		}},
		{"non-string key", "web:\n  [a]: 1\n", []string{
			"custodes.yaml:2: web: mapping keys must be strings, got a list",
		}},
		{"unknown anchor", "web: *nope\n", []string{
			"custodes.yaml: invalid YAML: unknown anchor 'nope' referenced",
		}},
		{"bad merge", "web:\n  <<: [1]\n", []string{
			`custodes.yaml:2: web: a merge key (<<) takes a mapping or a list of mappings, got "1"`,
		}},
		{"self merge", "web: &w\n  port: 1\n  <<: [*w, *w, *w]\n", []string{
			"custodes.yaml:1: web: a merge key (<<) refers to a mapping that contains it",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, loadErrors(t, tc.yaml, noEnv)); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnchorsAndMergeKeys(t *testing.T) {
	cfg, _ := mustLoad(t, `x-base: &base
  group: core
  interval: 5m
  client: {insecure: true, timeout: 30s}
  conditions: ["[STATUS] == 200"]
x-more: &more
  interval: 7m
  extra-labels: {team: a}
endpoints:
  - name: one
    <<: *base
    url: https://one.example
  - name: two
    <<: [*base, *more]
    group: example
    url: https://two.example
    conditions: &conds
      - "[STATUS] == 200"
      - "[BODY].status == UP"
  - name: three
    url: https://three.example
    conditions: *conds
`)
	type summary struct {
		Key, Interval string
		Insecure      bool
		Conditions    int
		Labels        map[string]string
	}
	var got []summary
	for _, m := range cfg.Monitors {
		got = append(got, summary{m.Key, m.Interval.String(), m.Client.Insecure, len(m.Conditions), m.ExtraLabels})
	}
	want := []summary{
		{"core_one", "5m0s", true, 1, nil},
		{"example_two", "7m0s", true, 2, map[string]string{"team": "a"}},
		{"_three", "1m0s", false, 2, nil},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("monitors (-want +got):\n%s", diff)
	}
	// A mapping merged into two others, one merging the other, is no cycle.
	cfg, _ = mustLoad(t, "x-a: &a {port: 1234}\nweb: &w\n  <<: *a\nx-b: &b\n  <<: *w\n")
	if cfg.Web.Port != 1234 {
		t.Errorf("web.port %d, want 1234 from the merge", cfg.Web.Port)
	}
}

func TestAliasBomb(t *testing.T) {
	// Each level merges four copies of the one below: 4^12 mappings in all.
	var b strings.Builder
	b.WriteString("x-a: &a {port: 1}\n")
	prev := "a"
	for i := range 12 {
		name := string(rune('b' + i))
		b.WriteString("x-" + name + ": &" + name + " {<<: [*" + prev + ", *" + prev + ", *" + prev + ", *" + prev + "]}\n")
		prev = name
	}
	b.WriteString("web:\n  <<: *" + prev + "\n")
	got := loadErrors(t, b.String(), noEnv)
	want := []string{"custodes.yaml: web: too many nodes once aliases and merge keys (<<) are expanded: is this an alias bomb?"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestFingerprint(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.yaml": "metrics: true\n", "b.yaml": "web: {port: 1}\n"})
	load := func() string {
		cfg, err := Load(context.Background(), dir, noEnv)
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Fingerprint
	}
	first := load()
	if again := load(); again != first {
		t.Errorf("fingerprint changed without a change: %s then %s", first, again)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte("web: {port: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := load(); changed == first {
		t.Error("fingerprint unchanged after editing a file")
	}
	// Moving bytes from one file to the other changes it too.
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte("metrics: true\nweb: {port: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "b.yaml"), []byte(""), 0o644); err != nil {
		t.Fatal(err)
	}
	if moved := load(); moved == first {
		t.Error("fingerprint unchanged after moving content between files")
	}
}

func TestErrorsType(t *testing.T) {
	e := &Errors{List: []*Error{
		{File: "c.yaml", Line: 14, Path: "endpoints[2].interval", Msg: `invalid duration "5x"`},
		{File: "c.yaml", Path: "web", Msg: "no line"},
		{Msg: "only a message", Err: fs.ErrPermission},
	}}
	want := "c.yaml:14: endpoints[2].interval: invalid duration \"5x\"\nc.yaml: web: no line\nonly a message"
	if e.Error() != want {
		t.Errorf("Error():\n%s\nwant\n%s", e.Error(), want)
	}
	if !errors.Is(e, fs.ErrPermission) {
		t.Error("errors.Is does not see the wrapped cause")
	}
	var one *Error
	if !errors.As(e, &one) || one.Line != 14 {
		t.Errorf("errors.As: %+v", one)
	}
	if w := (Warning{File: "c.yaml", Line: 3, Path: "ui", Msg: "m"}).String(); w != "c.yaml:3: ui: m" {
		t.Errorf("Warning.String() = %q", w)
	}
}
