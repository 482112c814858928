package app

import (
	"net/http"
	"time"

	"github.com/custodes/custodes/internal/api"
	"github.com/custodes/custodes/internal/config"
)

func (a *App) newHTTPServer(cfg *config.Config) *http.Server {
	opts := api.Options{
		Monitors:   a.node.FSM(),
		History:    a.store,
		External:   a,
		Ready:      a.readiness,
		MaxResults: cfg.Storage.MaximumNumberOfResults,
		MaxEvents:  cfg.Storage.MaximumNumberOfEvents,
		Node:       a.nodeID,
		Now:        a.now,
		Logger:     a.log,
		Control:    control{a},
	}
	if cfg.Security != nil {
		opts.AdminToken = cfg.Security.AdminToken
	}
	if cfg.Metrics {
		opts.Metrics = a.metrics.Handler()
	}
	if cfg.Security != nil && cfg.Security.Basic != nil {
		opts.Basic = &api.BasicAuth{Username: cfg.Security.Basic.Username, PasswordHash: cfg.Security.Basic.PasswordHash}
	}
	return &http.Server{
		Handler:           api.New(opts),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    cfg.Web.ReadBufferSize,
		ErrorLog:          nil,
	}
}

func (a *App) serveHTTP() error {
	cfg := a.cfg.Load()
	if t := cfg.Web.TLS; t != nil {
		return a.http.ServeTLS(a.ln, t.CertificateFile, t.PrivateKeyFile)
	}
	return a.http.Serve(a.ln)
}
