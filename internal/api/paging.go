package api

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/custodes/custodes/internal/monitor"
)

// Gatus's paging defaults.
const (
	defaultPage     = 1
	defaultPageSize = 50
)

// paging is one page of results, newest page first, as Gatus pages them.
type paging struct {
	page, size int
}

// parsePaging reads ?page= and ?pageSize= as Gatus does: absent values
// default to page 1 of 50, and on page 1 a size above maxResults shrinks to
// maxResults. Values that are not whole numbers >= 1 are refused with a
// message naming the parameter (Gatus silently replaces them by defaults).
func parsePaging(q url.Values, maxResults int) (paging, error) {
	p := paging{page: defaultPage, size: defaultPageSize}
	var err error
	if p.page, err = positiveParam(q, "page", defaultPage); err != nil {
		return paging{}, err
	}
	if p.size, err = positiveParam(q, "pageSize", defaultPageSize); err != nil {
		return paging{}, err
	}
	if p.page == 1 && p.size > maxResults {
		p.size = maxResults
	}
	return p, nil
}

func positiveParam(q url.Values, name string, def int) (int, error) {
	raw, present := q[name]
	if !present || raw[0] == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw[0])
	if err != nil || n < 1 {
		return 0, fmt.Errorf("invalid %s %q: must be a whole number >= 1", name, truncate(raw[0], 32))
	}
	return n, nil
}

// resultsPage returns one page of a monitor's results, limited to the
// maxResults most recent ones as Gatus's storage keeps no more (our
// history may keep more, for rollups).
func (s *server) resultsPage(ctx context.Context, key string, p paging) ([]monitor.Result, error) {
	// The page starts at the (page-1)*size-th most recent result; written
	// as a division so huge values cannot overflow.
	if p.page-1 > (s.maxResults-1)/p.size {
		return nil, nil
	}
	results, err := s.history.Results(ctx, key, p.page, p.size)
	if err != nil {
		return nil, fmt.Errorf("read results of %s: %w", key, err)
	}
	// Within a page results are chronological: the most recent is last.
	if keep := s.maxResults - (p.page-1)*p.size; len(results) > keep {
		results = results[len(results)-keep:]
	}
	return results, nil
}

// truncate shortens s to at most n bytes without splitting a UTF-8
// sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
