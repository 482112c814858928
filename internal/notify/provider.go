package notify

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
)

// Provider is one kind of notifier (slack, pagerduty, ...): it reads its
// `alerting.<name>` section and builds Notifiers. Each provider
// sub-package exports one as `Provider`; internal/notify/providers lists
// them by name.
type Provider interface {
	// Load decodes the section strictly and validates it, group overrides
	// included (for `custodes validate` and at startup).
	Load(d Decoder, env Env) (Configured, error)
}

// Configured is a provider with its section loaded and valid.
type Configured interface {
	// Notifier returns the notifier for alerts of monitors in group, with
	// the alert's provider-override (nil: none) merged over the group's
	// settings. The merged settings are validated again; problems are
	// *FieldError values with paths "provider-override.<field>".
	Notifier(group string, override map[string]any) (Notifier, error)
}

// Env is what notifiers get from the process.
type Env struct {
	// HTTP is the shared client of HTTP notifiers; nil means a client
	// made by NewHTTPClient, shared by every Env without one.
	HTTP *http.Client
}

var defaultHTTPClient = NewHTTPClient()

// HTTPClient returns e.HTTP or the shared default.
func (e Env) HTTPClient() *http.Client {
	if e.HTTP != nil {
		return e.HTTP
	}
	return defaultHTTPClient
}

// Config is a provider's settings struct (yaml tags are Gatus's keys). It
// must be a struct of exported fields; Validate reports problems through v
// without changing the config (defaults are applied when building a
// notifier, never stored back).
type Config interface {
	Validate(v *Validation)
}

// Settings is a provider section: settings for every group, plus Gatus's
// per-group `overrides`, whose set fields replace the default ones.
type Settings[C Config] struct {
	Default   C                  `yaml:",inline"`
	Overrides []GroupOverride[C] `yaml:"overrides"`

	name string
}

// GroupOverride is one entry of `overrides`.
type GroupOverride[C Config] struct {
	Group  string `yaml:"group"`
	Config C      `yaml:",inline"`
}

