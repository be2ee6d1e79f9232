package mirrors

import (
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/web"
)

// clientOptions configure the client Probe uses when Options.Client is
// nil: a fresh transport per race, so that every probe pays, and measures,
// the DNS, connect and TLS cost a new go process pays, with every layer
// bounded by the race's deadline.
func clientOptions(env goenv.Environ, deadline time.Duration) web.Options {
	return web.Options{
		Env:                   env,
		DialTimeout:           deadline,
		TLSHandshakeTimeout:   deadline,
		ResponseHeaderTimeout: 2 * deadline,
		IdleConnTimeout:       30 * time.Second,
		MaxIdleConnsPerHost:   4,
	}
}
