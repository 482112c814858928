package main

import (
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// Event kinds in the run's timeline.
const (
	evFault     = "fault"
	evHeal      = "heal"
	evFlip      = "flip"
	evDelivery  = "delivery"
	evLeader    = "leader"
	evNote      = "note"
	evViolation = "VIOLATION"
)

// event is one line of the timeline: what happened, when (since the
// schedule started; negative during start-up).
type event struct {
	At   time.Duration
	Kind string
	Text string
}

func (e event) String() string {
	return fmt.Sprintf("%9s  %-9s %s", fmtAt(e.At), e.Kind, e.Text)
}

// fmtAt prints a time since the schedule started as +12.345s.
func fmtAt(d time.Duration) string {
	sign := "+"
	if d < 0 {
		sign, d = "-", -d
	}
	return fmt.Sprintf("%s%.3fs", sign, d.Seconds())
}

// eventLog is the run's timeline: faults, heals, target flips, webhook
// deliveries and leader changes, in the order they were recorded.
type eventLog struct {
	start time.Time // the schedule's time zero (monotonic)
	echo  io.Writer // when non-nil every event is printed as it happens

	mu     sync.Mutex
	events []event
}

func newEventLog(start time.Time, echo io.Writer) *eventLog {
	return &eventLog{start: start, echo: echo}
}

// since is the current time on the schedule's clock.
func (l *eventLog) since() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return time.Since(l.start)
}

// restart makes now the schedule's time zero; the events recorded so far
// (during start-up) get negative times. It returns by how much every
// earlier time moved back.
func (l *eventLog) restart(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	shift := now.Sub(l.start)
	for i := range l.events {
		l.events[i].At -= shift
	}
	l.start = now
	return shift
}

// add records an event now and returns its time.
func (l *eventLog) add(kind, format string, args ...any) time.Duration {
	text := fmt.Sprintf(format, args...)
	l.mu.Lock()
	e := event{At: time.Since(l.start), Kind: kind, Text: text}
	l.events = append(l.events, e)
	echo := l.echo
	l.mu.Unlock()
	if echo != nil {
		fmt.Fprintln(echo, e)
	}
	return e.At
}

// all returns a copy of the events sorted by time.
func (l *eventLog) all() []event {
	l.mu.Lock()
	out := append([]event(nil), l.events...)
	l.mu.Unlock()
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// around returns the events within window of at, at most limit of them,
// those nearest at kept.
func around(events []event, at, window time.Duration, limit int) []event {
	var out []event
	for _, e := range events {
		if e.At >= at-window && e.At <= at+window {
			out = append(out, e)
		}
	}
	for len(out) > limit {
		// Drop whichever end is further from at.
		if at-out[0].At > out[len(out)-1].At-at {
			out = out[1:]
		} else {
			out = out[:len(out)-1]
		}
	}
	return out
}

// writeAll prints every event, one a line.
func writeAll(w io.Writer, events []event) {
	for _, e := range events {
		fmt.Fprintln(w, e)
	}
}
