package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// toolSpec is a tool corpus: a GOPROXY tree holding everything one go
// command fetches with a fresh module cache, outside any module and with
// no go.sum, filled once by running that command with the real go tool
// against the user's real proxy. The install row's tree (go install -n of a
// large tool) and the toolchain row's (the golang.org/toolchain module) are
// tool corpora.
type toolSpec struct {
	// Name is the tree's folder under the corpus cache root.
	Name string
	// Args are the go arguments that fill it; Env adds to the filling
	// environment (GOTOOLCHAIN, which is local otherwise).
	Args []string
	Env  []string
	// Output, when set, must appear in the filling command's output: proof
	// that it did what the tree is for ("go1.27.3").
	Output string
}

// digest identifies the spec: a tree stamped with another digest (another
// tool version, another toolchain, another platform) is filled again.
func (t toolSpec) digest() string {
	h := sha256.New()
	fmt.Fprintf(h, "args %q\nenv %q\nplatform %s/%s\n", t.Args, t.Env, runtime.GOOS, runtime.GOARCH)
	return hex.EncodeToString(h.Sum(nil))
}

// installSpec is the tool corpus of go install -n pkgVersion.
func installSpec(pkgVersion string) toolSpec {
	// The folder is named for the binary and version ("install-golangci-lint@v2.15.0");
	// the stamp tells two tools of the same binary name apart.
	pkg, version, _ := strings.Cut(pkgVersion, "@")
	return toolSpec{Name: "install-" + binName(pkg) + "@" + version, Args: []string{"install", "-n", pkgVersion}}
}

// toolchainSpec is the tool corpus of a switch to toolchain goVersion
// ("go1.27.3"): go version with GOTOOLCHAIN set to it, which downloads and
// verifies the golang.org/toolchain zip for this platform.
func toolchainSpec(goVersion string) toolSpec {
	return toolSpec{Name: "toolchain-" + slug(goVersion), Args: []string{"version"},
		Env: []string{"GOTOOLCHAIN=" + goVersion}, Output: goVersion}
}

// openToolCorpus returns the tool corpus of spec under proxyRoot, filling
// it first when it is missing or stamped for another spec and fill is true
// (outside the namespace only), and failing otherwise. A tool corpus has
// no corpus folder: Src is empty.
func openToolCorpus(ctx context.Context, proxyRoot string, spec toolSpec, goTool string, base []string, fill bool, logf func(string, ...any)) (*Corpus, error) {
	c := &Corpus{Name: spec.Name, Cache: filepath.Join(proxyRoot, spec.Name)}
	want := spec.digest()
	stamp, err := os.ReadFile(filepath.Join(c.Cache, stampName))
	if err != nil || strings.TrimSpace(string(stamp)) != want {
		if !fill {
			return nil, fmt.Errorf("tool corpus %s: no GOPROXY tree filled for it at %s (run the harness outside -isolate to fill it)", spec.Name, c.Tree())
		}
		logf("filling the %s tree with the real go tool (go %s) from the real proxy into %s", spec.Name, strings.Join(spec.Args, " "), c.Cache)
		if err := fillToolTree(ctx, goTool, base, spec, c.Cache, want); err != nil {
			return nil, fmt.Errorf("tool corpus %s: %w", spec.Name, err)
		}
	}
	if c.Want, err = scanDownloads(c.Tree()); err != nil {
		return nil, fmt.Errorf("tool corpus %s: %w", spec.Name, err)
	}
	if c.Want.Count(".zip") == 0 {
		return nil, fmt.Errorf("tool corpus %s: %s holds no zips; remove %s to fill it again", spec.Name, c.Tree(), c.Cache)
	}
	return c, nil
}

// fillToolTree runs spec's command in an empty folder with a scratch module
// cache and GOPATH and the user's own proxy settings (the harness's only
// network use, as in fillCache), then keeps only the cache's download tree
// (the extracted sources and toolchain are not served) under dest, stamped
// with digest. The tree appears at dest only when complete.
func fillToolTree(ctx context.Context, goTool string, base []string, spec toolSpec, dest, digest string) error {
	work, err := fillScratch(dest)
	if err != nil {
		return err
	}
	defer removeTree(work)
	dir, cache := filepath.Join(work, "empty"), filepath.Join(work, "modcache")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "GOMODCACHE", "GOFLAGS", "GOTOOLCHAIN", "GOWORK", "GOPATH", "GO111MODULE":
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "GOMODCACHE="+cache, "GOPATH="+filepath.Join(work, "gopath"), "GOFLAGS=", "GOTOOLCHAIN=local", "GOWORK=off")
	env = append(env, spec.Env...)
	cmd := exec.CommandContext(ctx, goTool, spec.Args...)
	cmd.Dir, cmd.Env = dir, env
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go %s: %w: %s", strings.Join(spec.Args, " "), err, lastLine(string(out), 200))
	}
	if spec.Output != "" && !strings.Contains(string(out), spec.Output) {
		return fmt.Errorf("go %s: output does not name %s: %s", strings.Join(spec.Args, " "), spec.Output, lastLine(string(out), 200))
	}
	keep := filepath.Join(work, "tree")
	if err := os.MkdirAll(filepath.Join(keep, "cache"), 0o755); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(cache, "cache", "download"), filepath.Join(keep, "cache", "download")); err != nil {
		return fmt.Errorf("keeping the download tree: %w", err)
	}
	return placeFilled(keep, dest, digest)
}

// toolSpecs lists the tool corpora the selected proxy rows serve from.
func (h *harness) toolSpecs() []toolSpec {
	if !h.cfg.Scenarios["proxy"] {
		return nil
	}
	var out []toolSpec
	for _, name := range h.cfg.ProxyCmds {
		switch name {
		case "install":
			out = append(out, installSpec(h.cfg.ProxyInstall))
		case "toolchain":
			out = append(out, toolchainSpec(h.cfg.ProxyToolchain))
		}
	}
	return out
}

// openToolCorpora opens (and, when fill is true, fills) every tool corpus
// in use, into h.corpora by name.
func (h *harness) openToolCorpora(ctx context.Context, fill bool) error {
	for _, spec := range h.toolSpecs() {
		c, err := openToolCorpus(ctx, h.proxyRoot, spec, h.goTool, h.base, fill, h.logf)
		if err != nil {
			return err
		}
		h.corpora[c.Name] = c
	}
	return nil
}
