package transport

import (
	"net"
	"sync"
	"time"
)

// kindListener hands out the inbound connections of one kind.
type kindListener struct {
	t      *Transport
	kind   Kind
	ch     chan *Conn
	closed chan struct{}
	once   sync.Once
}

// Accept waits for the next connection of this kind.
func (l *kindListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.closed:
		return nil, &net.OpError{Op: "accept", Net: "tcp", Addr: l.Addr(), Err: net.ErrClosed}
	}
}

// deliver queues c for Accept, or closes it if the listener closes first.
func (l *kindListener) deliver(c *Conn) {
	select {
	case l.ch <- c:
	case <-l.closed:
		c.Close()
	}
}

// Close unregisters the kind (later connections of it are refused) and
// closes the connections of this kind accepted so far.
func (l *kindListener) Close() error {
	l.once.Do(func() {
		close(l.closed)
		l.t.mu.Lock()
		if l.t.kinds[l.kind] == l {
			delete(l.t.kinds, l.kind)
		}
		l.t.mu.Unlock()
		for {
			select {
			case c := <-l.ch:
				c.Close()
				continue
			default:
			}
			break
		}
		l.t.closeConns(l.kind, true)
	})
	return nil
}

// Addr is the transport's advertised address.
func (l *kindListener) Addr() net.Addr { return advertised(l.t.advertise) }

// advertised is an advertised host:port as a net.Addr.
type advertised string

func (a advertised) Network() string { return "tcp" }
func (a advertised) String() string  { return string(a) }

// logLimiter lets one message per key through per period, counting the
// ones it suppressed. It forgets keys idle for a period, and holds at most
// maxKeys keys.
type logLimiter struct {
	mu    sync.Mutex
	every time.Duration
	keys  map[string]*limitEntry
}

type limitEntry struct {
	last       time.Time
	suppressed int
}

const maxLimitKeys = 4096

func newLogLimiter(every time.Duration) *logLimiter {
	if every <= 0 {
		every = DefaultLogEvery
	}
	return &logLimiter{every: every, keys: map[string]*limitEntry{}}
}

// allow reports whether a message for key may be logged now, and how many
// were suppressed since the last one.
func (l *logLimiter) allow(key string, now time.Time) (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.keys[key]
	if ok && now.Sub(e.last) < l.every {
		e.suppressed++
		return false, 0
	}
	if !ok {
		if len(l.keys) >= maxLimitKeys {
			for k, old := range l.keys {
				if now.Sub(old.last) >= l.every {
					delete(l.keys, k)
				}
			}
			if len(l.keys) >= maxLimitKeys {
				clear(l.keys)
			}
		}
		e = &limitEntry{}
		l.keys[key] = e
	}
	n := e.suppressed
	e.last, e.suppressed = now, 0
	return true, n
}
