package doctor

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// testResolver resolves only the names it is given, so that a probe can
// never reach a real host and a name can be made not to resolve.
type testResolver map[string][]string

func (r testResolver) LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error) {
	addrs, ok := r[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IPAddr
	for _, a := range addrs {
		out = append(out, net.IPAddr{IP: net.ParseIP(a)})
	}
	return out, nil
}

// loopbackDialer refuses every address outside loopback, so a test that
// got its resolver wrong fails instead of reaching the internet.
type loopbackDialer struct{ d net.Dialer }

func (l *loopbackDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, &net.OpError{Op: "dial", Net: network, Err: errNotLoopback}
	}
	return l.d.DialContext(ctx, network, addr)
}

var errNotLoopback = &net.AddrError{Err: "test dialer: not a loopback address"}

// testCA is a certificate authority made for one test.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "doctor test CA", Organization: []string{"Doctor Test CA"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key}
}

// issue makes a server certificate for names valid from notBefore to
// notAfter.
func (ca *testCA) issue(t *testing.T, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// tlsServer serves 200 "ok" over TLS with cert on 127.0.0.1 and returns its
// port.
func tlsServer(t *testing.T, cert tls.Certificate) string {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) })}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return port(ln.Addr())
}

// silentServer accepts connections and never reads or writes: a TLS
// handshake with it never completes.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return port(ln.Addr())
}

// refusedPort returns a loopback port on which nothing listens.
func refusedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := port(ln.Addr())
	ln.Close()
	return p
}

func port(a net.Addr) string { return strconv.Itoa(a.(*net.TCPAddr).Port) }

// serverPort returns the port of a proxytest server.
func serverPort(s *proxytest.Server) string { return s.URL[strings.LastIndex(s.URL, ":")+1:] }

// serverRoots returns the pool that trusts a TLS proxytest server.
func serverRoots(t *testing.T, s *proxytest.Server) *x509.CertPool {
	t.Helper()
	tr, ok := s.Client().Transport.(*http.Transport)
	if !ok || tr.TLSClientConfig == nil || tr.TLSClientConfig.RootCAs == nil {
		t.Fatal("proxytest server has no root pool")
	}
	return tr.TLSClientConfig.RootCAs
}

// testSettings returns settings for a test: the given GOPROXY and GOSUMDB,
// a private module cache, and a GOROOT whose go.env holds defProxy and
// defSumDB as the toolchain's defaults (none when both are empty).
func testSettings(t *testing.T, goproxy, gosumdb, defProxy, defSumDB string) *goenv.Settings {
	t.Helper()
	root := t.TempDir()
	if defProxy != "" || defSumDB != "" {
		env := "GOPROXY=" + defProxy + "\nGOSUMDB=" + defSumDB + "\nGOTOOLCHAIN=auto\n"
		if err := os.WriteFile(filepath.Join(root, "go.env"), []byte(env), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	return &goenv.Settings{
		GOPROXY: goproxy, GOSUMDB: gosumdb, GOROOT: root, GOMODCACHE: t.TempDir(),
		GOVERSION: "go1.26.0", GOOS: "linux", GOARCH: "amd64", GOTOOLCHAIN: "local",
		GOMOD: os.DevNull, Raw: map[string]string{},
	}
}

// find returns the check of target at layer, failing the test if absent.
func find(t *testing.T, r *Report, target string, layer Layer) Check {
	t.Helper()
	for _, c := range r.Checks {
		if c.Target == target && c.Layer == layer {
			return c
		}
	}
	var b strings.Builder
	r.WriteText(&b)
	t.Fatalf("no %s check for %s in report:\n%s", layer, target, b.String())
	return Check{}
}

// has reports whether target has a check at layer.
func has(r *Report, target string, layer Layer) bool {
	for _, c := range r.Checks {
		if c.Target == target && c.Layer == layer {
			return true
		}
	}
	return false
}

func reportText(r *Report) string {
	var b strings.Builder
	r.WriteText(&b)
	return b.String()
}
