package main

import (
	"fmt"
	"strings"
)

// GofastEnv names the variable the patched TestMain reads: when it names a
// gofast binary, the scripts' go is a wrapper that runs gofast in front of
// the real test binary. Unset, the patched binary behaves as go's own.
const GofastEnv = "GOFAST_CONFORMANCE_GOFAST"

// patchAnchor is the statement of cmd/go's go_test.go TestMain right after
// testGo (testBin/go) has been linked to the test binary; the wrapper is
// put in place just before it.
const patchAnchor = "\t\tout, err := exec.Command(gotool, \"env\", \"GOCACHE\").CombinedOutput()\n"

// patchLinkAnchor must precede patchAnchor: it is where testGo is created,
// so the insertion point is known to come after it.
const patchLinkAnchor = "if err := os.Symlink(testExe, testGo); err != nil {"

// patchCode replaces testGo with a shell script that runs gofast with
// GOFAST_GO naming the real test binary (moved to go.real). The script's
// own environment (GOPROXY, GOSUMDB, GOFLAGS, ...) is passed on unchanged:
// only GOFAST_GO is added. Paths are single-quoted for sh.
const patchCode = `		if gofast := os.Getenv("` + GofastEnv + `"); gofast != "" {
			realGo := testGo + ".real"
			if err := os.Rename(testGo, realGo); err != nil {
				log.Fatal(err)
			}
			shq := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "'\\''") + "'" }
			wrapper := "#!/bin/sh\nGOFAST_GO=" + shq(realGo) + " exec " + shq(gofast) + " \"$@\"\n"
			if err := os.WriteFile(testGo, []byte(wrapper), 0o777); err != nil {
				log.Fatal(err)
			}
		}
`

// patchGoTest inserts patchCode into the text of cmd/go's go_test.go. It
// fails when the anchors are missing or ambiguous, since a new go release
// may have moved them; the harness must then be updated, not guessed.
func patchGoTest(src string) (string, error) {
	link := strings.Index(src, patchLinkAnchor)
	if link < 0 || strings.Count(src, patchLinkAnchor) != 1 {
		return "", fmt.Errorf("go_test.go: anchor %q not found exactly once; this go version's TestMain differs from the one the harness patches", patchLinkAnchor)
	}
	if strings.Count(src, patchAnchor) != 1 {
		return "", fmt.Errorf("go_test.go: anchor %q not found exactly once; this go version's TestMain differs from the one the harness patches", strings.TrimSpace(patchAnchor))
	}
	at := strings.Index(src, patchAnchor)
	if at < link {
		return "", fmt.Errorf("go_test.go: anchor %q comes before %q; this go version's TestMain differs from the one the harness patches", strings.TrimSpace(patchAnchor), patchLinkAnchor)
	}
	return src[:at] + patchCode + "\n" + src[at:], nil
}

// netAnchor is the start of hasNet in cmd/go's scriptconds_test.go, the
// [net:host] script condition. The patch makes it false always, so that a
// run without -test.short (-long) still never uses the outside network:
// every [net] script skips, as in short mode.
const netAnchor = "func hasNet(s *script.State, host string) (bool, error) {\n\tif !testenv.HasExternalNetwork() {"

// patchScriptConds makes the [net] condition false in scriptconds_test.go.
func patchScriptConds(src string) (string, error) {
	if strings.Count(src, netAnchor) != 1 {
		return "", fmt.Errorf("scriptconds_test.go: anchor %q not found exactly once; this go version's [net] condition differs from the one the harness patches", netAnchor)
	}
	return strings.Replace(src, netAnchor, "func hasNet(s *script.State, host string) (bool, error) {\n\tif true || !testenv.HasExternalNetwork() { // gofast conformance: never the outside network", 1), nil
}
