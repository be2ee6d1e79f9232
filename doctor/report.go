package doctor

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strings"
	"time"
)

// Layer names where a check looks: a network failure names the layer that
// broke, from name resolution up to the module proxy protocol.
type Layer string

// The layers Run checks.
const (
	// LayerSettings is go's settings and the environment variables go reads.
	LayerSettings Layer = "settings"
	// LayerDNS is resolving the host name (or the HTTP proxy's).
	LayerDNS Layer = "dns"
	// LayerTCP is connecting, through the HTTP proxy's CONNECT when one is
	// used.
	LayerTCP Layer = "tcp"
	// LayerTLS is the TLS handshake and the certificate.
	LayerTLS Layer = "tls"
	// LayerHTTP is getting an HTTP response: status and time to first byte.
	LayerHTTP Layer = "http"
	// LayerProxy is the module proxy protocol: a .info file that parses.
	LayerProxy Layer = "proxy"
	// LayerSumDB is the checksum database, served by a mirror or directly.
	LayerSumDB Layer = "sumdb"
	// LayerCache is the module cache on disk.
	LayerCache Layer = "cache"
	// LayerGo is the go toolchain and the one go.mod asks for.
	LayerGo Layer = "go"
)

// Status is the outcome of one check.
type Status string

// The outcomes of a check.
const (
	Pass Status = "ok"
	Warn Status = "warn"
	Fail Status = "fail"
	// Skip means the check did not apply or could not run here.
	Skip Status = "skip"
)

// Check is one line of the report: one layer of one target.
type Check struct {
	Layer Layer `json:"layer"`
	// Target is what was checked: a mirror URL or host (credentials
	// redacted), a variable name for settings, the cache directory.
	Target string `json:"target"`
	// OK is false for failures and warnings, true otherwise.
	OK     bool   `json:"ok"`
	Status Status `json:"status"`
	// Elapsed is how long the check took; zero for checks that do no I/O.
	Elapsed time.Duration `json:"-"`
	// Detail says what was found, in one line.
	Detail string `json:"detail"`
	// Fix is the command that fixes a failure or warning, if there is one.
	Fix string `json:"fix,omitempty"`
	// timeout marks a network check that ran out of time, which the
	// verdict tells apart from a fast failure.
	timeout bool
	// group is the heading the text report lists the check under, when it
	// is not the target alone.
	group string
}

// MarshalJSON adds ms, the elapsed time in milliseconds.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return json.Marshal(struct {
		plain
		MS float64 `json:"ms"`
	}{plain(c), math.Round(float64(c.Elapsed)/float64(time.Millisecond)*10) / 10})
}

// newCheck returns a check with OK derived from status.
func newCheck(layer Layer, target string, status Status, detail string) Check {
	return Check{Layer: layer, Target: target, Status: status, OK: status == Pass || status == Skip, Detail: detail}
}

// Severity ranks a Finding.
type Severity string

// The severities of findings. An error means module downloads fail or hang;
// a warning means they work but something is unsafe, slow or surprising.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	// SeverityOK is the single "all good" finding of a healthy report.
	SeverityOK Severity = "ok"
)

// Finding is one line of the verdict.
type Finding struct {
	Severity Severity `json:"severity"`
	Layer    Layer    `json:"layer,omitempty"`
	Target   string   `json:"target,omitempty"`
	Message  string   `json:"message"`
	// Fix is the command (or, failing one, the action) that fixes it.
	Fix string `json:"fix,omitempty"`
}

// Report is the result of Run.
type Report struct {
	// Checks are every check made, grouped by target: settings, the go
	// toolchain, each mirror, the checksum database, the module cache.
	Checks []Check `json:"checks"`
	// Verdict is what matters, most important first: errors, then
	// warnings; a healthy report has a single SeverityOK finding.
	Verdict []Finding `json:"verdict"`
}

// OK reports whether the verdict has no errors.
func (r *Report) OK() bool {
	for _, f := range r.Verdict {
		if f.Severity == SeverityError {
			return false
		}
	}
	return true
}

// WriteText writes the human report: the checks grouped by target, one
// line each (layer, outcome, milliseconds, detail), then the verdict.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	group := ""
	for _, c := range r.Checks {
		if g := groupOf(c); g != group {
			if group != "" {
				b.WriteByte('\n')
			}
			group = g
			b.WriteString(g + "\n")
		}
		ms := ""
		if c.Elapsed > 0 {
			ms = fmtMS(c.Elapsed)
		}
		detail := c.Detail
		if c.Layer == LayerSettings {
			detail = c.Target + ": " + detail
		}
		fmt.Fprintf(&b, "  %-8s %-4s %8s  %s\n", c.Layer, statusWord(c.Status), ms, detail)
	}
	b.WriteString("\nverdict:\n")
	for _, f := range r.Verdict {
		switch f.Severity {
		case SeverityOK:
			fmt.Fprintf(&b, "  %s\n", f.Message)
			continue
		case SeverityError:
			b.WriteString("  ERROR ")
		default:
			b.WriteString("  WARN  ")
		}
		b.WriteString(f.Message + "\n")
		if f.Fix != "" {
			fmt.Fprintf(&b, "        fix: %s\n", f.Fix)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// groupOf is the heading a check is listed under.
func groupOf(c Check) string {
	switch c.Layer {
	case LayerSettings:
		return "settings"
	case LayerGo:
		return "go toolchain"
	case LayerCache:
		return "module cache " + c.Target
	}
	if c.group != "" {
		return c.group
	}
	return c.Target
}

func statusWord(s Status) string {
	switch s {
	case Fail:
		return "FAIL"
	case Warn:
		return "WARN"
	}
	return string(s)
}

// fmtMS formats a duration as whole milliseconds ("0.4ms" below one).
func fmtMS(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%dms", d.Milliseconds())
}

// fmtSeconds formats a timeout for messages: "1.5s", "10s".
func fmtSeconds(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}
