package condition

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// This file is a deliberately naive model of Gatus's condition evaluation,
// written from its documented and tested behaviour: everything is a string,
// every operand is resolved from scratch on every evaluation, numbers are
// parsed with no shortcuts, and JSON paths are walked by re-splitting the
// remaining path text at every step. The optimised package must agree with
// it on every condition and input (see the differential tests and the fuzz
// target). Like the package, it treats as missing the JSON paths on which
// Gatus would panic.

// refEvaluate evaluates text against in; ok is false when the condition is
// invalid.
func refEvaluate(text string, in *Input, opts Options) (r Result, ok bool) {
	for _, sep := range []string{" == ", " != ", " <= ", " >= ", " > ", " < "} {
		if !strings.Contains(text, sep) {
			continue
		}
		pieces := strings.Split(text, sep)
		params := [2]string{strings.TrimSpace(pieces[0]), strings.TrimSpace(pieces[1])}
		resolved := [2]string{refResolve(params[0], in), refResolve(params[1], in)}
		symbol := strings.TrimSpace(sep)
		var success bool
		var shown string
		if symbol == "==" || symbol == "!=" {
			success = refEqual(resolved[0], resolved[1]) == (symbol == "==")
			shown = refPrettify(params, resolved, symbol)
		} else {
			a, b := refNumber(resolved[0]), refNumber(resolved[1])
			switch symbol {
			case "<=":
				success = a <= b
			case ">=":
				success = a >= b
			case ">":
				success = a > b
			case "<":
				success = a < b
			}
			var shownNumbers [2]string
			for i, n := range [2]int64{a, b} {
				_, err := time.ParseDuration(params[i])
				if params[i] == "[CERTIFICATE_EXPIRATION]" || params[i] == "[DOMAIN_EXPIRATION]" || err == nil {
					shownNumbers[i] = refFormatDuration(time.Duration(n) * time.Millisecond)
				} else {
					shownNumbers[i] = strconv.Itoa(int(n))
				}
			}
			shown = refPrettify(params, shownNumbers, symbol)
		}
		if (success && opts.ResolveSuccessful) || (!success && !opts.DontResolveFailed) {
			return Result{Condition: shown, Success: success}, true
		}
		return Result{Condition: text, Success: success}, true
	}
	return Result{}, false
}

func refResolve(p string, in *Input) string {
	fn, inner := "", p
	if strings.HasPrefix(p, "len(") && strings.HasSuffix(p, ")") {
		fn, inner = "len", strings.TrimSuffix(strings.TrimPrefix(p, "len("), ")")
	} else if strings.HasPrefix(p, "has(") && strings.HasSuffix(p, ")") {
		fn, inner = "has", strings.TrimSuffix(strings.TrimPrefix(p, "has("), ")")
	}
	apply := func(v string) string {
		switch fn {
		case "has":
			return strconv.FormatBool(v != "")
		case "len":
			return strconv.Itoa(len(v))
		}
		return v
	}
	upper := strings.ToUpper(inner)
	switch upper {
	case "[STATUS]":
		return apply(strconv.Itoa(in.Status))
	case "[IP]":
		return apply(in.IP)
	case "[RESPONSE_TIME]":
		return apply(strconv.FormatInt(in.ResponseTime.Milliseconds(), 10))
	case "[DNS_RCODE]":
		return apply(in.DNSRCode)
	case "[CONNECTED]":
		return apply(strconv.FormatBool(in.Connected))
	case "[CERTIFICATE_EXPIRATION]":
		return apply(strconv.FormatInt(in.CertificateExpiration.Milliseconds(), 10))
	case "[DOMAIN_EXPIRATION]":
		return apply(strconv.FormatInt(in.DomainExpiration.Milliseconds(), 10))
	case "[BODY]":
		body := strings.TrimSpace(string(in.Body))
		switch fn {
		case "has":
			return strconv.FormatBool(len(body) > 0)
		case "len":
			if _, n, err := refJSONEval("", in.Body); err == nil {
				return strconv.Itoa(n)
			}
			return strconv.Itoa(len(body))
		}
		return body
	}
	if strings.HasPrefix(upper, "[BODY].") || strings.HasPrefix(upper, "[BODY][") {
		v, n, err := refJSONEval(strings.TrimPrefix(inner[len("[BODY]"):], "."), in.Body)
		switch {
		case fn == "has":
			return strconv.FormatBool(err == nil)
		case err != nil:
			return p + " (INVALID)"
		case fn == "len":
			return strconv.Itoa(n)
		}
		return v
	}
	switch fn {
	case "has":
		return "false"
	case "len":
		return p + " (INVALID)"
	}
	return p
}

func refJSONEval(path string, b []byte) (string, int, error) {
	if path == "" && (len(b) == 0 || b[0] != '[' || b[len(b)-1] != ']') {
		return string(b), len(b), nil
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		return "", 0, err
	}
	return refWalk(path, doc)
}

