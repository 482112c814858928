package notify_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/custodes/custodes/internal/notify"
	"github.com/custodes/custodes/internal/notify/notifytest"
)

func BenchmarkRetryPolicyWait(b *testing.B) {
	p := notify.DefaultRetryPolicy()
	err := &notify.SendError{Status: 429, Retryable: true, RetryAfter: 3 * time.Second}
	for i := 0; b.Loop(); i++ {
		_ = p.Wait(i%12+1, err)
	}
}

func BenchmarkRetryable(b *testing.B) {
	err := errors.Join(errors.New("x"), context.DeadlineExceeded)
	for b.Loop() {
		_ = notify.Retryable(err)
	}
}

// BenchmarkSend is one JSON POST to a loopback receiver, response read
// and classified: the overhead custodes adds around the network.
func BenchmarkSend(b *testing.B) {
	rec := notifytest.NewReceiver(b)
	client := notifytest.Client(b)
	ctx := context.Background()
	for b.Loop() {
		if _, err := notify.PostJSON(ctx, client, rec.URL, nil, notifytest.Triggered()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProviderOverride resolves a group and decodes a
// provider-override, what building a notifier for an alert costs.
func BenchmarkProviderOverride(b *testing.B) {
	s, err := notify.LoadSettings[sample]("sample", notifytest.Section(b, "sample",
		"url: https://hooks.example.com/a\noverrides:\n  - group: core\n    priority: 2\n"))
	if err != nil {
		b.Fatal(err)
	}
	override := map[string]any{"url": "https://hooks.example.com/b", "tags": []any{"a", "b"}, "headers": map[string]any{"X": "y"}}
	for b.Loop() {
		if _, err := s.For("core", override); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkHeadline(b *testing.B) {
	m := notifytest.Triggered()
	for b.Loop() {
		_ = notify.Headline(m, bold)
		_ = notify.Summary(m)
	}
}
