package config

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// visitBudget bounds how many nodes a decode may visit, counting every
// alias and merge-key expansion, so a "billion laughs" document fails fast
// instead of eating the machine: a fixed allowance plus a multiple of the
// document's own size, like yaml.v3's alias ratio.
func visitBudget(nodes int) int { return 100_000 + 64*nodes }

// problems collects the errors and warnings of one Load (or one
// Section.Decode) and knows which file every node came from.
type problems struct {
	files   map[*yaml.Node]string // node -> file it was parsed from
	file    string                // fallback file for nodes not in files
	errs    []*Error
	envErrs []*Error // the ${ENV} expansion problems among errs
	warns   []Warning
	visits  int
	budget  int // see visitBudget
	tooBig  bool
	merging map[*yaml.Node]bool // mappings whose merge keys are being expanded
	cycles  map[*yaml.Node]bool // mappings already reported as merging themselves
}

func (p *problems) fileOf(n *yaml.Node) string {
	if f, ok := p.files[n]; ok {
		return f
	}
	return p.file
}

func (p *problems) errorAt(n *yaml.Node, path, format string, args ...any) {
	p.errs = append(p.errs, p.errAt(n, path, format, args...))
}

func (p *problems) errAt(n *yaml.Node, path, format string, args ...any) *Error {
	line := 0
	if n != nil {
		line = n.Line
	}
	return errorf(p.fileOf(n), line, path, format, args...)
}

