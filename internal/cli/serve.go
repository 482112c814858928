package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/app"
	"github.com/custodes/custodes/internal/config"
)

// defaultConfig is the config path when -c is not given: $CUSTODES_CONFIG,
// Gatus's $GATUS_CONFIG_PATH, or custodes.yaml.
func defaultConfig() string {
	for _, env := range []string{"CUSTODES_CONFIG", "GATUS_CONFIG_PATH"} {
		if v := os.Getenv(env); v != "" {
			return v
		}
	}
	return "custodes.yaml"
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("serve", stderr)
	cfgPath := fs.String("c", defaultConfig(), "config file or directory")
	level := fs.String("log-level", "info", "log level: debug, info, warn, error")
	format := fs.String("log-format", "text", "log format: text or json")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(stderr, "custodes serve: -log-level %q: want debug, info, warn or error\n", *level)
		return ExitUsage
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	var h slog.Handler
	switch *format {
	case "text":
		h = slog.NewTextHandler(stderr, hopts)
	case "json":
		h = slog.NewJSONHandler(stderr, hopts)
	default:
		fmt.Fprintf(stderr, "custodes serve: -log-format %q: want text or json\n", *format)
		return ExitUsage
	}
	opts := app.Options{ConfigPath: *cfgPath, Version: Version, Logger: slog.New(h), LogOutput: stderr}
	// Test-only: shift this node's wall clock (see app.Options.ClockOffset).
	if v := os.Getenv("CUSTODES_TEST_CLOCK_OFFSET"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			fmt.Fprintf(stderr, "custodes serve: CUSTODES_TEST_CLOCK_OFFSET %q: %v\n", v, err)
			return ExitUsage
		}
		opts.ClockOffset = d
		slog.New(h).Warn("test clock offset in effect: this node's wall clock is shifted", "offset", d)
	}
	err := app.Run(ctx, opts)
	var cerr *app.ConfigError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &cerr):
		fmt.Fprintf(stderr, "custodes: %s does not load:\n%s\n", *cfgPath, indent(cerr.Error()))
		return ExitConfig
	default:
		fmt.Fprintf(stderr, "custodes: %v\n", err)
		return ExitError
	}
}

func runValidate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("validate", stderr)
	cfgPath := fs.String("c", defaultConfig(), "config file or directory")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, err := config.Load(ctx, *cfgPath, nil)
	if err != nil {
		fmt.Fprintf(stderr, "%s\n", err)
		return ExitConfig
	}
	if err := app.ValidateNotifiers(cfg); err != nil {
		fmt.Fprintf(stderr, "%s\n", err)
		return ExitConfig
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s\n", w.String())
	}
	fmt.Fprintf(stdout, "%s: valid (%d monitors, %d alerting providers, %d warnings)\n",
		*cfgPath, len(cfg.Monitors), len(cfg.Alerting), len(cfg.Warnings))
	return ExitOK
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n  ")
}
