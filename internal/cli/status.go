package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// statusEntry is the part of Gatus's statuses JSON the status command shows.
type statusEntry struct {
	Key     string `json:"key"`
	Name    string `json:"name"`
	Group   string `json:"group"`
	Results []struct {
		Success   bool      `json:"success"`
		Duration  int64     `json:"duration"`
		Timestamp time.Time `json:"timestamp"`
		Errors    []string  `json:"errors"`
	} `json:"results"`
}

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("status", stderr)
	addr := fs.String("addr", envOr("CUSTODES_ADDR", "http://127.0.0.1:8080"), "base URL of a running node")
	user := fs.String("user", "", "security.basic username, if set")
	pass := fs.String("password", os.Getenv("CUSTODES_PASSWORD"), "security.basic password (or $CUSTODES_PASSWORD)")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	var entries []statusEntry
	if err := getJSON(ctx, strings.TrimRight(*addr, "/")+"/api/v1/endpoints/statuses?pageSize=1", *user, *pass, &entries); err != nil {
		fmt.Fprintf(stderr, "custodes status: %v\n", err)
		return ExitError
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tSTATE\tLAST CHECK\tDURATION\tERROR")
	for _, e := range entries {
		state, when, dur, msg := "pending", "-", "-", ""
		if n := len(e.Results); n > 0 {
			r := e.Results[n-1]
			state = "up"
			if !r.Success {
				state = "DOWN"
			}
			when = r.Timestamp.Local().Format("15:04:05")
			dur = time.Duration(r.Duration).Round(time.Millisecond).String()
			if len(r.Errors) > 0 {
				msg = r.Errors[0]
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Key, state, when, dur, msg)
	}
	tw.Flush()
	return ExitOK
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func getJSON(ctx context.Context, url, user, pass string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("GET %s: decoding the answer: %w", url, err)
	}
	return nil
}
