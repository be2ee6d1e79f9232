package proxytest

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"hash/crc32"
	"math/big"
	"net"
	"time"
)

// RawFile is one entry of an archive built by RawZip, which applies none
// of the module zip rules: names may escape with "../", be absolute or
// repeat, and the recorded sizes may lie.
type RawFile struct {
	Name string
	Data []byte
	// DeclaredSize, when not zero, is recorded in the headers as the
	// entry's uncompressed size in place of len(Data): a size lie.
	DeclaredSize uint64
}

// RawZip builds a zip archive of files, stored uncompressed, exactly as
// given. Use it to serve archives that a mirror should never have sent.
func RawZip(files ...RawFile) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		size := uint64(len(f.Data))
		if f.DeclaredSize != 0 {
			size = f.DeclaredSize
		}
		w, err := zw.CreateRaw(&zip.FileHeader{
			Name:               f.Name,
			Method:             zip.Store,
			CRC32:              crc32.ChecksumIEEE(f.Data),
			CompressedSize64:   uint64(len(f.Data)),
			UncompressedSize64: size,
		})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(f.Data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ZipBomb builds a small archive holding name, a file of size zero bytes
// once inflated (deflate compresses them about a thousandfold). declared
// is the uncompressed size the headers record: size for an honest bomb,
// less for one that hides its size. size is rounded up to whole MiB. The
// archive is assembled from one compressed MiB repeated, so building a
// bomb of gigabytes costs milliseconds, not a compression of gigabytes.
func ZipBomb(name string, size, declared int64) ([]byte, error) {
	const mib = 1 << 20
	n := (size + mib - 1) / mib
	if n < 2 {
		n = 2
	}
	// A sync flush ends each MiB on a byte boundary; every MiB after the
	// first only refers back to zeros, so its bytes can be repeated.
	var out bytes.Buffer
	fw, err := flate.NewWriter(&out, flate.BestCompression)
	if err != nil {
		return nil, err
	}
	zeros := make([]byte, mib)
	fw.Write(zeros)
	fw.Flush()
	first := append([]byte(nil), out.Bytes()...)
	out.Reset()
	fw.Write(zeros)
	fw.Flush()
	block := append([]byte(nil), out.Bytes()...)
	out.Reset()
	fw.Close()
	last := append([]byte(nil), out.Bytes()...)
	if len(block) == 0 || len(last) == 0 {
		return nil, errors.New("proxytest: unexpected deflate output")
	}

	crc := uint32(0)
	for range n {
		crc = crc32.Update(crc, crc32.IEEETable, zeros)
	}
	var body bytes.Buffer
	body.Write(first)
	for range n - 1 {
		body.Write(block)
	}
	body.Write(last)

	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		Method:             zip.Deflate,
		CRC32:              crc,
		CompressedSize64:   uint64(body.Len()),
		UncompressedSize64: uint64(declared),
	})
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(body.Bytes()); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SelfSignedCertificate returns a certificate for 127.0.0.1 that no
// client trusts (Options.Certificate), for tests of TLS verification.
func SelfSignedCertificate() (*tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{Organization: []string{"proxytest untrusted"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, err
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}
