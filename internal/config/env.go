package config

import (
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// expandEnv replaces $VAR and ${VAR} in every key and scalar value of the
// document rooted at n, with Gatus's syntax: "$$" is a literal "$", a "$"
// not followed by a name stays as it is, and names are what os.Expand
// accepts. Unlike Gatus, which expands the raw text (comments included) and
// silently substitutes "" for unset variables, the expansion happens after
// parsing, inside scalars only, and an unset variable is an error naming it
// and where it is used. Line numbers therefore stay exact, comments are never
// expanded, and a variable's value cannot inject YAML structure. A plain
// (unquoted) scalar is re-typed after expansion, so `port: ${PORT}` is an
// integer and `interval: ${EMPTY}` is null, as in Gatus.
func (p *problems) expandEnv(n *yaml.Node, lookup func(string) (string, bool)) {
	type item struct {
		n    *yaml.Node
		path string
	}
	stack := []item{{n, ""}}
	for len(stack) > 0 {
		it := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		switch it.n.Kind {
		case yaml.DocumentNode:
			for _, c := range it.n.Content {
				stack = append(stack, item{c, it.path})
			}
		case yaml.ScalarNode:
			p.expandScalar(it.n, it.path, lookup)
		case yaml.SequenceNode:
			for i := len(it.n.Content) - 1; i >= 0; i-- {
				stack = append(stack, item{it.n.Content[i], index(it.path, i)})
			}
		case yaml.MappingNode:
			for i := len(it.n.Content) - 2; i >= 0; i -= 2 {
				k, v := it.n.Content[i], it.n.Content[i+1]
				if k.Kind == yaml.ScalarNode {
					p.expandScalar(k, join(it.path, k.Value), lookup)
				}
				stack = append(stack, item{v, join(it.path, k.Value)})
			}
		}
		// Alias nodes are not followed: what they name is expanded where
		// it is defined.
	}
}

func (p *problems) expandScalar(n *yaml.Node, path string, lookup func(string) (string, bool)) {
	if !strings.Contains(n.Value, "$") {
		return
	}
	out, bad := expand(n.Value, lookup)
	for _, b := range bad {
		line := n.Line + strings.Count(n.Value[:b.offset], "\n")
		if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			line++ // the content starts on the line after "|" or ">"
		}
		err := errorf(p.fileOf(n), line, path, "%s", b.msg)
		p.errs = append(p.errs, err)
		p.envErrs = append(p.envErrs, err)
	}
	if len(bad) > 0 || out == n.Value {
		return
	}
	n.Value = out
	if n.Style&(yaml.TaggedStyle|yaml.SingleQuotedStyle|yaml.DoubleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
		n.Tag = "" // plain scalar: let yaml resolve its type again
	}
}

type badRef struct {
	offset int
	msg    string
}

// expand expands the variables of s, returning the problems found.
func expand(s string, lookup func(string) (string, bool)) (string, []badRef) {
	var b strings.Builder
	var bad []badRef
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		if s[i+1] == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		name, width, problem := shellName(s[i+1:])
		switch {
		case problem != "":
			bad = append(bad, badRef{i, problem + " (write $$ for a literal $)"})
		case name == "":
			b.WriteByte('$') // "$" not followed by a name stays
		default:
			val, set := lookup(name)
			if !set {
				bad = append(bad, badRef{i, "environment variable " + strconv.Quote(name) + " is not set (write $$ for a literal $)"})
			}
			b.WriteString(val)
		}
		i += width
	}
	return b.String(), bad
}

// shellName reads a variable name after "$" as os.Expand does: "{name}",
// one special character, or a run of letters, digits and underscores. It
// returns the bytes consumed, and a problem for "${" without "}" or "${}"
// (which os.Expand silently drops).
func shellName(s string) (name string, width int, problem string) {
	if s[0] == '{' {
		if len(s) > 2 && isShellSpecial(s[1]) && s[2] == '}' {
			return s[1:2], 3, ""
		}
		end := strings.IndexByte(s, '}')
		if end < 0 {
			return "", 1, `"${" without a closing "}"`
		}
		if end == 1 {
			return "", 2, `empty variable reference "${}"`
		}
		return s[1:end], end + 1, ""
	}
	if isShellSpecial(s[0]) {
		return s[:1], 1, ""
	}
	i := 0
	for i < len(s) && (s[i] == '_' || s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z') {
		i++
	}
	return s[:i], i, ""
}

func isShellSpecial(c byte) bool {
	switch c {
	case '*', '#', '$', '@', '!', '?', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return true
	}
	return false
}
