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

// clusterStatus is the part of GET /api/v1/cluster the command prints.
type clusterStatus struct {
	Node   string `json:"node"`
	Mode   string `json:"mode"`
	Leader string `json:"leader"`
	Term   string `json:"term"`
	Quorum struct {
		Voters      int  `json:"voters"`
		VotersAlive int  `json:"voters_alive"`
		Needed      int  `json:"needed"`
		Healthy     bool `json:"healthy"`
	} `json:"quorum"`
	Members []struct {
		ID         string   `json:"id"`
		Status     string   `json:"status"`
		Raft       string   `json:"raft"`
		Address    string   `json:"address"`
		ConfigHash string   `json:"config_hash"`
		Drift      bool     `json:"config_drift"`
		SkewMS     *float64 `json:"clock_skew_ms"`
	} `json:"members"`
}

func runCluster(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: custodes cluster members|leave|remove <node> [-addr URL] [-token T]")
		return ExitUsage
	}
	sub := args[0]
	fs := newFlagSet("cluster "+sub, stderr)
	addr := fs.String("addr", envOr("CUSTODES_ADDR", "http://127.0.0.1:8080"), "base URL of a running node")
	token := fs.String("token", os.Getenv("CUSTODES_ADMIN_TOKEN"), "security.admin-token (or $CUSTODES_ADMIN_TOKEN), for leave and remove")
	var rest []string
	flagArgs := args[1:]
	if sub == "remove" && len(flagArgs) > 0 && !strings.HasPrefix(flagArgs[0], "-") {
		rest, flagArgs = flagArgs[:1], flagArgs[1:]
	}
	if code := parseFlags(fs, flagArgs); code >= 0 {
		return code
	}
	base := strings.TrimRight(*addr, "/")
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	switch sub {
	case "members":
		var st clusterStatus
		if err := getJSON(ctx, base+"/api/v1/cluster", "", "", &st); err != nil {
			fmt.Fprintf(stderr, "custodes cluster members: %v\n", err)
			return ExitError
		}
		health := "healthy"
		if !st.Quorum.Healthy {
			health = "NO QUORUM"
		}
		fmt.Fprintf(stdout, "leader %s, term %s, quorum %s (%d of %d voters alive, %d needed)\n",
			orDash(st.Leader), st.Term, health, st.Quorum.VotersAlive, st.Quorum.Voters, st.Quorum.Needed)
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NODE\tSTATUS\tRAFT\tADDRESS\tCONFIG\tSKEW")
		for _, m := range st.Members {
			cfg := shortOr(m.ConfigHash)
			if m.Drift {
				cfg += " (drift)"
			}
			skew := "-"
			if m.SkewMS != nil {
				skew = fmt.Sprintf("%+.1fms", *m.SkewMS)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Status, orDash(m.Raft), orDash(m.Address), cfg, skew)
		}
		tw.Flush()
		return ExitOK
	case "leave":
		return post(ctx, stdout, stderr, base+"/api/v1/cluster/leave", *token)
	case "remove":
		if len(rest) != 1 {
			fmt.Fprintln(stderr, "usage: custodes cluster remove <node>")
			return ExitUsage
		}
		return post(ctx, stdout, stderr, base+"/api/v1/cluster/remove/"+rest[0], *token)
	}
	fmt.Fprintf(stderr, "custodes cluster: unknown subcommand %q (members, leave, remove)\n", sub)
	return ExitUsage
}

func post(ctx context.Context, stdout, stderr io.Writer, url, token string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, nil)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitError
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return ExitError
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "%s: %s\n", resp.Status, strings.TrimSpace(string(body)))
		return ExitError
	}
	var pretty map[string]any
	if json.Unmarshal(body, &pretty) == nil {
		for k, v := range pretty {
			fmt.Fprintf(stdout, "%s: %v\n", k, v)
		}
	}
	return ExitOK
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shortOr(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return orDash(h)
}
