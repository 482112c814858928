package config

import (
	"encoding"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.yaml.in/yaml/v3"
)

// Section is one provider's part of the alerting section (alerting.<name>),
// kept as YAML because each notifier package decodes its own settings.
type Section struct {
	Name string     // the provider name, e.g. "slack"
	File string     // the file defining it (the first one when split across files)
	Node *yaml.Node // the provider's mapping, without default-alert (already merged into the alerts)

	files map[*yaml.Node]string
}

// Decode decodes the section into the struct, map or other value into points
// to, using `yaml:"name"` field tags. It is strict: an unknown key or a value
// of the wrong type is an error. The error is a *Errors whose entries carry
// file:line and the path "alerting.<name>.<field>". Durations accept Go's
// units plus whole days ("7d"). Values implementing yaml.Unmarshaler or
// encoding.TextUnmarshaler decode themselves.
func (s *Section) Decode(into any) error {
	rv := reflect.ValueOf(into)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return errors.New("config: Section.Decode needs a non-nil pointer")
	}
	if s.Node == nil {
		return nil
	}
	p := &problems{files: s.files, file: s.File, budget: visitBudget(recordFile(nil, s.Node, ""))}
	p.decode(s.Node, "alerting."+s.Name, into)
	if len(p.errs) > 0 {
		sortErrors(p.errs)
		return &Errors{List: p.errs}
	}
	return nil
}

// tree remembers which node each decoded field path came from, so checks
// made after decoding report the right line.
type tree struct {
	p    *problems
	root *yaml.Node
	path string
	pos  map[string]*yaml.Node
	bad  map[string]bool // paths whose value could not be decoded
}

// at returns the node recorded for path, or for its nearest recorded parent.
func (t *tree) at(path string) *yaml.Node {
	for {
		if n, ok := t.pos[path]; ok {
			return n
		}
		cut := max(strings.LastIndexByte(path, '.'), strings.LastIndexByte(path, '['))
		if cut <= 0 {
			return t.root
		}
		path = path[:cut]
	}
}

// has reports whether the document set path (to anything, even null).
func (t *tree) has(path string) bool {
	_, ok := t.pos[path]
	return ok
}

func (t *tree) errorf(path, format string, args ...any) {
	if t.bad[path] {
		return // already reported as undecodable
	}
	t.p.errorAt(t.at(path), path, format, args...)
}

func (t *tree) warnf(path, format string, args ...any) {
	t.p.warnAt(t.at(path), path, format, args...)
}

// source is "file:line" of path.
func (t *tree) source(path string) string { return t.p.location(t.at(path)) }

// decode decodes n into out (a non-nil pointer), reporting problems under
// path, and returns where each field was found.
func (p *problems) decode(n *yaml.Node, path string, out any) *tree {
	t := &tree{p: p, root: n, path: path, pos: map[string]*yaml.Node{path: n}, bad: map[string]bool{}}
	d := decoding{p: p, t: t}
	d.value(n, path, reflect.ValueOf(out).Elem())
	return t
}

type decoding struct {
	p *problems
	t *tree
}

// fail reports a decoding problem at path and marks path, so later checks
// of the same field do not repeat it.
func (d *decoding) fail(n *yaml.Node, path, format string, args ...any) {
	d.t.bad[path] = true
	d.p.errorAt(n, path, format, args...)
}

var (
	nodePtrType     = reflect.TypeFor[*yaml.Node]()
	nodeType        = reflect.TypeFor[yaml.Node]()
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()
	textType        = reflect.TypeFor[encoding.TextUnmarshaler]()
)

func (d *decoding) value(n *yaml.Node, path string, v reflect.Value) {
	if !d.p.visit(n, path) {
		return
	}
	rn := resolve(n)
	if rn == nil {
		return
	}
	switch v.Type() {
	case nodePtrType:
		v.Set(reflect.ValueOf(rn))
		return
	case nodeType:
		v.Set(reflect.ValueOf(*rn))
		return
	}
	if isNull(rn) {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Kind() == reflect.Pointer {
		e := reflect.New(v.Type().Elem())
		d.value(rn, path, e.Elem())
		v.Set(e)
		return
	}
	if v.CanAddr() && reflect.PointerTo(v.Type()).Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(rn); err != nil {
			d.fail(rn, path, "%v", err)
		}
		return
	}
	if v.CanAddr() && rn.Kind == yaml.ScalarNode && reflect.PointerTo(v.Type()).Implements(textType) {
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(rn.Value)); err != nil {
			d.fail(rn, path, "invalid value %q: %v", rn.Value, err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		d.structure(rn, path, v)
	case reflect.Map:
		d.mapping(rn, path, v)
	case reflect.Slice:
		d.list(rn, path, v)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.fail(rn, path, "cannot decode into %s", v.Type())
			return
		}
		var x any
		if err := rn.Decode(&x); err != nil {
			d.fail(rn, path, "%v", err)
			return
		}
		if x != nil {
			v.Set(reflect.ValueOf(x))
		}
	default:
		d.scalar(rn, path, v)
	}
}

func (d *decoding) structure(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	info := fieldsOf(v.Type())
	for _, e := range d.p.entries(n, path) {
		fp := join(path, e.key)
		d.t.pos[fp] = e.k
		f, ok := info.byName[e.key]
		if !ok {
			if info.inlineMap != nil {
				m := v.FieldByIndex(info.inlineMap)
				if m.IsNil() {
					m.Set(reflect.MakeMap(m.Type()))
				}
				elem := reflect.New(m.Type().Elem()).Elem()
				d.value(e.v, fp, elem)
				m.SetMapIndex(reflect.ValueOf(e.key).Convert(m.Type().Key()), elem)
				continue
			}
			d.fail(e.k, fp, "unknown key%s", suggest(e.key, info.names))
			continue
		}
		d.value(e.v, fp, v.FieldByIndex(f))
	}
}

