package rpc

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
	"time"
)

// FuzzReadFrame feeds arbitrary bytes to the frame reader and request
// decoder: they must return frames or errors, never panic or read past
// the limit, and a decoded request must re-encode to the same frame.
func FuzzReadFrame(f *testing.F) {
	f.Add(encodeRequest(1, time.Second, "propose", []byte(`{"command":"AA=="}`)))
	f.Add(encodeSimple(frameReply, 2, []byte(`{}`)))
	f.Add(encodeSimple(frameCancel, 3, nil))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 'Q'})
	f.Add([]byte{0, 0, 0, 3, 'Q', 0, 0})
	f.Add([]byte{0, 0, 0, 18, 'Q', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 200})
	const limit = 1 << 16
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bufio.NewReader(bytes.NewReader(data))
		for range 100 {
			p, err := readFrame(r, limit)
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, ErrFrameTooLarge) && !errors.Is(err, errMalformedFrame) {
					t.Fatalf("unexpected error class: %v", err)
				}
				return
			}
			if len(p) > limit || len(p) < 1+idSize {
				t.Fatalf("frame of %d bytes passed the checks", len(p))
			}
			if kind, _ := frameHead(p); kind != frameRequest {
				continue
			}
			req, err := decodeRequest(p)
			if err != nil {
				continue
			}
			again := encodeRequest(req.id, req.timeout, req.method, req.body)
			if !bytes.Equal(again[lenSize:], p) {
				t.Fatalf("request %+v re-encodes to %x, read %x", req, again[lenSize:], p)
			}
		}
	})
}
