// Package config loads custodes' config file: Gatus's format, unchanged,
// plus custodes' own sections, into the domain types of internal/monitor
// and a Config for the rest of the program.
//
// # Format
//
// Every top-level key of Gatus v5 is accepted: endpoints,
// external-endpoints, alerting, maintenance, storage, web, metrics, ui,
// security, concurrency, skip-invalid-config-update, and the sections
// custodes does not act on yet (connectivity, announcements, remote,
// tunneling, suites, the deprecated disable-monitoring-lock and debug),
// which load with a Warning saying so. custodes adds:
//
//	node:            # this node
//	  id: n1         # default: the hostname
//	  data-dir: ./data
//	  labels: {region: eu}
//	cluster:         # see Cluster; empty mode = single node
//	  mode: embedded
//	  secret: ...    # >= 16 bytes, the same on every node
//	  join: [10.0.0.2, 10.0.0.3]
//	push-endpoints:  # Healthchecks-style ping checks: /ping/{token}
//	  - name: backup
//	    token: 5f1a9c3e-8b2d-4c6e-9f0a-1b2c3d4e5f60
//	    period: 1d   # or cron: "0 3 * * *" and timezone: Europe/Paris
//	    grace: 1h
//	storage:
//	  retention: {results: 7d, rollups: 90d}
//
// and, per endpoint, vantage (how many nodes check it), confirm (how many
// must see it failing) and node-labels (which nodes may check it).
//
// The loader is strict: an unknown key anywhere, a value of the wrong type
// and a bad value are errors, and Load reports all of them at once, each as
// "file:line: field.path: message". A top-level key that is not part of the
// format is accepted (with a warning) only when it just defines a YAML
// anchor, as in the "default-endpoint: &defaults" pattern of Gatus's README.
//
// # Where custodes differs from Gatus
//
//   - ${VAR} and $VAR use Gatus's syntax and its "$$" escape, but expansion
//     happens inside scalar values after parsing, so comments are never
//     expanded and line numbers stay exact; an unset variable is an error
//     (Gatus silently substitutes ""), and so are "${" without "}" and "${}".
//   - Endpoints of a kind custodes cannot probe (ssh://, grpc://, ws://,
//     wss://, sctp://, any other scheme) are validated, then left out of
//     Config.Monitors with a warning; Gatus fails on unknown schemes.
//   - An alert whose provider has no alerting section is kept with
//     Enabled=false and a warning (Gatus ignores it at send time).
//   - Storage defaults to SQLite in node.data-dir; "postgres" storage loads
//     as SQLite, with a warning, until custodes supports PostgreSQL.
//   - A config without any monitor loads, with a warning (monitors can be
//     added through the API); Gatus requires at least one endpoint.
//   - Durations also accept whole days ("7d", "1d12h").
//   - Checks Gatus makes only at run time, or not at all, are made at load
//     time: HTTP method and header syntax, proxy and OAuth2 URLs, the client
//     network, TLS renegotiation values, maintenance "hh:mm" (with the colon),
//     negative thresholds, ports, and "Local" as a time zone (nodes may run
//     in different zones).
//   - Alert descriptions may contain '"' and '\' (Gatus forbids them because
//     of its templating; custodes' notifiers escape their payloads).
//
// Gatus's own quirks are kept where a Gatus config relies on them: a
// threshold of 0 means "not set" when merging a provider's default-alert,
// a disabled maintenance window needs no start or duration, a timeout of 0
// means the default, and yes/no/on/off are booleans.
package config
