package app

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// queryPseudo is the version the mirror resolves the branch main and the
// commit 0123456789ab to.
const queryPseudo = "v1.1.1-0.20240301000000-0123456789ab"

// queryMods are the modules of the query tests: example.com/m with a
// retracted release and a deprecation (both said by its latest go.mod),
// a commit past its latest release, and example.com/inc, whose v2 has no
// go.mod path suffix (+incompatible).
var queryMods = []proxytest.Module{
	{Path: "example.com/m", Version: "v1.0.0"},
	{Path: "example.com/m", Version: "v1.0.1"},
	{Path: "example.com/m", Version: "v1.0.2"},
	{Path: "example.com/m", Version: "v1.1.0",
		GoMod: "// Deprecated: use example.com/n.\nmodule example.com/m\n\ngo 1.21\n\nretract v1.0.1 // broken\n"},
	{Path: "example.com/m", Version: queryPseudo, Time: time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC),
		GoMod: "// Deprecated: use example.com/n.\nmodule example.com/m\n\ngo 1.21\n\nretract v1.0.1 // broken\n"},
	{Path: "example.com/inc", Version: "v1.0.0"},
	{Path: "example.com/inc", Version: "v2.0.0+incompatible"},
}

// TestQueriesAsGo: `gofast list -m m@main`, `gofast get m@<commit>`,
// `@v1`, `@upgrade`, `@patch`, a retracted version and a v2.0.0 that
// resolves to +incompatible give exactly what go alone gives against the
// same mirror (stdout, exit code, go.mod and go.sum), retraction and
// deprecation notices included. The mirror answers main.info and
// <commit>.info with the pseudo-version they resolve to, as
// proxy.golang.org does.
func TestQueriesAsGo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	bin := gofastBinary(t)
	tree := proxytest.MustBuild(queryMods...)
	pseudoInfo := tree.FS["example.com/m/@v/"+queryPseudo+".info"]
	tree.FS["example.com/m/@v/main.info"] = pseudoInfo
	tree.FS["example.com/m/@v/0123456789ab.info"] = pseudoInfo
	tree.FS["example.com/inc/@v/v2.0.0.info"] = &fstest.MapFile{Data: tree.FS["example.com/inc/@v/v2.0.0+incompatible.info"].Data}
	var records []module.Version
	for _, m := range queryMods {
		records = append(records, module.Version{Path: m.Path, Version: m.Version})
	}
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS, SumDB: "sum.test", Lookup: tree.Lookup, SumDBRecords: records})
	base := t.TempDir()
	const mainMod = "module example.com/main\n\ngo 1.21\n"
	for _, tc := range []struct {
		name  string
		gomod string
		args  []string
		// stderr must hold this with go alone and with gofast.
		stderr string
	}{
		{"list main", mainMod, []string{"list", "-m", "example.com/m@main"}, ""},
		{"list commit", mainMod, []string{"list", "-m", "-json", "example.com/m@0123456789ab"}, ""},
		{"list v1", mainMod, []string{"list", "-m", "example.com/m@v1"}, ""},
		{"list versions retracted", mainMod, []string{"list", "-m", "-versions", "-retracted", "example.com/m"}, ""},
		{"list deprecated", mainMod, []string{"list", "-m", "-u", "-json", "example.com/m@v1.0.0"}, ""},
		{"get main", mainMod, []string{"get", "example.com/m@main"}, ""},
		{"get commit", mainMod, []string{"get", "example.com/m@0123456789ab"}, ""},
		{"get v1", mainMod, []string{"get", "example.com/m@v1"}, "deprecated"},
		{"get retracted", mainMod, []string{"get", "example.com/m@v1.0.1"}, "retracted by module author"},
		{"get upgrade", mainMod + "\nrequire example.com/m v1.0.0\n", []string{"get", "example.com/m@upgrade"}, ""},
		{"get patch", mainMod + "\nrequire example.com/m v1.0.0\n", []string{"get", "example.com/m@patch"}, ""},
		{"get incompatible", mainMod, []string{"get", "example.com/inc@v2.0.0"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			type outcome struct {
				stdout, stderr, gomod, gosum string
				code                         int
			}
			runOne := func(name, tool string) outcome {
				dir := filepath.Join(base, tc.name, name)
				work := filepath.Join(dir, "work")
				cache := filepath.Join(dir, "modcache")
				os.MkdirAll(work, 0o777)
				os.MkdirAll(cache, 0o777)
				t.Cleanup(func() { modcache.RemoveAll(cache) })
				os.WriteFile(filepath.Join(work, "go.mod"), []byte(tc.gomod), 0o666)
				cmd := exec.Command(tool, tc.args...)
				cmd.Dir = work
				cmd.Env = append(proxytest.GoEnv(os.Environ(), srv, cache),
					"XDG_CACHE_HOME="+filepath.Join(dir, "xdg"), "GOFAST_TTL=0", "GOCACHE="+goCache(t))
				var stdout, stderr bytes.Buffer
				cmd.Stdout, cmd.Stderr = &stdout, &stderr
				err := cmd.Run()
				// The module cache is each run's own: it is the one
				// difference go -json output may show.
				o := outcome{stdout: strings.ReplaceAll(stdout.String(), cache, "$GOMODCACHE"), stderr: stderr.String()}
				if ee, ok := err.(*exec.ExitError); ok {
					o.code = ee.ExitCode()
				} else if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				gomod, _ := os.ReadFile(filepath.Join(work, "go.mod"))
				gosum, _ := os.ReadFile(filepath.Join(work, "go.sum"))
				o.gomod, o.gosum = string(gomod), string(gosum)
				return o
			}
			g := runOne("go", goTool)
			if g.code != 0 {
				t.Fatalf("go alone fails (a bug of the test): %s", g.stderr)
			}
			if !strings.Contains(g.stderr, tc.stderr) {
				t.Fatalf("go alone does not print %q (a bug of the test): %s", tc.stderr, g.stderr)
			}
			f := runOne("gofast", bin)
			if f.code != g.code {
				t.Errorf("exit %d, go alone %d\ngofast stderr: %s", f.code, g.code, f.stderr)
			}
			if f.stdout != g.stdout {
				t.Errorf("stdout differs\ngo:     %q\ngofast: %q\ngofast stderr: %s", g.stdout, f.stdout, f.stderr)
			}
			if f.gomod != g.gomod {
				t.Errorf("go.mod differs\ngo:\n%s\ngofast:\n%s", g.gomod, f.gomod)
			}
			if f.gosum != g.gosum {
				t.Errorf("go.sum differs\ngo:\n%s\ngofast:\n%s", g.gosum, f.gosum)
			}
			if !strings.Contains(f.stderr, tc.stderr) {
				t.Errorf("gofast's stderr lacks %q, which go alone prints: %s", tc.stderr, f.stderr)
			}
		})
	}
}
