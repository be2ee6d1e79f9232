package modproxy

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/net/netutil"
)

// Loopback is a Handler served on 127.0.0.1, on a port the kernel chooses.
// Another local user can connect to the port, and must not be able to use
// the proxy to reach the user's authenticated mirrors, so every connection
// is admitted only from the user's own processes:
//
//   - On Linux the kernel's socket table says which user opened the
//     connecting socket (peerIsOwn); the URL carries no secret, so what go
//     prints (its errors, `go -x`) and what children of `go run` and
//     `go test` inherit in GOPROXY name nothing another user could use.
//     Listen first checks, over one connection of its own, that the table
//     can be read here (peerProbe).
//   - Elsewhere, or where the table cannot be read, the URL carries a
//     path prefix of 128 random bits that other users cannot guess. go
//     prints that URL in its errors and `go -x`, and its children inherit
//     it, all within the user's own reach; the prefix is worth nothing
//     once gofast has exited, since the proxy dies with it (and go with
//     it: wrap.Run).
//
// A password in the URL (http://_:secret@127.0.0.1:P/) would be redacted
// by go, but go refuses to send credentials over plain http ("refusing to
// pass credentials to insecure URL", cmd/go/internal/web), and GOAUTH
// applies to https only; so neither can carry the secret.
//
// Requests from any address other than loopback, from another user, or
// without the prefix get a bare 404.
type Loopback struct {
	// URL is the proxy's GOPROXY base URL, prefix (if any) included.
	URL string

	srv      *http.Server
	h        http.Handler
	ln       net.Listener
	done     chan struct{}
	prefix   string
	peer     bool         // connections are admitted by peerIsOwn
	uid      atomic.Int64 // the user admitted (a test plays another)
	handlers sync.WaitGroup
}

// Bounds of the loopback server. go keeps at most GOMAXPROCS connections
// busy (64 for a fetch-only command, maxGoStreams) and reuses idle ones,
// so the cap only stops a runaway client from exhausting descriptors; a
// connection beyond it waits in the kernel's backlog. Idle connections
// are closed after loopbackIdleTimeout, as go's own transport does after
// 90 s.
const (
	loopbackMaxConns    = 256
	loopbackIdleTimeout = 90 * time.Second
)

// peerKey marks, in a connection's context, whether its peer is one of
// the user's own processes.
type peerKey struct{}

// Listen starts serving h on loopback. Close stops it, and closes h too
// when h is an io.Closer (a Handler, whose read-ahead then stops).
func Listen(h http.Handler) (*Loopback, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	l := &Loopback{h: h, done: make(chan struct{}), peer: peerProbe(ln)}
	if !l.peer {
		var token [16]byte
		if _, err := rand.Read(token[:]); err != nil {
			ln.Close()
			return nil, err
		}
		l.prefix = "/" + hex.EncodeToString(token[:])
	}
	l.uid.Store(int64(os.Geteuid()))
	l.ln = netutil.LimitListener(ln, loopbackMaxConns)
	l.URL = "http://" + ln.Addr().String() + l.prefix
	l.srv = &http.Server{
		Handler:           l.guard(h),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       loopbackIdleTimeout,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, peerKey{}, !l.peer || peerIsOwn(c, int(l.uid.Load())))
		},
		// The server's own complaints (a client gone mid-answer) are
		// not the user's business: go reports what matters to it.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go func() {
		defer close(l.done)
		l.srv.Serve(l.ln)
	}()
	return l, nil
}

// guard admits only the user's own loopback peers that know the prefix.
func (l *Loopback) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !ip.IsLoopback() {
			http.NotFound(w, r)
			return
		}
		if own, _ := r.Context().Value(peerKey{}).(bool); !own {
			http.NotFound(w, r)
			return
		}
		p := r.URL.Path
		if len(p) <= len(l.prefix) || subtle.ConstantTimeCompare([]byte(p[:len(l.prefix)]), []byte(l.prefix)) != 1 || p[len(l.prefix)] != '/' {
			http.NotFound(w, r)
			return
		}
		l.handlers.Add(1)
		defer l.handlers.Done()
		r2 := r.Clone(r.Context())
		r2.URL.Path = p[len(l.prefix):]
		r2.URL.RawPath = ""
		h.ServeHTTP(w, r2)
	})
}

// Close stops the server at once: go has exited, and nothing it asked
// for is still wanted. Requests in flight are cancelled, and Close returns
// once their handlers have returned, so that nothing they wrote (a spooled
// zip) outlives it; the handler, when it is an io.Closer, is closed then,
// so that its own background work (read-ahead) is cancelled as well.
func (l *Loopback) Close() error {
	err := l.srv.Close()
	<-l.done
	l.handlers.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	if c, ok := l.h.(io.Closer); ok {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// GOPROXY returns the GOPROXY value to run go with when the proxy at
// loopback stands in for user's proxy entries: the loopback URL followed by
// user's direct or off tail, joined by the separator that preceded the
// tail, so that ",direct" still falls through only on not found and
// "|direct" on any error. ok is false when user names no proxy (GOPROXY
// "direct" or "off"): there is nothing to stand in for.
//
// One entry cannot say both "stop" and "go on to the tail" when the tail
// follows '|' and a ',' stands between user's proxies (A,B|direct): go
// alone stops at A's 403, but any error from an entry followed by '|'
// sends go on to direct. There (NeedsTailEntry) the loopback is named
// twice, "L,L/.tail|direct": L answers a failure that stops go's walk as
// it is (a non-404 before ',' stops go too) and one after which go's walk
// would go on with 404, so that go asks L/.tail, which answers that
// failure and lets go go on past '|' as it would have alone.
func GOPROXY(loopback string, user mirrors.List) (value string, ok bool) {
	proxies := listProxies(user)
	if len(proxies) == 0 {
		return "", false
	}
	out := mirrors.List{{URL: loopback, Kind: mirrors.Proxy, FallbackOnError: proxies[len(proxies)-1].FallbackOnError}}
	if NeedsTailEntry(user) {
		out = mirrors.List{
			{URL: loopback, Kind: mirrors.Proxy},
			{URL: strings.TrimRight(loopback, "/") + "/" + tailEntry, Kind: mirrors.Proxy, FallbackOnError: true},
		}
	}
	out = append(out, user[len(proxies):]...)
	if len(out) == 1 {
		out[0].FallbackOnError = false
	}
	return strings.TrimSpace(out.String()), true
}

// tailEntry is the path below the loopback URL of GOPROXY's second
// loopback entry. No module path starts with a dot, so it cannot collide
// with a module's.
const tailEntry = ".tail"

// NeedsTailEntry reports whether go's GOPROXY must name the loopback twice
// to stand in for user (see GOPROXY): user ends in a direct or off tail
// after '|', and a ',' separates two of its proxies, so that the walk can
// stop before the tail. Handler.TailEntry must then be set.
func NeedsTailEntry(user mirrors.List) bool {
	proxies := listProxies(user)
	if len(proxies) == len(user) || len(proxies) == 0 || !proxies[len(proxies)-1].FallbackOnError {
		return false
	}
	for _, e := range proxies[:len(proxies)-1] {
		if !e.FallbackOnError {
			return true
		}
	}
	return false
}
