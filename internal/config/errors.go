package config

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Error is one problem found in a config file: where it is and what is wrong.
// Its text is "file:line: field.path: message", with the parts that are
// unknown left out.
type Error struct {
	File string // the file as found by Load; "" when the problem is not in a file
	Line int    // 1-based; 0 when unknown
	Path string // the field path, e.g. "endpoints[2].interval"; "" for the whole file
	Msg  string
	Err  error // the underlying cause, if any (e.g. fs.ErrNotExist)
}

func (e *Error) Error() string { return position(e.File, e.Line, e.Path) + e.Msg }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Errors is every problem Load found, in file and line order. Load returns
// a *Errors whenever it fails, so callers can show the whole list at once.
type Errors struct {
	List []*Error
}

// Error returns one problem per line.
func (e *Errors) Error() string {
	var b strings.Builder
	for i, err := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(err.Error())
	}
	return b.String()
}

// Unwrap returns the problems, so errors.Is and errors.As look into them.
func (e *Errors) Unwrap() []error {
	errs := make([]error, len(e.List))
	for i, err := range e.List {
		errs[i] = err
	}
	return errs
}

// Warning is something Load accepted but that the user should know about:
// a key custodes does not act on, an endpoint it cannot probe, a deprecated
// setting. Its text has the same form as an Error's.
type Warning struct {
	File string
	Line int
	Path string
	Msg  string
}

func (w Warning) String() string { return position(w.File, w.Line, w.Path) + w.Msg }

func position(file string, line int, path string) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		if line > 0 {
			b.WriteByte(':')
			b.WriteString(strconv.Itoa(line))
		}
		b.WriteString(": ")
	}
	if path != "" {
		b.WriteString(path)
		b.WriteString(": ")
	}
	return b.String()
}

// sortErrors orders errors by file, then line, keeping discovery order for
// equal positions.
func sortErrors(list []*Error) {
	slices.SortStableFunc(list, func(a, b *Error) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

func sortWarnings(list []Warning) {
	slices.SortStableFunc(list, func(a, b Warning) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line))
	})
}

func errorf(file string, line int, path, format string, args ...any) *Error {
	return &Error{File: file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)}
}
