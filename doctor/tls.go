package doctor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// tlsLayer runs the TLS handshake with host on conn and judges the
// certificate itself, so that it can say precisely what is wrong: expired,
// not yet valid, issued for another name, or by an authority not trusted.
// The handshake skips the library's verification only to let that report
// be precise; a certificate that fails any of these checks fails the layer.
func (p *prober) tlsLayer(ctx context.Context, t *target, conn net.Conn, host string) bool {
	start := time.Now()
	lctx, cancel := context.WithTimeout(ctx, p.b.tls)
	defer cancel()
	tc := tls.Client(conn, &tls.Config{ServerName: host, InsecureSkipVerify: true})
	defer tc.Close()
	err := tc.HandshakeContext(lctx)
	c := newCheck(LayerTLS, "", Pass, "")
	c.Elapsed = time.Since(start)
	if err != nil {
		c.Status, c.OK = Fail, false
		c.Detail, c.timeout = describeTLSErr(err, p.b.tls)
		t.add(c)
		return false
	}
	cs := tc.ConnectionState()
	c.Status, c.Detail = p.judgeCertificate(cs, host)
	c.OK = c.Status == Pass
	t.add(c)
	return c.Status != Fail
}

// judgeCertificate checks the server's certificate chain against host, the
// trusted roots and the clock.
func (p *prober) judgeCertificate(cs tls.ConnectionState, host string) (Status, string) {
	if len(cs.PeerCertificates) == 0 {
		return Fail, "the server sent no certificate"
	}
	leaf := cs.PeerCertificates[0]
	now := p.o.Now()
	names := certNames(leaf)
	switch {
	case now.After(leaf.NotAfter):
		return Fail, fmt.Sprintf("certificate for %s expired on %s (%s ago)",
			names, leaf.NotAfter.UTC().Format(time.DateOnly), fmtDays(now.Sub(leaf.NotAfter)))
	case now.Before(leaf.NotBefore):
		return Fail, fmt.Sprintf("certificate for %s is not valid until %s, and this machine's clock says %s: is the clock wrong?",
			names, leaf.NotBefore.UTC().Format(time.DateOnly), now.UTC().Format(time.DateOnly))
	}
	if err := leaf.VerifyHostname(host); err != nil {
		return Fail, fmt.Sprintf("certificate is for %s, not %s: a wrong URL, or a middlebox answering in its place", names, host)
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Roots: p.o.RootCAs, Intermediates: inter, CurrentTime: now})
	var unknown x509.UnknownAuthorityError
	switch {
	case errors.As(err, &unknown):
		return Fail, fmt.Sprintf("certificate for %s is issued by %s, which this machine does not trust: a TLS-intercepting proxy or antivirus? Add its CA to the system's trusted certificates (or SSL_CERT_FILE)",
			names, issuerName(leaf))
	case err != nil:
		return Fail, fmt.Sprintf("certificate for %s does not verify: %v", names, err)
	}
	left := leaf.NotAfter.Sub(now)
	detail := fmt.Sprintf("%s, certificate for %s from %s, valid until %s (%s)",
		tls.VersionName(cs.Version), names, issuerName(leaf), leaf.NotAfter.UTC().Format(time.DateOnly), fmtDays(left))
	if left < 14*24*time.Hour {
		return Warn, detail + ": expires soon"
	}
	return Pass, detail
}

// describeTLSErr explains a failed handshake.
func describeTLSErr(err error, limit time.Duration) (string, bool) {
	msg, timeout := describeErr(err, limit)
	var rec tls.RecordHeaderError
	switch {
	case timeout:
		return msg + " to the TLS handshake: the connection was accepted but nothing answered (a stalled server or a middlebox)", true
	case errors.As(err, &rec):
		return "the server answered in plain text, not TLS: an http:// mirror, or a proxy intercepting the port", false
	}
	return "handshake failed: " + msg, false
}

// certNames lists the names a certificate is for, briefly.
func certNames(c *x509.Certificate) string {
	names := append([]string(nil), c.DNSNames...)
	for _, ip := range c.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && c.Subject.CommonName != "" {
		names = []string{c.Subject.CommonName}
	}
	switch len(names) {
	case 0:
		return "no name"
	case 1, 2, 3:
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s (and %d more)", strings.Join(names[:3], ", "), len(names)-3)
}

func issuerName(c *x509.Certificate) string {
	switch {
	case len(c.Issuer.Organization) > 0:
		return c.Issuer.Organization[0]
	case c.Issuer.CommonName != "":
		return c.Issuer.CommonName
	}
	return "an unnamed issuer"
}

// fmtDays formats a duration in whole days ("1 day", "83 days").
func fmtDays(d time.Duration) string {
	days := int(d.Hours() / 24)
	if days == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", days)
}
