package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func run(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("endpoints:\n  - name: a\n    url: http://127.0.0.1/\n    conditions: [\"[STATUS] == 200\"]\n"), 0o600)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("endpoints:\n  - name: a\n    url: http://127.0.0.1/\n    intervall: 1m\n    conditions: [\"[STATUS] == 200\"]\n"), 0o600)
	for _, tc := range []struct {
		args []string
		code int
		out  string // substring of stdout or stderr
	}{
		{nil, ExitUsage, "usage: custodes"},
		{[]string{"help"}, ExitOK, "commands:"},
		{[]string{"frobnicate"}, ExitUsage, `unknown command "frobnicate"`},
		{[]string{"version"}, ExitOK, "custodes dev"},
		{[]string{"version", "extra"}, ExitUsage, `unexpected argument "extra"`},
		{[]string{"validate", "-c", good}, ExitOK, "valid (1 monitors"},
		{[]string{"validate", "-c", bad}, ExitConfig, "bad.yaml:4: endpoints[0].intervall: unknown key"},
		{[]string{"validate", "-c", filepath.Join(dir, "missing.yaml")}, ExitConfig, "missing.yaml"},
		{[]string{"serve", "-log-level", "loud"}, ExitUsage, `-log-level "loud"`},
		{[]string{"serve", "-c", bad}, ExitConfig, "bad.yaml:4"},
		{[]string{"cluster"}, ExitUsage, "usage: custodes cluster"},
		{[]string{"cluster", "dance"}, ExitUsage, `unknown subcommand "dance"`},
		{[]string{"cluster", "remove"}, ExitUsage, "usage: custodes cluster remove <node>"},
		{[]string{"status", "-addr", "http://127.0.0.1:1"}, ExitError, "custodes status:"},
	} {
		code, out, errs := run(tc.args...)
		if code != tc.code || !strings.Contains(out+errs, tc.out) {
			t.Errorf("custodes %v: exit %d, output %q; want exit %d containing %q", tc.args, code, out+errs, tc.code, tc.out)
		}
	}
}
