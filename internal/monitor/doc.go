// Package monitor is custodes' domain: what a monitor is, what a probe saw,
// and how an observation becomes a result.
//
// The package and its sub-packages (condition, incident, assign,
// maintenance, push) import only the standard library and never read a
// clock: every time they need is passed in. A test (imports_test.go)
// enforces this, so the domain stays pure and replayable inside the
// replicated state machine.
package monitor
