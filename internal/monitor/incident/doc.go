// Package incident decides when custodes pages: it turns observers' reports
// into incidents and notifications. It is pure domain code: no I/O, no clock
// reads, no goroutines, no randomness and no dependence on map order, so
// that every replica running it inside the Raft state machine computes the
// same incidents and the same notifications from the same log.
//
// It has two halves.
//
// The Observer runs on each node, one per monitor the node checks. It is fed
// every Result and emits an Observed event only when the engine's view of
// that node would change: the failure or success streak reaching one of the
// thresholds in force (or dropping back below them), or the optional rate
// rule starting or stopping to hold. Raft therefore carries state changes,
// never raw samples.
//
// The engine is Step(state, policies, event, now) → actions. It keeps, per
// monitor, the newest Observed of every observing node (its "view") and, per
// enabled alert, a latch:
//
//   - an observer is failing for alert a when it reports the rate rule
//     tripped, or a failure streak >= a's failure-threshold; it is healthy for
//     a when it reports a success streak >= a's success-threshold and the rate
//     rule not tripped; otherwise it is neither;
//   - the latch of a is set when at least Confirm observers are failing for a,
//     and cleared only when at least Confirm observers are healthy for a
//     and fewer than Confirm are failing for it.
//     Fewer than Confirm failing observers is not enough to clear it
//     (hysteresis), so a flapping target cannot cause an up/down storm.
//
// With one observer and Confirm 1 this is exactly Gatus's per-alert
// behaviour (watchdog/alerting.go): "triggered" when the failure streak
// reaches failure-threshold, "resolved" (if send-on-resolved) when the
// success streak reaches success-threshold, reminders every
// minimum-reminder-interval while still failing, nothing for a disabled
// alert.
//
// An incident is monitor-level: it opens when the first latch is set and
// closes when no latch is set any more. Its id is the monitor key, "#", and
// a counter that is global to the State and never reused, so a monitor that
// is deleted and re-created never repeats an id (idempotency keys stay
// unique). Within one incident each enabled alert sends at most one
// "triggered" and, after it, at most one "resolved", at the incident's close.
// This differs from Gatus only for monitors whose alerts have different
// success thresholds: Gatus may resolve and re-trigger the faster alert while
// the slower one is still open; custodes keeps the faster alert open until
// the whole incident closes, so no receiver sees resolved/triggered pairs in
// the middle of one outage.
//
// Reminders (Tick or Observed) go out for an alert whose "triggered" was
// sent, while its latch is set, at least Confirm observers are failing for
// it, the incident is not acknowledged, and minimum-reminder-interval has
// passed since that alert's last triggered or reminder. Gatus measures the
// interval per endpoint across all its alerts; custodes measures it per
// alert, so alerts with different intervals do not delay each other.
//
// A monitor without enabled alerts uses an implicit, silent alert with
// Gatus's default thresholds (3 failures, 2 successes): its incidents appear
// in the incident list and status but notify nobody.
//
// Maintenance: while Policy.InMaintenance(now) holds, views, latches and
// incidents evolve as usual but no Notify is emitted. At the first Observed
// or Tick after the window, every alert whose latch is still set and whose
// "triggered" was withheld sends it, once; a "resolved" withheld by the
// window (for a "triggered" sent before it) is sent then too, before any new
// "triggered". An incident that opens and closes inside a window sends
// nothing.
//
// Views that disappear (NodeGone, Released) notify nobody: they change no
// latch, so an open incident stays open until enough observers report
// recovery (as in Gatus, where a triggered alert stays triggered until
// successes are seen). Reminders need failing observers, so an incident that
// lost all its observers stays silent. Forget drops a monitor and its
// incidents without a notification.
//
// Actions are returned in a deterministic order: monitors by key, and for
// one monitor: deferred "resolved", IncidentOpened, "triggered" and
// "reminder" by alert index, "resolved" by alert index, IncidentClosed,
// StatusChanged.
package incident
