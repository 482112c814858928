package http

import (
	"fmt"
	"net"
	nethttp "net/http"
	"net/url"
	"strings"
	"time"

	"github.com/custodes/custodes/internal/monitor"
	"github.com/custodes/custodes/internal/probe/target"
	probetls "github.com/custodes/custodes/internal/probe/tls"
)

// clientKey identifies the client options that change how requests are
// made. Monitors with equal keys share one client and its keep-alive
// connections. The timeout is not part of it: each check's context carries
// its own deadline.
type clientKey struct {
	insecure       bool
	ignoreRedirect bool
	dnsResolver    string
	proxyURL       string
	network        string
	sourceIP       string
	certFile       string
	keyFile        string
	renegotiation  string
	tokenURL       string
	clientID       string
	clientSecret   string
	scopes         string
}

func keyOf(o *monitor.ClientOptions) clientKey {
	k := clientKey{
		insecure:       o.Insecure,
		ignoreRedirect: o.IgnoreRedirect,
		dnsResolver:    o.DNSResolver,
		proxyURL:       o.ProxyURL,
		network:        o.Network,
		sourceIP:       o.SourceIP,
	}
	if o.TLS != nil {
		k.certFile, k.keyFile, k.renegotiation = o.TLS.CertificateFile, o.TLS.PrivateKeyFile, o.TLS.Renegotiation
	}
	if o.OAuth2 != nil {
		k.tokenURL, k.clientID, k.clientSecret = o.OAuth2.TokenURL, o.OAuth2.ClientID, o.OAuth2.ClientSecret
		k.scopes = strings.Join(o.OAuth2.Scopes, "\x00")
	}
	return k
}

// client is one shared HTTP client: a keep-alive transport configured from
// the client options, plus what the checks using it need to know.
type client struct {
	http      *nethttp.Client
	transport *nethttp.Transport
	resolver  *net.Resolver
	ipNetwork string
	proxy     func(*nethttp.Request) (*url.URL, error)
	token     *tokenSource // nil without oauth2
}

// proxied reports whether req goes through a proxy, in which case the
// connection's address is the proxy's, not the target's.
func (c *client) proxied(req *nethttp.Request) bool {
	if c.proxy == nil {
		return false
	}
	u, err := c.proxy(req)
	return err != nil || u != nil
}

// newClient builds the client for the options; errors name the bad option.
func newClient(o *monitor.ClientOptions, opts *Options) (*client, error) {
	d, err := target.NewDialer(o)
	if err != nil {
		return nil, err
	}
	ipNetwork, _ := target.Network(o)
	resolver := d.Resolver
	if resolver == nil {
		resolver = net.DefaultResolver
	}
	tlsConf, err := probetls.ClientConfig(o, "")
	if err != nil {
		return nil, err
	}
	proxy := nethttp.ProxyFromEnvironment
	if o.ProxyURL != "" {
		u, err := url.Parse(o.ProxyURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("invalid client proxy-url %q", o.ProxyURL)
		}
		proxy = nethttp.ProxyURL(u)
	}
	tr := &nethttp.Transport{
		Proxy:                  proxy,
		DialContext:            d.DialContext,
		TLSClientConfig:        tlsConf,
		MaxIdleConns:           opts.MaxIdleConns,
		MaxIdleConnsPerHost:    opts.MaxIdleConnsPerHost,
		IdleConnTimeout:        90 * time.Second,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 1 << 20,
	}
	hc := &nethttp.Client{Transport: tr}
	if o.IgnoreRedirect {
		hc.CheckRedirect = func(*nethttp.Request, []*nethttp.Request) error { return nethttp.ErrUseLastResponse }
	}
	c := &client{http: hc, transport: tr, resolver: resolver, ipNetwork: ipNetwork, proxy: proxy}
	if o.OAuth2 != nil {
		if o.OAuth2.TokenURL == "" || o.OAuth2.ClientID == "" || o.OAuth2.ClientSecret == "" {
			return nil, fmt.Errorf("invalid client oauth2: token-url, client-id and client-secret must be set")
		}
		c.token = newTokenSource(*o.OAuth2, &nethttp.Client{Transport: tr}, opts.now)
	}
	return c, nil
}

// clientFor returns the shared client for the options, building it on
// first use. A client that cannot be built is not cached, so fixing a
// missing certificate file heals the monitor.
func (p *Prober) clientFor(o *monitor.ClientOptions) (*client, error) {
	k := keyOf(o)
	p.mu.RLock()
	c := p.clients[k]
	p.mu.RUnlock()
	if c != nil {
		return c, nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.clients[k]; c != nil {
		return c, nil
	}
	if p.closed {
		return nil, errClosed
	}
	c, err := newClient(o, &p.opts)
	if err != nil {
		return nil, err
	}
	p.clients[k] = c
	return c, nil
}
