package proxytest

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	mathrand "math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
)

// Options configure a Server. The zero value serves FS at full speed.
type Options struct {
	// FS is the GOPROXY tree to serve: Tree.FS, or os.DirFS of a directory
	// laid out as a proxy (a module cache's cache/download is one).
	FS fs.FS
	// Latency is the emulated round-trip time. Every response waits one
	// Latency before its headers, and the first request on each new
	// connection waits one more (connection set-up). Zero adds nothing.
	Latency time.Duration
	// Bandwidth is the emulated link speed in bytes per second, shared by
	// all connections as a real link is. Zero means unlimited.
	Bandwidth int64
	// ConnBandwidth, when above zero, also caps each connection at that
	// many bytes per second, as a mirror or path that limits every stream
	// does: only parallel connections then fill Bandwidth.
	ConnBandwidth int64
	// Stall makes the server accept connections and read requests but never
	// answer, like a mirror behind a broken middlebox.
	Stall bool
	// ErrorRate is the fraction of requests answered 500, drawn from a
	// source seeded with Seed so runs are repeatable.
	ErrorRate float64
	Seed      int64
	// Fault, when set, is asked for every request; its answer overrides
	// the normal response. Nil means no injected faults.
	Fault func(r *http.Request) Fault
	// SumDB, when non-empty, is the name of a checksum database served at
	// /sumdb/<SumDB>/ from Lookup; the go tool then verifies through this
	// server with GOSUMDB set to Server.GOSUMDB.
	SumDB  string
	Lookup func(path, version string) ([]byte, error)
	// SumDBRecords are looked up, in order, when the server starts, so
	// that the database's tree holds them before anyone asks, as a real
	// database holds every module: its tree then does not grow while a
	// run looks them up (each new record would give every later answer
	// a new tree head, and go new tiles to fetch).
	SumDBRecords []module.Version
	// TLS serves https with httptest's self-signed certificate, or with
	// Certificate when it is set (a certificate of the test's own, for
	// instance one no client trusts).
	TLS         bool
	Certificate *tls.Certificate
}

// Server is a running in-process module proxy on 127.0.0.1.
type Server struct {
	// URL is the proxy's base URL, for GOPROXY.
	URL string
	// GOSUMDB is the value to give go for the served checksum database, or
	// "" when Options.SumDB is empty.
	GOSUMDB string

	opts    Options
	srv     *httptest.Server
	done    chan struct{}
	closing sync.Once
	pacer   *pacer
	sumdb   http.Handler

	mu       sync.Mutex
	requests []string
	rnd      *mathrand.Rand
	sent     atomic.Int64
}

// Start starts a server; Close stops it.
func Start(opts Options) (*Server, error) {
	s := &Server{opts: opts, done: make(chan struct{}), rnd: mathrand.New(mathrand.NewSource(opts.Seed))}
	if opts.Bandwidth > 0 {
		s.pacer = &pacer{bytesPerSec: float64(opts.Bandwidth)}
	}
	if opts.SumDB != "" {
		if opts.Lookup == nil {
			return nil, errors.New("proxytest: SumDB needs Lookup")
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, opts.SumDB)
		if err != nil {
			return nil, err
		}
		s.GOSUMDB = vkey
		ts := sumdb.NewTestServer(skey, opts.Lookup)
		for _, m := range opts.SumDBRecords {
			if _, err := ts.Lookup(context.Background(), m); err != nil {
				return nil, fmt.Errorf("proxytest: checksum database record %s@%s: %w", m.Path, m.Version, err)
			}
		}
		s.sumdb = http.StripPrefix("/sumdb/"+opts.SumDB, sumdb.NewServer(ts))
	}
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	if opts.ConnBandwidth > 0 {
		s.srv.Config.ConnContext = func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connPacerKey{}, &pacer{bytesPerSec: float64(opts.ConnBandwidth)})
		}
	}
	// Clients giving up on a TLS handshake (an untrusted certificate, a
	// cancelled probe) are what fault tests provoke: not worth a log line.
	s.srv.Config.ErrorLog = log.New(dropHandshakeErrors{os.Stderr}, "", log.LstdFlags)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv.Listener = &slowListener{Listener: ln, latency: opts.Latency, done: s.done}
	if opts.TLS {
		if opts.Certificate != nil {
			s.srv.TLS = &tls.Config{Certificates: []tls.Certificate{*opts.Certificate}}
		}
		s.srv.StartTLS()
	} else {
		s.srv.Start()
	}
	s.URL = s.srv.URL
	return s, nil
}

