package app

import (
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestLoopbackURLPrintedHasNoSecret: what go prints of the loopback proxy
// (its error for a failing fetch, every `# get` line of -x) names the
// address and the module's path, and nothing another user could use to
// reach the proxy: on Linux the proxy checks the connecting user itself.
func TestLoopbackURLPrintedHasNoSecret(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("secret")
	cmd := exec.Command(gofastBinary(t), "get", "-x", "example.com/missing@v1.0.0")
	cmd.Dir = w.dir
	cmd.Env = w.env(cache)
	out, err := cmd.CombinedOutput()
	stderr := string(out)
	if err == nil {
		t.Fatalf("gofast get of a missing module succeeded:\n%s", stderr)
	}
	// go's own lines: -x's "# get URL" and its error's "reading URL".
	gets := regexp.MustCompile(`(?:# get|reading) http://127\.0\.0\.1:[0-9]+/(\S*)`).FindAllStringSubmatch(stderr, -1)
	if len(gets) == 0 {
		t.Fatalf("go printed no loopback URL:\n%s", stderr)
	}
	if !strings.Contains(stderr, "404 Not Found") {
		t.Errorf("go did not report the 404:\n%s", stderr)
	}
	for _, g := range gets {
		if !strings.HasPrefix(g[1], "example.com/") && !strings.HasPrefix(g[1], "sumdb/") {
			t.Errorf("printed URL %q has something before the module path", g[0])
		}
	}
	if token := regexp.MustCompile(`[0-9a-f]{32}`).FindString(stderr); token != "" {
		t.Errorf("go's output carries a 128-bit token %s:\n%s", token, stderr)
	}
}