// LoadSettings decodes a provider's section with d and validates it: the
// default settings, then each override merged over them. Every group must
// be named and overridden at most once. Decoder errors are returned as
// they are (they carry file:line); validation errors are *FieldError
// values joined with errors.Join.
func LoadSettings[C Config](name string, d Decoder) (*Settings[C], error) {
	s := &Settings[C]{name: name}
	if err := d.Decode(s); err != nil {
		return nil, err
	}
	v := &Validation{provider: name}
	s.Default.Validate(v)
	defaults := map[string]bool{}
	for _, e := range v.errs {
		defaults[e.Path+"\x00"+e.Msg] = true
	}
	seen := map[string]int{}
	for i, o := range s.Overrides {
		prefix := fmt.Sprintf("overrides[%d]", i)
		switch first, dup := seen[o.Group]; {
		case o.Group == "":
			v.add(prefix+".group", "is required (the endpoint group this override applies to)")
		case dup:
			v.add(prefix+".group", fmt.Sprintf("duplicate group %q (already overridden by overrides[%d])", o.Group, first))
		default:
			seen[o.Group] = i
		}
		merged := s.Default
		mergeSet(&merged, o.Config)
		ov := &Validation{provider: name}
		merged.Validate(ov)
		for _, e := range ov.errs {
			if !defaults[e.Path+"\x00"+e.Msg] { // reported once, for the default
				v.add(prefix+"."+e.Path, e.Msg)
			}
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return s, nil
}

// For returns the settings of group (its override merged over the
// default), with override (an alert's provider-override, decoded strictly)
// merged over them, and validates the result.
func (s *Settings[C]) For(group string, override map[string]any) (C, error) {
	cfg := s.Default
	for _, o := range s.Overrides {
		if o.Group == group {
			mergeSet(&cfg, o.Config)
			break
		}
	}
	if len(override) == 0 {
		return cfg, nil // validated by LoadSettings
	}
	var ov C
	if err := decodeValues(override, s.name, &ov); err != nil {
		var zero C
		return zero, err
	}
	mergeSet(&cfg, ov)
	v := &Validation{provider: s.name, override: true}
	cfg.Validate(v)
	if err := v.Err(); err != nil {
		var zero C
		return zero, err
	}
	return cfg, nil
}

// mergeSet copies every field of src that is set (not its zero value)
// over dst, as Gatus's Merge methods do: an override cannot unset a field.
func mergeSet[C any](dst *C, src C) {
	dv := reflect.ValueOf(dst).Elem()
	sv := reflect.ValueOf(src)
	if dv.Kind() != reflect.Struct {
		return
	}
	for i := range dv.NumField() {
		f := dv.Field(i)
		if !f.CanSet() || sv.Field(i).IsZero() {
			continue
		}
		f.Set(sv.Field(i))
	}
}

// NewProvider makes a Provider from its settings type and a function that
// builds a notifier from resolved settings. name is the `alerting` key.
func NewProvider[C Config](name string, build func(cfg C, env Env) (Notifier, error)) Provider {
	return &provider[C]{name: name, build: build}
}

type provider[C Config] struct {
	name  string
	build func(C, Env) (Notifier, error)
}

func (p *provider[C]) Load(d Decoder, env Env) (Configured, error) {
	s, err := LoadSettings[C](p.name, d)
	if err != nil {
		return nil, err
	}
	return &configured[C]{settings: s, env: env, build: p.build}, nil
}

type configured[C Config] struct {
	settings *Settings[C]
	env      Env
	build    func(C, Env) (Notifier, error)
}

func (c *configured[C]) Notifier(group string, override map[string]any) (Notifier, error) {
	cfg, err := c.settings.For(group, override)
	if err != nil {
		return nil, err
	}
	return c.build(cfg, c.env)
}

// FieldError is one bad setting of a provider section.
type FieldError struct {
	Provider string // the `alerting` key, e.g. "slack"
	// Path is the field below the section ("webhook-url",
	// "overrides[1].group") or, for a provider-override, below the alert
	// ("provider-override.webhook-url").
	Path string
	Msg  string
	// Override is set when the problem is in a provider-override.
	Override bool
}

// Error reads "alerting.slack.webhook-url: must be ..." or, for a
// provider-override, "alerting.slack: provider-override.webhook-url: ...".
func (e *FieldError) Error() string {
	if e.Override {
		return "alerting." + e.Provider + ": " + e.Path + ": " + e.Msg
	}
	return "alerting." + e.Provider + "." + e.Path + ": " + e.Msg
}

// Validation collects the problems of one provider config.
type Validation struct {
	provider string
	override bool
	errs     []*FieldError
}

func (v *Validation) add(path, msg string) {
	if v.override {
		path = "provider-override." + path
	}
	v.errs = append(v.errs, &FieldError{Provider: v.provider, Path: path, Msg: msg, Override: v.override})
}

// Errorf reports a problem with field (a yaml key, e.g. "webhook-url").
func (v *Validation) Errorf(field, format string, args ...any) {
	v.add(field, fmt.Sprintf(format, args...))
}

// Required reports field when value is empty.
func (v *Validation) Required(field, value string) {
	if value == "" {
		v.add(field, "is required")
	}
}

// HTTPURL reports field unless value is an absolute http or https URL with
// a host. The value is never shown: webhook URLs are secrets.
func (v *Validation) HTTPURL(field, value string) {
	if value == "" {
		v.add(field, "is required")
		return
	}
	v.OptionalHTTPURL(field, value)
}

// OptionalHTTPURL is HTTPURL for a field that may be left empty.
func (v *Validation) OptionalHTTPURL(field, value string) {
	if value != "" && !isHTTPURL(value) {
		v.add(field, "must be an absolute http(s) URL")
	}
}

// Err returns the problems joined, or nil.
func (v *Validation) Err() error {
	if len(v.errs) == 0 {
		return nil
	}
	errs := make([]error, len(v.errs))
	for i, e := range v.errs {
		errs[i] = e
	}
	return errors.Join(errs...)
}

// Headers reports header names that are not HTTP tokens, values holding
// line breaks or NUL (which could smuggle headers), and names in reserved
// (canonical form), which the provider sets itself.
func (v *Validation) Headers(field string, h map[string]string, reserved ...string) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		switch {
		case !isToken(k):
			v.Errorf(field+"."+k, "is not a valid header name")
		case strings.ContainsAny(h[k], "\r\n\x00"):
			v.Errorf(field+"."+k, "must not contain line breaks")
		case slices.Contains(reserved, http.CanonicalHeaderKey(k)):
			v.Errorf(field+"."+k, "is set by custodes and cannot be configured")
		}
	}
}

// isToken reports whether s is an RFC 9110 token (a valid header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}
