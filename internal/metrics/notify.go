package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// notifySeries are the notification counters, registered by New.
type notifySeries struct {
	sent    *prometheus.CounterVec
	resends *prometheus.CounterVec
	skew    *prometheus.GaugeVec
	drift   prometheus.Gauge
}

func newNotifySeries() notifySeries {
	return notifySeries{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodes_notifications_total",
			Help: "Notification sends by provider and outcome (delivered or failed).",
		}, []string{"provider", "outcome"}),
		resends: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodes_notifications_resent_total",
			Help: "Sends of notifications that may have been sent before (a retry, or pending when this node took over as leader). Receivers that cannot deduplicate may show these twice.",
		}, []string{"provider"}),
		skew: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "custodes_clock_skew_seconds",
			Help: "A peer's wall clock minus this node's, measured NTP-style over node RPC. custodes' decisions never compare wall clocks of different nodes; this is a warning only.",
		}, []string{"peer"}),
		drift: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "custodes_config_drift_nodes",
			Help: "Nodes whose declared config file differs from the config in force (last writer wins by log order).",
		}),
	}
}

// SetConfigDrift records how many nodes' config files differ from the
// config in force.
func (m *Metrics) SetConfigDrift(nodes int) { m.notify.drift.Set(float64(nodes)) }

// ObserveNotification records one send attempt of the dispatcher.
func (m *Metrics) ObserveNotification(provider string, err error, resend bool) {
	outcome := "delivered"
	if err != nil {
		outcome = "failed"
	}
	m.notify.sent.WithLabelValues(provider, outcome).Inc()
	if resend {
		m.notify.resends.WithLabelValues(provider).Inc()
	}
}

// SetClockSkew records a peer's wall-clock offset from this node.
func (m *Metrics) SetClockSkew(peer string, offset time.Duration) {
	m.notify.skew.WithLabelValues(peer).Set(offset.Seconds())
}