// New starts a server for a test and stops it when the test ends.
func New(t TB, opts Options) *Server {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// Client returns an HTTP client that trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// CertificatePEM returns the TLS server's certificate in PEM form, for a
// client process to trust it (SSL_CERT_FILE), or nil for a plain-http
// server.
func (s *Server) CertificatePEM() []byte {
	c := s.srv.Certificate()
	if c == nil {
		return nil
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
}

// Close releases stalled handlers and stops the server.
func (s *Server) Close() {
	s.closing.Do(func() {
		close(s.done)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Requests returns the paths requested so far, in order.
func (s *Server) Requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.requests...)
}

// Count returns how many requests had a path ending in suffix.
func (s *Server) Count(suffix string) int {
	n := 0
	for _, p := range s.Requests() {
		if strings.HasSuffix(p, suffix) {
			n++
		}
	}
	return n
}

// BytesSent returns the body bytes written so far.
func (s *Server) BytesSent() int64 { return s.sent.Load() }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.requests = append(s.requests, r.URL.Path)
	fail := s.opts.ErrorRate > 0 && s.rnd.Float64() < s.opts.ErrorRate
	s.mu.Unlock()

	if s.opts.Stall {
		s.block(r.Context())
		return
	}
	if !s.sleep(r.Context(), s.opts.Latency) {
		return
	}
	if fail {
		http.Error(w, "injected error", http.StatusInternalServerError)
		return
	}
	if s.opts.Fault != nil {
		if f := s.opts.Fault(r); f.Kind != None {
			s.fault(w, r, f)
			return
		}
	}
	if s.sumdb != nil && strings.HasPrefix(r.URL.Path, "/sumdb/"+s.opts.SumDB+"/") {
		if strings.HasSuffix(r.URL.Path, "/supported") {
			w.WriteHeader(http.StatusOK)
			return
		}
		s.serveSumDB(w, r)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/")
	if s.opts.FS == nil || name == "" || !fs.ValidPath(name) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	f, err := s.opts.FS.Open(name)
	if err != nil {
		http.Error(w, "not found: "+name, http.StatusNotFound)
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		http.Error(w, "not found: "+name, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", contentType(name))
	if rs, ok := f.(io.ReadSeeker); ok && r.Header.Get("Range") != "" {
		// Byte ranges (a client fetching one large zip over several
		// connections) are answered as net/http answers them: 206 with
		// the range, 416 for one past the end.
		http.ServeContent(&pacedWriter{ResponseWriter: w, s: s, ctx: r.Context()}, r, name, time.Time{}, rs)
		return
	}
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	s.copy(r.Context(), w, f)
}

// copy writes src to w in chunks paced by the shared link.
func (s *Server) copy(ctx context.Context, w io.Writer, src io.Reader) (int64, error) {
	return io.CopyBuffer(&pacedWriter{w: w, s: s, ctx: ctx}, onlyReader{src}, make([]byte, chunk))
}

// chunk is the unit of emulated transmission.
const chunk = 32 << 10

func contentType(name string) string {
	switch {
	case strings.HasSuffix(name, ".zip"):
		return "application/zip"
	case strings.HasSuffix(name, ".info"):
		return "application/json"
	default:
		return "text/plain; charset=utf-8"
	}
}

// block waits until the request is abandoned or the server closes.
func (s *Server) block(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.done:
	}
}

// sleep waits d, returning false if the request or server ended first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

type onlyReader struct{ io.Reader }

// dropHandshakeErrors writes every log line but TLS handshake errors.
type dropHandshakeErrors struct{ w io.Writer }

func (d dropHandshakeErrors) Write(p []byte) (int, error) {
	if strings.Contains(string(p), "TLS handshake error") {
		return len(p), nil
	}
	return d.w.Write(p)
}

// pacedWriter writes through the emulated link. Either w or ResponseWriter
// is set.
type pacedWriter struct {
	http.ResponseWriter
	w   io.Writer
	s   *Server
	ctx context.Context
}

func (p *pacedWriter) Write(b []byte) (int, error) {
	w := p.w
	if w == nil {
		w = p.ResponseWriter
	}
	written := 0
	for len(b) > 0 {
		n := min(len(b), chunk)
		if cp, _ := p.ctx.Value(connPacerKey{}).(*pacer); cp != nil {
			if err := cp.wait(p.ctx, p.s.done, n); err != nil {
				return written, err
			}
		}
		if p.s.pacer != nil {
			if err := p.s.pacer.wait(p.ctx, p.s.done, n); err != nil {
				return written, err
			}
		}
		m, err := w.Write(b[:n])
		written += m
		p.s.sent.Add(int64(m))
		if err != nil {
			return written, err
		}
		b = b[n:]
	}
	return written, nil
}

// pacer is a link of fixed bandwidth shared by every connection: each chunk
// reserves its transmission time after the chunks already reserved.
type pacer struct {
	bytesPerSec float64
	mu          sync.Mutex
	next        time.Time
}

func (p *pacer) wait(ctx context.Context, done <-chan struct{}, n int) error {
	p.mu.Lock()
	now := time.Now()
	if p.next.Before(now) {
		p.next = now
	}
	p.next = p.next.Add(time.Duration(float64(n) / p.bytesPerSec * float64(time.Second)))
	until := p.next
	p.mu.Unlock()
	d := time.Until(until)
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-done:
		return errors.New("server closed")
	}
}

// connPacerKey keys a connection's own pacer (Options.ConnBandwidth) in
// its requests' contexts.
type connPacerKey struct{}

// slowListener delays the first read on each new connection by one round
// trip, emulating connection set-up.
type slowListener struct {
	net.Listener
	latency time.Duration
	done    <-chan struct{}
}

func (l *slowListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil || l.latency <= 0 {
		return c, err
	}
	return &slowConn{Conn: c, latency: l.latency, done: l.done}, nil
}

type slowConn struct {
	net.Conn
	latency time.Duration
	done    <-chan struct{}
	once    sync.Once
}

func (c *slowConn) Read(b []byte) (int, error) {
	c.once.Do(func() {
		t := time.NewTimer(c.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-c.done:
		}
	})
	return c.Conn.Read(b)
}

// Unwrap lets the TLS and HTTP stacks reach the TCP connection (for
// SetLinger in Reset faults).
func (c *slowConn) Unwrap() net.Conn { return c.Conn }

// serveSumDB serves the checksum database. x/mod's test server indexes
// past its hashes, and panics, when asked for a tile wider than its tree;
// go asks for the full tile when a partial one fails (a 500 of a flaky
// mirror), so such a request is answered 404, as a real checksum database
// answers for a tile that does not exist yet.
func (s *Server) serveSumDB(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "/tile/") {
		defer func() {
			if recover() != nil {
				http.Error(w, "no such tile", http.StatusNotFound)
			}
		}()
	}
	s.sumdb.ServeHTTP(&pacedWriter{ResponseWriter: w, s: s, ctx: r.Context()}, r)
}