func (p *problems) warnAt(n *yaml.Node, path, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	p.warns = append(p.warns, Warning{File: p.fileOf(n), Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// visit counts one node visit and reports false once the budget is spent
// (reporting that once).
func (p *problems) visit(n *yaml.Node, path string) bool {
	if p.tooBig {
		return false
	}
	p.visits++
	if p.visits > p.budget {
		p.tooBig = true
		// No line: n is wherever the expansion happened to be.
		p.errs = append(p.errs, errorf(p.fileOf(n), 0, path, "too many nodes once aliases and merge keys (<<) are expanded: is this an alias bomb?"))
		return false
	}
	return true
}

// location is "file:line" of n, for Spec.Source and messages.
func (p *problems) location(n *yaml.Node) string {
	return p.fileOf(n) + ":" + strconv.Itoa(n.Line)
}

// resolve follows aliases to the node they name.
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	n = resolve(n)
	return n == nil || n.Kind == 0 || (n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null")
}

func kindName(n *yaml.Node) string {
	n = resolve(n)
	switch {
	case n == nil:
		return "nothing"
	case n.Kind == yaml.MappingNode:
		return "a mapping"
	case n.Kind == yaml.SequenceNode:
		return "a list"
	case isNull(n):
		return "null"
	case n.Kind == yaml.ScalarNode:
		return strconv.Quote(n.Value)
	}
	return "an unsupported node"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// entry is one key/value pair of a mapping.
type entry struct {
	key  string
	k, v *yaml.Node
}

// entries returns the pairs of mapping n with YAML merge keys ("<<: *x")
// applied as yaml.v3 (and so Gatus) applies them: keys written in the
// mapping win over merged ones, and among merged mappings a later one wins.
// A key written twice is an error. n must be a (resolved) mapping node.
func (p *problems) entries(n *yaml.Node, path string) []entry {
	if p.merging[n] {
		// A merge key leads back to a mapping being expanded.
		if !p.cycles[n] {
			p.cycles[n] = true
			p.errorAt(n, path, "a merge key (<<) refers to a mapping that contains it")
		}
		return nil
	}
	if p.merging == nil {
		p.merging, p.cycles = map[*yaml.Node]bool{}, map[*yaml.Node]bool{}
	}
	p.merging[n] = true
	defer delete(p.merging, n)
	var own, merged []entry
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !p.visit(k, path) {
			return nil
		}
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			merged = append(merged, p.mergeSources(v, path)...)
			continue
		}
		rk := resolve(k)
		if rk == nil || rk.Kind != yaml.ScalarNode || isNull(rk) {
			p.errorAt(k, path, "mapping keys must be strings, got %s", kindName(k))
			continue
		}
		if first, dup := seen[rk.Value]; dup {
			p.errorAt(k, join(path, rk.Value), "key defined twice in the same mapping (first at line %d)", first.Line)
			continue
		}
		seen[rk.Value] = k
		own = append(own, entry{key: rk.Value, k: k, v: v})
	}
	if len(merged) == 0 {
		return own
	}
	// Later merged mappings override earlier ones; own keys override all.
	last := map[string]int{}
	for i, e := range merged {
		last[e.key] = i
	}
	out := own
	for i, e := range merged {
		if _, mine := seen[e.key]; mine || last[e.key] != i {
			continue
		}
		out = append(out, e)
	}
	return out
}

// mergeSources returns the entries a merge key's value brings in: one
// mapping, or a list of mappings.
func (p *problems) mergeSources(v *yaml.Node, path string) []entry {
	rv := resolve(v)
	switch {
	case rv != nil && rv.Kind == yaml.MappingNode:
		return p.entries(rv, path)
	case rv != nil && rv.Kind == yaml.SequenceNode:
		var out []entry
		for _, item := range rv.Content {
			ri := resolve(item)
			if ri == nil || ri.Kind != yaml.MappingNode {
				p.errorAt(item, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", kindName(item))
				continue
			}
			out = append(out, p.entries(ri, path)...)
		}
		return out
	}
	p.errorAt(v, path, "a merge key (<<) takes a mapping or a list of mappings, got %s", kindName(v))
	return nil
}

// occurrence is one definition of a top-level key, in one file.
type occurrence struct {
	file string
	k, v *yaml.Node
}

// mergeOccurrences combines the definitions of one top-level key found in
// several files the way Gatus merges a config directory: mappings merge
// key by key, lists are appended, and a scalar may be defined only once.
// It returns nil when every definition is null.
func (p *problems) mergeOccurrences(path string, occs []occurrence) *yaml.Node {
	var acc *yaml.Node
	var accKey *yaml.Node
	for _, o := range occs {
		if isNull(o.v) {
			continue
		}
		if acc == nil {
			acc, accKey = o.v, o.k
			continue
		}
		acc = p.mergeNodes(path, accKey, acc, o.k, o.v)
	}
	return acc
}

// mergeNodes merges b (defined at key node kb) into a (defined at ka).
func (p *problems) mergeNodes(path string, ka, a, kb, b *yaml.Node) *yaml.Node {
	ra, rb := resolve(a), resolve(b)
	switch {
	case ra.Kind == yaml.MappingNode && rb.Kind == yaml.MappingNode:
		out := p.synthetic(ra, yaml.MappingNode)
		byKey := map[string]int{} // key -> index in out.Content of the key node
		keyNodes := map[string]*yaml.Node{}
		for _, e := range p.entries(ra, path) {
			byKey[e.key] = len(out.Content)
			keyNodes[e.key] = e.k
			out.Content = append(out.Content, e.k, e.v)
		}
		for _, e := range p.entries(rb, path) {
			i, dup := byKey[e.key]
			if !dup {
				byKey[e.key] = len(out.Content)
				keyNodes[e.key] = e.k
				out.Content = append(out.Content, e.k, e.v)
				continue
			}
			switch {
			case isNull(e.v):
			case isNull(out.Content[i+1]):
				out.Content[i+1] = e.v
			default:
				out.Content[i+1] = p.mergeNodes(join(path, e.key), keyNodes[e.key], out.Content[i+1], e.k, e.v)
			}
		}
		return out
	case ra.Kind == yaml.SequenceNode && rb.Kind == yaml.SequenceNode:
		out := p.synthetic(ra, yaml.SequenceNode)
		out.Content = append(append(out.Content, ra.Content...), rb.Content...)
		return out
	case ra.Kind == yaml.ScalarNode && rb.Kind == yaml.ScalarNode:
		p.errorAt(kb, path, "defined more than once (also at %s); a value may be set in one file only", p.location(ka))
	default:
		p.errorAt(kb, path, "is %s here but %s at %s; they cannot be merged", kindName(rb), kindName(ra), p.location(ka))
	}
	return a
}

// synthetic makes an empty node standing for a merge of like, attributed to
// like's file and line.
func (p *problems) synthetic(like *yaml.Node, kind yaml.Kind) *yaml.Node {
	n := &yaml.Node{Kind: kind, Line: like.Line, Column: like.Column}
	if p.files != nil {
		p.files[n] = p.fileOf(like)
	}
	return n
}

// recordFile attributes every node under n (not following aliases, which
// point inside the same file) to file; files may be nil. It returns how
// many nodes there are.
func recordFile(files map[*yaml.Node]string, n *yaml.Node, file string) int {
	count := 0
	stack := []*yaml.Node{n}
	for len(stack) > 0 {
		top := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if top == nil {
			continue
		}
		count++
		if files != nil {
			files[top] = file
		}
		if top.Kind != yaml.AliasNode {
			stack = append(stack, top.Content...)
		}
	}
	return count
}
