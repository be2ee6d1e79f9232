package proxytest

import (
	"archive/zip"
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestZipBombInflatesToItsSize(t *testing.T) {
	const size = 8 << 20
	data, err := ZipBomb("example.com/bomb@v1.0.0/zeros", size, size)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > size/100 {
		t.Errorf("bomb is %d bytes, want a small archive", len(data))
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	rc, err := zr.File[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var n int64
	buf := make([]byte, 1<<16)
	for {
		k, err := rc.Read(buf)
		for _, b := range buf[:k] {
			if b != 0 {
				t.Fatal("non-zero byte inflated")
			}
		}
		n += int64(k)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d bytes: %v (a CRC or size error means a broken stream)", n, err)
		}
	}
	if n != size {
		t.Errorf("inflated %d bytes, want %d", n, size)
	}
}

func TestRawZipKeepsWhatModuleZipsForbid(t *testing.T) {
	data, err := RawZip(
		RawFile{Name: "example.com/m@v1.0.0/../../escape.go", Data: []byte("package x\n")},
		RawFile{Name: "example.com/m@v1.0.0/lie.txt", Data: []byte("0123456789"), DeclaredSize: 3},
	)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if zr.File[0].Name != "example.com/m@v1.0.0/../../escape.go" {
		t.Errorf("name %q", zr.File[0].Name)
	}
	rc, err := zr.File[1].Open()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(rc); !errors.Is(err, zip.ErrFormat) {
		t.Errorf("reading a size lie: %v, want zip.ErrFormat", err)
	}
}

func TestNewFaultKinds(t *testing.T) {
	tree := MustBuild(Module{Path: "example.com/dep", Version: "v1.0.0"})
	srv := New(t, Options{FS: tree.FS, Fault: func(r *http.Request) Fault {
		switch {
		case strings.HasSuffix(r.URL.Path, ".mod"):
			return Fault{Kind: Drop}
		case strings.HasSuffix(r.URL.Path, ".zip"):
			return Fault{Kind: Endless, Length: 10 << 30}
		case strings.HasSuffix(r.URL.Path, ".info"):
			return Fault{Kind: Trickle, After: 5, Every: time.Millisecond}
		}
		return Fault{}
	}})
	if resp, err := http.Get(srv.URL + "/example.com/dep/@v/v1.0.0.mod"); err == nil {
		resp.Body.Close()
		t.Fatalf("dropped request answered %s", resp.Status)
	}
	resp, err := http.Get(srv.URL + "/example.com/dep/@v/v1.0.0.zip")
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != 10<<30 {
		t.Errorf("declared %d", resp.ContentLength)
	}
	if n, _ := io.CopyN(io.Discard, resp.Body, 1<<20); n != 1<<20 {
		t.Errorf("endless body ended after %d bytes", n)
	}
	resp.Body.Close()
	resp, err = http.Get(srv.URL + "/example.com/dep/@v/v1.0.0.info")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	want := tree.FS["example.com/dep/@v/v1.0.0.info"].Data
	if err != nil || !bytes.Equal(got, want) || resp.Header.Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Errorf("trickled %q, %v; want %q", got, err, want)
	}
}

func TestCertificates(t *testing.T) {
	tree := MustBuild(Module{Path: "example.com/dep", Version: "v1.0.0"})
	own := New(t, Options{FS: tree.FS, TLS: true})
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(own.CertificatePEM()) {
		t.Fatal("CertificatePEM does not parse")
	}
	c := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := c.Get(own.URL + "/example.com/dep/@v/v1.0.0.mod")
	if err != nil {
		t.Fatalf("trusting CertificatePEM: %v", err)
	}
	resp.Body.Close()

	cert, err := SelfSignedCertificate()
	if err != nil {
		t.Fatal(err)
	}
	untrusted := New(t, Options{FS: tree.FS, TLS: true, Certificate: cert})
	if _, err := c.Get(untrusted.URL + "/example.com/dep/@v/v1.0.0.mod"); err == nil {
		t.Fatal("a certificate nobody trusts was accepted")
	}
	if plain := New(t, Options{FS: tree.FS}); plain.CertificatePEM() != nil {
		t.Error("plain http server has a certificate")
	}
}
