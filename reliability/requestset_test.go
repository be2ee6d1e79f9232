//go:build linux

package reliability_test

import (
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// TestRequestSet runs go alone and gofast for the same commands in the
// same setups against one logging mirror (which also serves the checksum
// database), each run from an empty module cache and GOPATH, and compares
// what the mirror was asked. gofast may ask for more than go only by
// reading ahead a .mod, .zip or .info that can be verified without a
// request go would not make (go.sum records it, or go looks it up when it
// asks for it): never a checksum-database request (supported, lookup,
// tile, latest) go did not send, never a file of a GONOSUMDB module, never
// a file nothing verifies.
func TestRequestSet(t *testing.T) {
	gofastBin(t)
	const corp = "corp.example.com/x"
	mods := []proxytest.Module{
		{Path: "example.com/a", Version: "v1.0.0"},
		{Path: "example.com/a", Version: "v1.1.0"},
		{Path: "example.com/b", Version: "v1.0.0",
			GoMod: "module example.com/b\n\ngo 1.21\n\nrequire example.com/c v1.0.0\n",
			Files: map[string]string{"b.go": "package b\n\nimport \"example.com/c\"\n\n// V names b and c.\nconst V = \"b \" + c.Version\n"}},
		{Path: "example.com/c", Version: "v1.0.0"},
		{Path: corp, Version: "v1.0.0"},
		// d and corp.example.com/lib are in go.sum, not (yet) in go.mod.
		{Path: "example.com/d", Version: "v1.0.0"},
		{Path: "corp.example.com/lib", Version: "v1.0.0"},
		{Path: "example.com/tool", Version: "v1.0.0",
			GoMod: "module example.com/tool\n\ngo 1.21\n\nrequire example.com/c v1.0.0\n",
			Files: map[string]string{"cmd/hello/main.go": "package main\n\nimport \"example.com/c\"\n\nfunc main() { println(c.Version) }\n"}},
	}
	var records []module.Version
	for _, m := range mods {
		records = append(records, module.Version{Path: m.Path, Version: m.Version})
	}
	// The database holds every record before the first run, so its tree
	// does not grow between runs, and go alone and gofast read the same
	// tiles.
	w := newWorld(t, mods, proxytest.Options{SumDBRecords: records})
	required := []proxytest.Module{mods[0], mods[2], mods[3], mods[4]}
	gomod := "module example.com/main\n\ngo 1.21\n\nrequire (\n\texample.com/a v1.0.0\n\texample.com/b v1.0.0\n\texample.com/c v1.0.0\n\t" + corp + " v1.0.0\n)\n"
	mainGo := "package main\n\nimport (\n\t\"example.com/a\"\n\t\"example.com/b\"\n\t\"" + corp + "\"\n)\n\nfunc main() { println(a.Version, b.V, x.Version) }\n"
	complete := w.tree.GoSum(append(required, mods[5], mods[6])...)
	var noCorp []string
	for _, l := range strings.SplitAfter(complete, "\n") {
		if !strings.HasPrefix(l, corp+" ") {
			noCorp = append(noCorp, l)
		}
	}
	setups := []struct {
		name  string
		gosum string
		env   []string
		// unverified is the module nothing verifies unless go.sum has it.
		unverified string
		sumdbOff   bool
		private    bool
	}{
		{name: "go.sum complete", gosum: complete},
		{name: "go.sum missing entries", gosum: ""},
		{name: "GONOSUMDB module", gosum: strings.Join(noCorp, ""), env: []string{"GONOSUMDB=corp.example.com"}, unverified: corp},
		{name: "GOSUMDB=off", gosum: strings.Join(noCorp, ""), env: []string{"GOSUMDB=off"}, sumdbOff: true},
		// go fetches GOPRIVATE modules directly (here it fails to), and
		// no mirror may ever see their paths.
		{name: "GOPRIVATE module", gosum: complete, env: []string{"GOPRIVATE=corp.example.com"}, unverified: "corp.example.com", private: true},
	}
	files := func(gosum string) map[string]string {
		f := map[string]string{"go.mod": gomod, "main.go": mainGo}
		if gosum != "" {
			f["go.sum"] = gosum
		}
		return f
	}
	for _, s := range setups {
		cmds := []proxyCommand{
			// d has one version, so go get checks no later version's
			// retractions; with go.sum pinning d, go asks the database
			// nothing (go get github.com/google/uuid@v1.6.0), and nor
			// for a company module pinned there without GOPRIVATE.
			{name: "get pinned", files: files(s.gosum), args: []string{"get", "example.com/d@v1.0.0"}},
			{name: "get company pinned", files: files(s.gosum), args: []string{"get", "corp.example.com/lib@v1.0.0"}},
			{name: "get upgrade", files: files(s.gosum), args: []string{"get", "example.com/a@v1.1.0"}},
			{name: "mod tidy", files: files(s.gosum), args: []string{"mod", "tidy"}},
			{name: "mod download", files: files(s.gosum), args: []string{"mod", "download"}},
			{name: "install at version", outside: true, args: []string{"install", "example.com/tool/cmd/hello@v1.0.0"},
				env: func(work string) []string { return []string{"GOBIN=" + filepath.Join(work, "bin")} }},
		}
		for _, c := range cmds {
			t.Run(s.name+"/"+c.name, func(t *testing.T) {
				env := append([]string{"GOPROXY=" + w.good.URL}, s.env...)
				n := len(w.good.Requests())
				base, _, _ := w.runCommand(t, c, realGo(t), hardKill, env...)
				requireFinished(t, base)
				if base.code != 0 && !s.private {
					t.Fatalf("go alone failed (a bug of the test)\n%s", base)
				}
				goSet := w.good.Requests()[n:]
				n = len(w.good.Requests())
				r, _, _ := w.runCommand(t, c, gofastBin(t), hardKill, env...)
				requireFinished(t, r)
				checkNoCrash(t, r)
				gofastSet := w.good.Requests()[n:]
				if r.code != base.code {
					t.Errorf("gofast exit %d, go alone %d\n%s\ngo alone: %s", r.code, base.code, r, base)
				}
				for _, p := range extra(gofastSet, goSet) {
					if why := notAllowed(p, s.unverified, s.sumdbOff, c.files["go.sum"]); why != "" {
						t.Errorf("gofast asked the mirror for %s, which go alone did not: %s", p, why)
					}
				}
				if s.private {
					for _, p := range gofastSet {
						if strings.Contains(p, "corp.example.com") {
							t.Errorf("gofast asked the mirror for %s, a GOPRIVATE path", p)
						}
					}
				}
				if s.name == "go.sum complete" && strings.HasSuffix(c.name, "pinned") {
					for _, p := range gofastSet {
						if strings.HasPrefix(p, "/sumdb/") {
							t.Errorf("gofast asked the checksum database for %s with every module pinned in go.sum", p)
						}
					}
				}
				if t.Failed() {
					t.Logf("go alone asked %v", goSet)
					t.Logf("gofast asked %v", gofastSet)
				}
			})
		}
	}
}

// extra returns the paths of got not in base.
func extra(got, base []string) []string {
	var out []string
	for _, p := range got {
		if !slices.Contains(base, p) && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

var moduleFilePath = regexp.MustCompile(`^/(.+)/@v/([^/]+)\.(mod|zip|info)$`)

// notAllowed says why gofast must not have asked for p beyond go's own
// requests, or "" when p is a read-ahead of a file that can be verified:
// one gosum records, or, with the checksum database on, one of a module
// the database covers (go looks it up when it asks, and the proxy checks
// it then). unverified is a GONOSUMDB module.
func notAllowed(p, unverified string, sumdbOff bool, gosum string) string {
	if strings.HasPrefix(p, "/sumdb/") {
		return "a checksum-database request"
	}
	m := moduleFilePath.FindStringSubmatch(p)
	if m == nil {
		return "not a .mod, .zip or .info"
	}
	path, err := module.UnescapePath(m[1])
	if err != nil {
		return err.Error()
	}
	if unverified != "" && strings.HasPrefix(path, unverified) {
		return "a GONOSUMDB module"
	}
	version, _ := module.UnescapeVersion(m[2])
	if sumdbOff && !strings.Contains(gosum, path+" "+version+" ") && !strings.Contains(gosum, path+" "+version+"/go.mod ") {
		return "nothing verifies it (GOSUMDB=off, no go.sum line)"
	}
	return ""
}
