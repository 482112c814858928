package rpc

import (
	"context"
	"errors"
	"fmt"

	"github.com/hashicorp/raft"

	"github.com/custodes/custodes/internal/cluster"
	"github.com/custodes/custodes/internal/cluster/fsm"
)

// Error codes carried over the wire. A code is a stable, machine-readable
// class; the message is the original error text.
const (
	CodeInternal      = "internal"
	CodeBadRequest    = "bad_request"
	CodeUnknownMethod = "unknown_method"
	CodeTooLarge      = "too_large"
	CodeDeadline      = "deadline_exceeded"
	CodeCanceled      = "canceled"
	CodeUnavailable   = "unavailable" // the server is shutting down
	CodeNotFound      = "not_found"
	CodeConflict      = "conflict"
	CodeInvalid       = "invalid"
	CodeNotLeader     = "not_leader"
	CodeHalted        = "halted"
	CodeCorrupt       = "corrupt"
)

// ErrUnknownMethod is matched by a call to a method the peer does not
// serve (an older node during a rolling upgrade, say).
var ErrUnknownMethod = errors.New("rpc: unknown method")

// ErrUnavailable is matched when the peer is shutting down.
var ErrUnavailable = errors.New("rpc: peer unavailable")

// codeTable maps codes to the sentinel errors they stand for, in the
// order an error is classified (the first sentinel of a code is the one a
// returned error is checked against first).
var codeTable = []struct {
	code string
	errs []error
}{
	{CodeNotFound, []error{fsm.ErrNotFound}},
	{CodeConflict, []error{fsm.ErrConflict}},
	{CodeInvalid, []error{fsm.ErrInvalid}},
	{CodeHalted, []error{fsm.ErrHalted}},
	{CodeCorrupt, []error{fsm.ErrCorrupt}},
	{CodeNotLeader, []error{cluster.ErrNotLeader, raft.ErrNotLeader, raft.ErrLeadershipLost}},
	{CodeUnknownMethod, []error{ErrUnknownMethod}},
	{CodeTooLarge, []error{ErrFrameTooLarge}},
	{CodeUnavailable, []error{ErrUnavailable}},
	{CodeDeadline, []error{context.DeadlineExceeded}},
	{CodeCanceled, []error{context.Canceled}},
}

// Error is an error returned by a remote handler, rebuilt on the caller's
// side. errors.Is matches the sentinel errors of its code (fsm.ErrNotFound
// for CodeNotFound, cluster.ErrNotLeader for CodeNotLeader,
// context.DeadlineExceeded for CodeDeadline, ...) and any *Error with the
// same code.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error returns the remote error's text, unchanged.
func (e *Error) Error() string { return e.Message }

// Is reports whether target is the sentinel of e's code.
func (e *Error) Is(target error) bool {
	if t, ok := target.(*Error); ok {
		return t.Code == e.Code
	}
	for _, c := range codeTable {
		if c.code != e.Code {
			continue
		}
		for _, s := range c.errs {
			if s == target {
				return true
			}
		}
	}
	return false
}

// Errorf makes an error with an explicit code for a handler to return.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf classifies an error: the code of an *Error in its chain, else of
// the first known sentinel it wraps, else CodeInternal. nil has no code.
func CodeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	for _, c := range codeTable {
		for _, s := range c.errs {
			if errors.Is(err, s) {
				return c.code
			}
		}
	}
	return CodeInternal
}

// toError turns any error into its wire form.
func toError(err error) *Error {
	return &Error{Code: CodeOf(err), Message: err.Error()}
}
