package mirrors

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http/httptrace"
	"net/url"
	"sync"
	"time"

	"github.com/gofastdev/gofast/internal/redact"
)

// layerTrace records when each layer of one request started and finished,
// so that a probe reports where time went and where a stall happened.
// httptrace may call it from several goroutines (parallel dials).
type layerTrace struct {
	mu                  sync.Mutex
	start               time.Time
	dnsStart, dnsDone   time.Time
	connStart, connDone time.Time
	tlsStart, tlsDone   time.Time
	wrote, firstByte    time.Time
}

func newLayerTrace() *layerTrace { return &layerTrace{} }

// with returns ctx carrying the trace, and starts the clock.
func (t *layerTrace) with(ctx context.Context) context.Context {
	t.mu.Lock()
	t.start = time.Now()
	t.mu.Unlock()
	at := func(p *time.Time, first bool) {
		t.mu.Lock()
		if !first || p.IsZero() {
			*p = time.Now()
		}
		t.mu.Unlock()
	}
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		DNSStart:     func(httptrace.DNSStartInfo) { at(&t.dnsStart, true) },
		DNSDone:      func(httptrace.DNSDoneInfo) { at(&t.dnsDone, true) },
		ConnectStart: func(string, string) { at(&t.connStart, true) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				at(&t.connDone, true)
			}
		},
		TLSHandshakeStart: func() { at(&t.tlsStart, true) },
		TLSHandshakeDone: func(_ tls.ConnectionState, err error) {
			if err == nil {
				at(&t.tlsDone, true)
			}
		},
		WroteRequest: func(httptrace.WroteRequestInfo) { at(&t.wrote, false) },
		// The last first byte counts: after a redirect it is the answer's.
		GotFirstResponseByte: func() { at(&t.firstByte, false) },
	})
}

// ttfb is the time from the start to the first byte of the answer.
func (t *layerTrace) ttfb() time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	return since(t.start, t.firstByte)
}

// layers returns the DNS, connect and TLS durations; zero for a layer not
// passed through (a reused connection, an IP address, plain http).
func (t *layerTrace) layers() (dns, connect, tlsTime time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return since(t.dnsStart, t.dnsDone), since(t.connStart, t.connDone), since(t.tlsStart, t.tlsDone)
}

func since(a, b time.Time) time.Duration {
	if a.IsZero() || b.IsZero() || b.Before(a) {
		return 0
	}
	return b.Sub(a)
}

// stalledAt names the layer a request was in when it ran out of time.
func (t *layerTrace) stalledAt() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	switch {
	case !t.firstByte.IsZero():
		return "the answer started, then stalled"
	case !t.wrote.IsZero():
		return "request sent, no answer"
	case !t.tlsStart.IsZero() && t.tlsDone.IsZero():
		return "stuck in the TLS handshake"
	case !t.connStart.IsZero() && t.connDone.IsZero():
		return "stuck connecting"
	case !t.dnsStart.IsZero() && t.dnsDone.IsZero():
		return "stuck in DNS lookup"
	}
	return "no connection"
}

// describeFailure turns a failed request into a one-line reason naming
// the layer that failed, with credentials redacted.
func describeFailure(ctx context.Context, err error, t *layerTrace, deadline time.Duration) string {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no answer within %v (%s)", deadline, t.stalledAt())
	}
	if errors.Is(err, context.Canceled) {
		return "canceled"
	}
	var (
		unknownCA x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		dnsErr    *net.DNSError
		opErr     *net.OpError
		urlErr    *url.Error
	)
	inner := err
	if errors.As(err, &urlErr) {
		inner = urlErr.Err
	}
	msg := redact.String(inner.Error())
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verifyErr):
		return "TLS certificate not accepted: " + msg
	case errors.As(err, &recordErr):
		return "TLS handshake failed (not an https server?): " + msg
	case errors.As(err, &dnsErr):
		return "DNS lookup failed: " + msg
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "cannot connect: " + msg
	}
	return msg
}