func (d *decoding) mapping(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.MappingNode {
		d.fail(n, path, "expected a mapping, got %s", kindName(n))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(n, path, "cannot decode into %s", v.Type())
		return
	}
	if v.IsNil() {
		v.Set(reflect.MakeMap(v.Type()))
	}
	for _, e := range d.p.entries(n, path) {
		kp := join(path, e.key)
		d.t.pos[kp] = e.k
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(e.v, kp, elem)
		v.SetMapIndex(reflect.ValueOf(e.key).Convert(v.Type().Key()), elem)
	}
}

func (d *decoding) list(n *yaml.Node, path string, v reflect.Value) {
	if n.Kind != yaml.SequenceNode {
		d.fail(n, path, "expected a list, got %s", kindName(n))
		return
	}
	s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	for i, item := range n.Content {
		ip := index(path, i)
		d.t.pos[ip] = item
		d.value(item, ip, s.Index(i))
	}
	v.Set(s)
}

func (d *decoding) scalar(n *yaml.Node, path string, v reflect.Value) {
	want := typeName(v.Type())
	if n.Kind != yaml.ScalarNode {
		d.fail(n, path, "expected %s, got %s", want, kindName(n))
		return
	}
	s := strings.TrimSpace(n.Value)
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Bool:
		b, ok := parseBool(s)
		if !ok {
			d.fail(n, path, "invalid boolean %q (use true or false)", n.Value)
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if v.Type() == durationType {
			dur, err := parseDuration(s)
			if err != nil {
				d.fail(n, path, "%v", err)
				return
			}
			v.SetInt(int64(dur))
			return
		}
		i, err := strconv.ParseInt(s, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, path, "invalid integer %q", n.Value)
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 0, v.Type().Bits())
		if err != nil {
			d.fail(n, path, "invalid unsigned integer %q", n.Value)
			return
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			d.fail(n, path, "invalid number %q", n.Value)
			return
		}
		v.SetFloat(f)
	default:
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

func typeName(t reflect.Type) string {
	switch {
	case t == durationType:
		return "a duration"
	case t.Kind() == reflect.String:
		return "a string"
	case t.Kind() == reflect.Bool:
		return "a boolean"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Uint64:
		return "an integer"
	case t.Kind() == reflect.Float32 || t.Kind() == reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

// parseBool accepts what yaml.v3 accepts for a boolean field.
func parseBool(s string) (bool, bool) {
	switch s {
	case "true", "True", "TRUE", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON":
		return true, true
	case "false", "False", "FALSE", "n", "N", "no", "No", "NO", "off", "Off", "OFF":
		return false, true
	}
	return false, false
}

// parseDuration is time.ParseDuration plus a leading whole number of days
// ("7d", "1d12h"), which Healthchecks users and retention settings expect.
func parseDuration(s string) (time.Duration, error) {
	bad := func() (time.Duration, error) {
		if _, err := strconv.ParseFloat(s, 64); err == nil && s != "0" {
			return 0, errors.New("invalid duration " + strconv.Quote(s) + " (missing unit, e.g. \"" + s + "s\")")
		}
		return 0, errors.New("invalid duration " + strconv.Quote(s))
	}
	i := strings.IndexByte(s, 'd')
	if i < 0 {
		d, err := time.ParseDuration(s)
		if err != nil {
			return bad()
		}
		return d, nil
	}
	days, err := strconv.ParseUint(s[:i], 10, 32)
	const maxDays = uint64(1<<63-1) / uint64(24*time.Hour)
	if err != nil || days > maxDays {
		return bad()
	}
	d := time.Duration(days) * 24 * time.Hour
	if rest := s[i+1:]; rest != "" {
		if rest[0] == '-' || rest[0] == '+' {
			return bad()
		}
		r, err := time.ParseDuration(rest)
		if err != nil || r > time.Duration(1<<63-1)-d {
			return bad()
		}
		d += r
	}
	return d, nil
}

type structInfo struct {
	byName    map[string][]int
	names     []string
	inlineMap []int
}

var structInfos sync.Map // reflect.Type -> *structInfo

func fieldsOf(t reflect.Type) *structInfo {
	if info, ok := structInfos.Load(t); ok {
		return info.(*structInfo)
	}
	info := &structInfo{byName: map[string][]int{}}
	addFields(info, t, nil)
	structInfos.Store(t, info)
	return info
}

func addFields(info *structInfo, t reflect.Type, prefix []int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, flags, _ := strings.Cut(tag, ",")
		inline := strings.Contains(","+flags+",", ",inline,")
		if tag == "-" || !f.IsExported() && !(inline && f.Anonymous) {
			continue
		}
		idx := append(append([]int(nil), prefix...), i)
		if inline {
			switch {
			case f.Type.Kind() == reflect.Struct:
				addFields(info, f.Type, idx)
			case f.Type.Kind() == reflect.Map && f.Type.Key().Kind() == reflect.String && info.inlineMap == nil:
				info.inlineMap = idx
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := info.byName[name]; dup {
			continue
		}
		info.byName[name] = idx
		info.names = append(info.names, name)
	}
}

// suggest returns ` (did you mean "x"?)` when a known key is close to key.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		// Close enough to be a typo: at most 2 edits, and few for the length.
		if d := editDistance(key, k); d < bestDist && d*4 <= len(key) {
			best, bestDist = k, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + strconv.Quote(best) + "?)"
}

// editDistance is the Levenshtein distance, bounded to short keys.
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 30
	}
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
