package config

import (
	"maps"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func quote(s string) string { return strconv.Quote(s) }

// checkHostPort returns what is wrong with a "host:port" address, or "".
// An empty host (":7946", all interfaces) is allowed when emptyHostOK.
func checkHostPort(addr string, emptyHostOK bool) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "invalid address " + quote(addr) + ": want host:port"
	}
	if host == "" && !emptyHostOK {
		return "invalid address " + quote(addr) + ": the host is missing"
	}
	if strings.ContainsAny(host, " \t/") {
		return "invalid address " + quote(addr) + ": bad host"
	}
	return checkPort(addr, port)
}

// checkPort accepts a port number 1-65535 or a service name (as net.Dial).
func checkPort(addr, port string) string {
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			return "invalid address " + quote(addr) + ": port must be between 1 and 65535"
		}
		return ""
	}
	if !serviceName.MatchString(port) {
		return "invalid address " + quote(addr) + ": bad port " + quote(port)
	}
	return ""
}

var serviceName = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{0,31}$`)

// checkAdvertise checks an address peers dial: host:port with a concrete host.
func checkAdvertise(addr string) string {
	if msg := checkHostPort(addr, false); msg != "" {
		return msg
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return "invalid address " + quote(addr) + ": peers cannot dial an unspecified address; use this node's reachable address"
	}
	return ""
}

// checkHTTPURL returns what is wrong with an http(s) URL, or "".
func checkHTTPURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid URL: " + strings.TrimPrefix(err.Error(), "parse "+quote(raw)+": ")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "invalid URL: the scheme must be http or https"
	}
	if u.Host == "" {
		return "invalid URL: the host is missing"
	}
	return ""
}

// labelKey is the form of label names (node labels, node-labels,
// extra-labels): what Kubernetes and Prometheus users expect to work.
var labelKey = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_./-]{0,62}$`)

// checkLabels reports bad label names and values in m, written at path.
func checkLabels(t *tree, m map[string]string, path string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		v := m[k]
		if !labelKey.MatchString(k) {
			t.errorf(join(path, k), "invalid label name %q: use letters, digits, '_', '.', '/' and '-' (at most 63)", k)
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			t.errorf(join(path, k), "label value must be one line")
		}
	}
}

// isToken reports whether s is an HTTP token (a method or a header name).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
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

// validHeaderValue reports whether v can be sent as a header value.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}
