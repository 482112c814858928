// Package rpc is custodes' node-to-node request/response RPC, carried on
// the cluster transport's 'P' connections (mutual TLS, so every request
// knows the authenticated node id of its caller).
//
// Wire format: length-prefixed frames, a 4-byte big-endian payload length
// then the payload, whose first byte says what it is:
//
//	request  'Q' | id u64 | timeout ns u64 (0: none) | method length u8 | method | JSON body
//	cancel   'C' | id u64
//	reply    'A' | id u64 | JSON body
//	error    'E' | id u64 | JSON {"code":..., "message":...}
//
// A client keeps one connection per peer and multiplexes concurrent calls
// on it by id, like Consul's yamux sessions: a slow call does not hold
// others back, and a cancelled call costs a small cancel frame instead of
// a connection. The caller's deadline travels as a duration (never as a
// wall-clock time, which could be skewed) so the handler's context expires
// with the caller's. Frames above MaxFrame are refused before anything is
// allocated for them.
package rpc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Frame kinds.
const (
	frameRequest = 'Q'
	frameCancel  = 'C'
	frameReply   = 'A'
	frameError   = 'E'
)

// DefaultMaxFrame bounds a frame's payload (32 MiB): big enough for a
// page of history batches, small enough that a bad length cannot exhaust
// memory.
const DefaultMaxFrame = 32 << 20

// ErrFrameTooLarge is wrapped by errors about frames above the limit.
var ErrFrameTooLarge = errors.New("rpc: frame too large")

// errMalformedFrame is wrapped by errors about frames that break the
// format (a protocol violation, not a disconnect).
var errMalformedFrame = errors.New("rpc: malformed frame")

const (
	lenSize       = 4
	idSize        = 8
	requestHeader = 1 + idSize + 8 + 1 // kind, id, timeout, method length
	// directRead is the size up to which a frame's buffer is allocated at
	// once; bigger ones grow as bytes actually arrive.
	directRead = 64 << 10
)

// readFrame reads one frame's payload, refusing lengths above max.
func readFrame(r *bufio.Reader, max int) ([]byte, error) {
	var hdr [lenSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes announced, the limit is %d", ErrFrameTooLarge, n, max)
	}
	if n < 1+idSize {
		return nil, fmt.Errorf("%w: %d-byte payload is shorter than its %d-byte header", errMalformedFrame, n, 1+idSize)
	}
	if n <= directRead {
		b := make([]byte, n)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, unexpected(err)
		}
		return b, nil
	}
	var buf bytes.Buffer
	if _, err := io.CopyN(&buf, r, int64(n)); err != nil {
		return nil, unexpected(err)
	}
	return buf.Bytes(), nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// frameHead is a frame's kind and call id.
func frameHead(p []byte) (byte, uint64) {
	return p[0], binary.BigEndian.Uint64(p[1 : 1+idSize])
}

// request is a decoded request frame.
type request struct {
	id      uint64
	timeout time.Duration
	method  string
	body    []byte
}

func encodeRequest(id uint64, timeout time.Duration, method string, body []byte) []byte {
	b := make([]byte, lenSize+requestHeader+len(method)+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(b)-lenSize))
	p := b[lenSize:]
	p[0] = frameRequest
	binary.BigEndian.PutUint64(p[1:], id)
	binary.BigEndian.PutUint64(p[1+idSize:], uint64(max(timeout, 0)))
	p[requestHeader-1] = byte(len(method))
	copy(p[requestHeader:], method)
	copy(p[requestHeader+len(method):], body)
	return b
}

func decodeRequest(p []byte) (request, error) {
	if len(p) < requestHeader {
		return request{}, fmt.Errorf("%w: request of %d bytes, shorter than the %d-byte header", errMalformedFrame, len(p), requestHeader)
	}
	_, id := frameHead(p)
	timeout := binary.BigEndian.Uint64(p[1+idSize:])
	mlen := int(p[requestHeader-1])
	if len(p) < requestHeader+mlen {
		return request{}, fmt.Errorf("%w: request %d: method name of %d bytes overruns the frame", errMalformedFrame, id, mlen)
	}
	if timeout > uint64(1<<63-1) {
		return request{}, fmt.Errorf("%w: request %d: timeout out of range", errMalformedFrame, id)
	}
	return request{
		id:      id,
		timeout: time.Duration(timeout),
		method:  string(p[requestHeader : requestHeader+mlen]),
		body:    p[requestHeader+mlen:],
	}, nil
}

// encodeSimple builds a cancel, reply or error frame.
func encodeSimple(kind byte, id uint64, body []byte) []byte {
	b := make([]byte, lenSize+1+idSize+len(body))
	binary.BigEndian.PutUint32(b, uint32(len(b)-lenSize))
	b[lenSize] = kind
	binary.BigEndian.PutUint64(b[lenSize+1:], id)
	copy(b[lenSize+1+idSize:], body)
	return b
}

// payloadLen is the payload size of an encoded frame.
func payloadLen(frame []byte) int { return len(frame) - lenSize }
