package gossip

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Stats counts what the gossip layer dropped or refused since Start.
type Stats struct {
	// KeyMismatches counts messages dropped because they were not
	// encrypted with a key of this cluster (another cluster.secret, or a
	// peer without encryption).
	KeyMismatches uint64
	// Refused counts joins and alive messages refused by the cluster id /
	// bootstrap-expect check on this node's side (a refused Join of our
	// own returns its error instead).
	Refused uint64
	// NameConflicts counts alive messages of a node claiming an id that a
	// live member at another address already holds.
	NameConflicts uint64
	// EventsDropped counts events not delivered because the Events
	// channel was full.
	EventsDropped uint64
}

// logClass groups the memberlist/serf log lines that need special care.
type logClass int

const (
	classPlain logClass = iota
	classKeyMismatch
	classRefused
	classNameConflict
	classEventsDropped
	numClasses
)

// classMessage is what custodes logs for a class, once per window.
var classMessage = [numClasses]string{
	classKeyMismatch:   "gossip: dropped a message not encrypted with this cluster's key; is cluster.secret the same on every node?",
	classRefused:       "gossip: refused a node of another cluster (different cluster id or bootstrap-expect)",
	classNameConflict:  "gossip: two nodes claim the same node id; node ids must be unique",
	classEventsDropped: "gossip: membership events dropped because their consumer is behind; Members() stays accurate",
}

// classify sorts one memberlist/serf line (without its level) into a class,
// and says whether it counts one occurrence: some incidents log two lines.
func classify(msg string) (logClass, bool) {
	switch {
	case strings.HasPrefix(msg, "memberlist: Decrypt packet failed"):
		return classKeyMismatch, true
	case strings.HasPrefix(msg, "memberlist: failed to receive") && strings.Contains(msg, "crypt"):
		return classKeyMismatch, true
	case strings.HasPrefix(msg, "memberlist: Failed push/pull merge"),
		strings.HasPrefix(msg, "memberlist: ignoring alive message for"):
		return classRefused, true
	case strings.HasPrefix(msg, "memberlist: Conflicting address for"):
		return classNameConflict, true
	case strings.HasPrefix(msg, "serf: Name conflict for"),
		strings.HasPrefix(msg, "serf: Node name conflicts"):
		return classNameConflict, false
	default:
		return classPlain, false
	}
}

// logBridge is the io.Writer behind serf's and memberlist's *log.Logger: it
// turns their "[LEVEL] text" lines into slog records, counts the lines that
// matter, and rate-limits the ones a misconfigured or hostile peer can
// repeat many times a second.
type logBridge struct {
	log    *slog.Logger
	window time.Duration // at most one record per class per window
	now    func() time.Time
	counts [numClasses]atomic.Uint64

	mu         sync.Mutex
	last       [numClasses]time.Time // when a record of the class was last written
	suppressed [numClasses]uint64    // occurrences since then
}

// defaultLogWindow spaces the records of one noisy class.
const defaultLogWindow = time.Minute

func newLogBridge(log *slog.Logger, window time.Duration) *logBridge {
	if window <= 0 {
		window = defaultLogWindow
	}
	return &logBridge{log: log, window: window, now: time.Now}
}

// Write implements io.Writer for one log line.
func (b *logBridge) Write(p []byte) (int, error) {
	level, msg := splitLevel(strings.TrimRight(string(p), "\r\n"))
	class, counted := classify(msg)
	if class == classPlain {
		if strings.HasPrefix(msg, "serf: attempting reconnect") {
			level = slog.LevelDebug // every ReconnectInterval while a member is down
		}
		if b.log.Enabled(context.Background(), level) {
			b.log.Log(context.Background(), level, msg)
		}
		return len(p), nil
	}
	if counted {
		b.counts[class].Add(1)
	}
	b.report(class, msg)
	return len(p), nil
}

// note records one occurrence of a class raised by this package itself.
func (b *logBridge) note(class logClass, detail string) {
	b.counts[class].Add(1)
	b.report(class, detail)
}

// report writes a warning for class unless one was written less than a
// window ago; the next one says how many were suppressed in between.
func (b *logBridge) report(class logClass, detail string) {
	b.mu.Lock()
	now := b.now()
	if !b.last[class].IsZero() && now.Sub(b.last[class]) < b.window {
		b.suppressed[class]++
		b.mu.Unlock()
		return
	}
	suppressed := b.suppressed[class]
	b.last[class] = now
	b.suppressed[class] = 0
	b.mu.Unlock()
	b.log.Warn(classMessage[class], "detail", detail, "suppressed", suppressed)
}

func (b *logBridge) stats() Stats {
	return Stats{
		KeyMismatches: b.counts[classKeyMismatch].Load(),
		Refused:       b.counts[classRefused].Load(),
		NameConflicts: b.counts[classNameConflict].Load(),
		EventsDropped: b.counts[classEventsDropped].Load(),
	}
}

// splitLevel maps the "[DEBUG]", "[INFO]", "[WARN]", "[ERR]" prefixes of
// serf/memberlist lines to slog levels.
func splitLevel(line string) (slog.Level, string) {
	levels := []struct {
		prefix string
		level  slog.Level
	}{
		{"[DEBUG]", slog.LevelDebug},
		{"[TRACE]", slog.LevelDebug},
		{"[INFO]", slog.LevelInfo},
		{"[WARN]", slog.LevelWarn},
		{"[ERR]", slog.LevelError},
		{"[ERROR]", slog.LevelError},
	}
	for _, l := range levels {
		if rest, ok := strings.CutPrefix(line, l.prefix); ok {
			return l.level, strings.TrimSpace(rest)
		}
	}
	return slog.LevelInfo, strings.TrimSpace(line)
}
