package notify

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"time"
)

// decodeValues decodes a provider-override (YAML already decoded into
// maps, lists and scalars) into the struct into points to, as strictly as
// the config loader decodes a section: unknown keys and values of the
// wrong type are *FieldError values under "provider-override.<key>". It
// never panics, whatever the values.
func decodeValues(values map[string]any, provider string, into any) error {
	v := &Validation{provider: provider, override: true}
	d := valueDecoder{v: v}
	d.value("", values, reflect.ValueOf(into).Elem(), 0)
	return v.Err()
}

type valueDecoder struct{ v *Validation }

// maxDepth bounds nesting, so a self-referencing value cannot recurse forever.
const maxDepth = 32

func (d valueDecoder) fail(path, format string, args ...any) {
	if path == "" {
		path = "(root)"
	}
	d.v.Errorf(path, format, args...)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

var durationType = reflect.TypeFor[time.Duration]()

func (d valueDecoder) value(path string, in any, v reflect.Value, depth int) {
	if depth > maxDepth {
		d.fail(path, "nested too deeply")
		return
	}
	if in == nil {
		v.Set(reflect.Zero(v.Type()))
		return
	}
	if v.Type() == durationType {
		d.duration(path, in, v)
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		e := reflect.New(v.Type().Elem())
		d.value(path, in, e.Elem(), depth+1)
		v.Set(e)
	case reflect.Struct:
		d.structure(path, in, v, depth)
	case reflect.Map:
		d.mapping(path, in, v, depth)
	case reflect.Slice:
		list, ok := in.([]any)
		if !ok {
			d.fail(path, "expected a list, got %s", describe(in))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(list), len(list))
		for i, item := range list {
			d.value(fmt.Sprintf("%s[%d]", path, i), item, s.Index(i), depth+1)
		}
		v.Set(s)
	case reflect.Interface:
		if v.NumMethod() != 0 {
			d.fail(path, "cannot decode into %s", v.Type())
			return
		}
		v.Set(reflect.ValueOf(in))
	case reflect.String:
		switch x := in.(type) {
		case string:
			v.SetString(x)
		case int, int64, uint64, float64, bool:
			v.SetString(fmt.Sprint(x)) // a YAML scalar, as the config loader accepts
		default:
			d.fail(path, "expected a string, got %s", describe(in))
		}
	case reflect.Bool:
		b, ok := in.(bool)
		if !ok {
			d.fail(path, "expected a boolean, got %s", describe(in))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := toInt(in)
		if !ok || v.OverflowInt(i) {
			d.fail(path, "expected an integer, got %s", describe(in))
			return
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		i, ok := toInt(in)
		if !ok || i < 0 || v.OverflowUint(uint64(i)) {
			d.fail(path, "expected an unsigned integer, got %s", describe(in))
			return
		}
		v.SetUint(uint64(i))
	case reflect.Float32, reflect.Float64:
		f, ok := toFloat(in)
		if !ok {
			d.fail(path, "expected a number, got %s", describe(in))
			return
		}
		v.SetFloat(f)
	default:
		d.fail(path, "cannot decode into %s", v.Type())
	}
}

func (d valueDecoder) duration(path string, in any, v reflect.Value) {
	s, ok := in.(string)
	if !ok {
		if i, isInt := toInt(in); isInt && i == 0 {
			v.SetInt(0)
			return
		}
		d.fail(path, "expected a duration (e.g. \"10s\"), got %s", describe(in))
		return
	}
	dur, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil {
		d.fail(path, "invalid duration %q", s)
		return
	}
	v.SetInt(int64(dur))
}

// entries returns the string-keyed entries of a YAML mapping, sorted.
func entries(in any) (map[string]any, bool) {
	switch m := in.(type) {
	case map[string]any:
		return m, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, val := range m {
			out[fmt.Sprint(k)] = val
		}
		return out, true
	}
	return nil, false
}

func (d valueDecoder) structure(path string, in any, v reflect.Value, depth int) {
	m, ok := entries(in)
	if !ok {
		d.fail(path, "expected a mapping, got %s", describe(in))
		return
	}
	fields := map[string][]int{}
	yamlFields(v.Type(), nil, fields)
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		idx, ok := fields[k]
		if !ok {
			d.fail(join(path, k), "unknown key")
			continue
		}
		d.value(join(path, k), m[k], v.FieldByIndex(idx), depth+1)
	}
}

// yamlFields maps yaml keys to field indexes, following `,inline` structs.
func yamlFields(t reflect.Type, prefix []int, out map[string][]int) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, flags, _ := strings.Cut(tag, ",")
		if tag == "-" || !f.IsExported() {
			continue
		}
		idx := append(slices.Clone(prefix), i)
		if strings.Contains(","+flags+",", ",inline,") {
			if f.Type.Kind() == reflect.Struct {
				yamlFields(f.Type, idx, out)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if _, dup := out[name]; !dup {
			out[name] = idx
		}
	}
}

func (d valueDecoder) mapping(path string, in any, v reflect.Value, depth int) {
	m, ok := entries(in)
	if !ok {
		d.fail(path, "expected a mapping, got %s", describe(in))
		return
	}
	if v.Type().Key().Kind() != reflect.String {
		d.fail(path, "cannot decode into %s", v.Type())
		return
	}
	out := reflect.MakeMapWithSize(v.Type(), len(m))
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		elem := reflect.New(v.Type().Elem()).Elem()
		d.value(join(path, k), m[k], elem, depth+1)
		out.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), elem)
	}
	v.Set(out)
}

func toInt(in any) (int64, bool) {
	switch x := in.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		if x == math.Trunc(x) && x >= math.MinInt64 && x < math.MaxInt64 {
			return int64(x), true
		}
	}
	return 0, false
}

func toFloat(in any) (float64, bool) {
	switch x := in.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}

// describe names the YAML kind of a decoded value for error messages.
func describe(in any) string {
	switch x := in.(type) {
	case string:
		return fmt.Sprintf("string %q", x)
	case bool:
		return fmt.Sprintf("boolean %t", x)
	case int, int64, uint64:
		return fmt.Sprintf("integer %v", x)
	case float64:
		return fmt.Sprintf("number %v", x)
	case []any:
		return "a list"
	case map[string]any, map[any]any:
		return "a mapping"
	}
	return fmt.Sprintf("a %T", in)
}

// isHTTPURL reports whether s is an absolute http or https URL with a host.
func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return true
	}
	return false
}
