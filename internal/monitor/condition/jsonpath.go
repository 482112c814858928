package condition

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// jsonPath is Gatus's JSON path subset, split at parse time: keys separated
// by dots outside brackets, each key a map key or a name followed by array
// indexes ("data[0]", "[1][2]").
type jsonPath struct {
	empty bool // the path is "": the body itself
	keys  []pathKey
}

// pathKey is one dot-separated element of a path.
type pathKey struct {
	name string // map key; for an indexed key, what comes before the index
	// indexed is set for a key ending in "]" and containing "[". Such a key
	// takes an element of the array named by name (or of the current value
	// when name is empty); index < 0 means the index is not a number (or is
	// negative) and the key finds nothing.
	indexed bool
	index   int
	// next is the further index of a nested array ("[0][1]": next is "[1]").
	next *pathKey
}

// emptyPath is what len([BODY]) evaluates.
var emptyPath = parsePath("")

func parsePath(path string) jsonPath {
	p := jsonPath{empty: path == ""}
	start, depth := 0, 0
	for i := 0; i < len(path); i++ {
		switch path[i] {
		case '[':
			depth++
		case ']':
			depth--
		case '.':
			if depth == 0 {
				p.keys = append(p.keys, parseKey(path[start:i]))
				start = i + 1
			}
		}
	}
	p.keys = append(p.keys, parseKey(path[start:]))
	return p
}

func parseKey(key string) pathKey {
	if !strings.HasSuffix(key, "]") || !strings.Contains(key, "[") {
		return pathKey{name: key}
	}
	// The index is between the last "[" before the first "]" that closes a
	// bracket at depth 1, and that "]".
	k := pathKey{indexed: true, index: -1}
	open, depth := 0, 0
	var index string
	closed := false
	for i := 0; i < len(key); i++ {
		if key[i] == '[' {
			open = i
			depth++
		} else if key[i] == ']' && depth == 1 {
			index = key[open+1 : i]
			closed = true
			if i+1 < len(key) && key[i+1] == '[' {
				next := parseKey(key[i+1:])
				k.next = &next
			}
			break
		}
	}
	if !closed {
		return k
	}
	if n, err := strconv.Atoi(index); err == nil && n >= 0 {
		k.index = n
	}
	k.name = key[:open]
	return k
}

// extract applies the key to v. It returns nil when there is nothing there.
func (k *pathKey) extract(v any) any {
	if !k.indexed {
		switch x := v.(type) {
		case []any:
			return x // a plain key does not descend into an array
		case map[string]any:
			return x[k.name]
		}
		return v // a plain key does not descend into a scalar either
	}
	if k.index < 0 {
		return nil
	}
	var array []any
	if k.name == "" {
		array, _ = v.([]any)
	} else {
		object, _ := v.(map[string]any)
		array, _ = object[k.name].([]any)
	}
	if k.index >= len(array) {
		return nil
	}
	if k.next != nil {
		return k.next.extract(array[k.index])
	}
	return array[k.index]
}

var (
	errNotFound      = errors.New("json path: no such value")
	errThroughString = errors.New("json path: a string has no keys")
)

// walk finds the value the path leads to in root.
func (p *jsonPath) walk(root any) (any, error) {
	v := root
	last := len(p.keys) - 1
	for i := range p.keys {
		v = p.keys[i].extract(v)
		switch x := v.(type) {
		case nil:
			return nil, errNotFound
		case map[string]any:
			if i == last {
				return x, nil
			}
		case string:
			if i != last {
				return nil, errThroughString
			}
			return x, nil
		default:
			// Arrays, numbers and booleans end the walk, whatever keys
			// remain.
			return x, nil
		}
	}
	return nil, errNotFound // unreachable: a path has at least one key
}

// state is what one evaluation shares between operands and conditions: the
// input, and the body trimmed and parsed when first needed.
type state struct {
	in          *Input
	trimmed     string
	trimmedDone bool
	doc         *jsonDocument
}

type jsonDocument struct {
	root any
	err  error
}

var zeroInput Input

func newState(in *Input) state {
	if in == nil {
		in = &zeroInput
	}
	return state{in: in}
}

func (st *state) trimmedBody() string {
	if !st.trimmedDone {
		st.trimmed = string(bytes.TrimSpace(st.in.Body))
		st.trimmedDone = true
	}
	return st.trimmed
}

func (st *state) json() (any, error) {
	if st.doc == nil {
		st.doc = new(jsonDocument)
		st.doc.err = json.Unmarshal(st.in.Body, &st.doc.root)
	}
	return st.doc.root, st.doc.err
}

// looksLikeArray is Gatus's test for whether an empty path walks the body
// (a JSON array) or returns it as is.
func looksLikeArray(b []byte) bool {
	return len(b) != 0 && b[0] == '[' && b[len(b)-1] == ']'
}

// pathNode returns what the path leads to. The body itself (a string) is
// returned for the empty path when it is not an array.
func (st *state) pathNode(p *jsonPath) (any, error) {
	if p.empty && !looksLikeArray(st.in.Body) {
		return nil, nil
	}
	root, err := st.json()
	if err != nil {
		return nil, err
	}
	return p.walk(root)
}

// pathText returns the text the path resolves to: strings as they are,
// objects as minified JSON, everything else formatted with %v.
func (st *state) pathText(p *jsonPath) (string, error) {
	node, err := st.pathNode(p)
	if err != nil {
		return "", err
	}
	switch x := node.(type) {
	case nil:
		return string(st.in.Body), nil
	case string:
		return x, nil
	case map[string]any:
		b, err := json.Marshal(x)
		return string(b), err
	}
	return fmt.Sprint(node), nil
}

// pathLen returns the length len() reports: elements of an array, bytes of
// anything else's text.
func (st *state) pathLen(p *jsonPath) (int, error) {
	node, err := st.pathNode(p)
	if err != nil {
		return 0, err
	}
	switch x := node.(type) {
	case nil:
		return len(st.in.Body), nil
	case []any:
		return len(x), nil
	case string:
		return len(x), nil
	case map[string]any:
		b, err := json.Marshal(x)
		return len(b), err
	}
	return len(fmt.Sprint(node)), nil
}

// pathFound reports whether the path leads somewhere (has()).
func (st *state) pathFound(p *jsonPath) bool {
	_, err := st.pathNode(p)
	return err == nil
}