func refWalk(path string, doc any) (string, int, error) {
	var keys []string
	start, depth := 0, 0
	for i := range path {
		if path[i] == '[' {
			depth++
		} else if path[i] == ']' {
			depth--
		}
		if path[i] == '.' && depth == 0 {
			keys = append(keys, path[start:i])
			start = i + 1
		}
	}
	keys = append(keys, path[start:])
	switch v := refExtract(keys[0], doc).(type) {
	case map[string]any:
		rest := strings.Replace(path, keys[0]+".", "", 1)
		if rest == path {
			b, err := json.Marshal(v)
			return string(b), len(b), err
		}
		return refWalk(rest, v)
	case string:
		if len(keys) > 1 {
			return "", 0, errors.New("walked through a string")
		}
		return v, len(v), nil
	case []any:
		return fmt.Sprintf("%v", v), len(v), nil
	case nil:
		return "", 0, errors.New("nothing there")
	default:
		s := fmt.Sprintf("%v", v)
		return s, len(s), nil
	}
}

func refExtract(key string, v any) any {
	if !strings.HasSuffix(key, "]") || !strings.Contains(key, "[") {
		switch x := v.(type) {
		case []any:
			return x
		case map[string]any:
			return x[key]
		}
		return v
	}
	open, end, depth := 0, 0, 0
	index, nested := "", false
	for i := range key {
		if key[i] == '[' {
			open = i
			depth++
		} else if key[i] == ']' && depth == 1 {
			end, index = i, key[open+1:i]
			nested = len(key) > i+1 && key[i+1] == '['
			break
		}
	}
	n, err := strconv.Atoi(index)
	if err != nil || n < 0 { // Gatus panics on a negative index
		return nil
	}
	var array []any
	if name := key[:open]; name == "" {
		array, _ = v.([]any)
	} else {
		object, isObject := v.(map[string]any)
		if !isObject || object[name] == nil { // Gatus panics on a non-object
			return nil
		}
		array, _ = object[name].([]any)
	}
	if len(array) <= n {
		return nil
	}
	if nested {
		return refExtract(key[end+1:], array[n])
	}
	return array[n]
}

func refEqual(a, b string) bool {
	aFn, bFn := strings.HasSuffix(a, ")"), strings.HasSuffix(b, ")")
	if aFn || bFn {
		aPat, bPat := false, false
		if aFn && strings.HasPrefix(a, "pat(") {
			aPat, a = true, strings.TrimSuffix(strings.TrimPrefix(a, "pat("), ")")
		}
		if bFn && strings.HasPrefix(b, "pat(") {
			bPat, b = true, strings.TrimSuffix(strings.TrimPrefix(b, "pat("), ")")
		}
		if aPat && !bPat {
			return refMatch(a, b)
		} else if bPat && !aPat {
			return refMatch(b, a)
		}
		aAny, bAny := false, false
		if aFn && strings.HasPrefix(a, "any(") {
			aAny, a = true, strings.TrimSuffix(strings.TrimPrefix(a, "any("), ")")
		}
		if bFn && strings.HasPrefix(b, "any(") {
			bAny, b = true, strings.TrimSuffix(strings.TrimPrefix(b, "any("), ")")
		}
		if aAny && !bAny {
			for _, option := range strings.Split(a, ",") {
				if strings.TrimSpace(option) == b {
					return true
				}
			}
			return false
		} else if bAny && !aAny {
			for _, option := range strings.Split(b, ",") {
				if strings.TrimSpace(option) == a {
					return true
				}
			}
			return false
		}
	}
	x, errX := strconv.ParseInt(a, 0, 64)
	y, errY := strconv.ParseInt(b, 0, 64)
	if errX == nil && errY == nil {
		return x == y
	}
	return a == b
}

func refMatch(pattern, s string) bool {
	if pattern == "*" {
		return true
	}
	s = strings.ReplaceAll(s, string(filepath.Separator), "")
	pattern = strings.ReplaceAll(pattern, string(filepath.Separator), "")
	matched, _ := filepath.Match(pattern, s)
	return matched
}

func refNumber(s string) int64 {
	if d, err := time.ParseDuration(s); err == nil && d != 0 {
		return d.Milliseconds()
	}
	if n, err := strconv.ParseInt(s, 0, 64); err == nil {
		return n
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil {
		return int64(f)
	}
	return 0
}

func refPrettify(params, resolved [2]string, symbol string) string {
	if strings.HasPrefix(params[0], "pat(") && strings.HasSuffix(params[0], ")") && len(resolved[1]) > 25 {
		resolved[1] = fmt.Sprintf("%.25s...(truncated)", resolved[1])
	}
	if strings.HasPrefix(params[1], "pat(") && strings.HasSuffix(params[1], ")") && len(resolved[0]) > 25 {
		resolved[0] = fmt.Sprintf("%.25s...(truncated)", resolved[0])
	}
	var sides [2]string
	for i := range sides {
		switch {
		case resolved[i] == params[i]+" (INVALID)":
			sides[i] = resolved[i]
		case resolved[i] != params[i]:
			sides[i] = params[i] + " (" + resolved[i] + ")"
		default:
			sides[i] = params[i]
		}
	}
	return sides[0] + " " + symbol + " " + sides[1]
}

func refFormatDuration(d time.Duration) string {
	s := d.Truncate(time.Second).String()
	if s == "0s" {
		return "0s"
	}
	if strings.HasSuffix(s, "0s") {
		s = strings.TrimSuffix(s, "0s")
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
