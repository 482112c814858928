package http

import (
	"bytes"
	"context"
	"fmt"
	"io"
	nethttp "net/http"
	"time"
)

// readBody reads the response body for [BODY], at most limit bytes. A
// longer body is cut at limit and reported as an error.
func readBody(resp *nethttp.Response, limit int64) ([]byte, error) {
	var buf bytes.Buffer
	if n := resp.ContentLength; n > 0 {
		buf.Grow(int(min(n, limit)) + 1)
	}
	n, err := buf.ReadFrom(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return buf.Bytes(), fmt.Errorf("error reading response body: %w", err)
	}
	if n > limit {
		return buf.Bytes()[:limit], fmt.Errorf("response body exceeds the %s limit", Size(limit))
	}
	return buf.Bytes(), nil
}

// drain reads what is left of a body nobody needs, up to drainBytes and for
// at most limit, so the keep-alive connection can serve the next
// check. Past either bound, cancel abandons the connection.
func drain(resp *nethttp.Response, limit time.Duration, cancel context.CancelFunc) {
	if resp.ContentLength == 0 || resp.ContentLength > drainBytes {
		return
	}
	t := time.AfterFunc(limit, cancel)
	defer t.Stop()
	_, _ = io.CopyN(io.Discard, resp.Body, drainBytes)
}

// Size formats a byte count the way limits are written: "1 MiB", "512 KiB",
// "1000 bytes".
func Size(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
