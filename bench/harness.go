package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// harness is one benchmark run's shared state.
type harness struct {
	cfg  *Config
	base []string // the harness's own environment, cleaned per run by toolEnv
	log  io.Writer

	repo           string // the gofast checkout (module root)
	goTool, goRoot string // the real go tool
	gofast         string // the gofast binary under test
	toxiproxy      string // toxiproxy's server binary (buildToxiproxy)
	corpusDir      string
	proxyRoot      string
	work           string // scratch root of this run
	ownWork        bool   // work was created here and is removed at the end
	goCache        string // GOCACHE shared by every run
	isolation      string // how the runs were kept off the network
	netns          bool   // the runs are inside the private network namespace
	fresh          freshFS
	toxi           *toxiLink // the toxiproxy server while the emulators scenario runs
	goVer          string    // the real go's version, for go.mod go lines

	corpora    map[string]*Corpus
	extract    map[string]time.Duration // go's extraction time per corpus
	extractErr map[string]error         // why it could not be measured
	seq        int
}

// errNoNetns means the system refused to create a network namespace.
var errNoNetns = errors.New("network namespaces unavailable")

// newHarness locates the checkout, the real go tool and the corpus, and
// makes the scratch root.
func newHarness(ctx context.Context, cfg *Config, environ []string, log io.Writer) (*harness, error) {
	h := &harness{cfg: cfg, base: environ, log: log, corpora: map[string]*Corpus{},
		extract: map[string]time.Duration{}, extractErr: map[string]error{}}
	var err error
	if h.repo, err = moduleRoot(); err != nil {
		return nil, err
	}
	if h.goTool, h.goRoot, err = realGo(ctx, h.getenv("GOFAST_GO")); err != nil {
		return nil, err
	}
	if h.corpusDir, err = findCorpusRoot(cfg.CorpusDir, "", h.repo); err != nil {
		return nil, err
	}
	h.proxyRoot = cfg.ProxyRoot
	if h.proxyRoot == "" {
		dir, err := os.UserCacheDir()
		if err != nil {
			return nil, fmt.Errorf("locating the corpus cache (set -corpus-proxy): %w", err)
		}
		h.proxyRoot = filepath.Join(dir, "gofast-corpus")
	}
	if h.proxyRoot, err = filepath.Abs(h.proxyRoot); err != nil {
		return nil, err
	}
	if cfg.inner && cfg.Work != "" {
		h.work = cfg.Work // the parent's scratch root, removed by the parent
	} else {
		if h.work, err = os.MkdirTemp(cfg.Work, "gofast-bench-"); err != nil {
			return nil, fmt.Errorf("making the scratch directory: %w", err)
		}
		h.ownWork = true
	}
	h.goCache = buildCache(ctx, h.goTool, environ, filepath.Join(h.work, "gocache"))
	h.isolation = "not isolated: the runs could reach the network, though every setting points only at the emulated mirrors on 127.0.0.1"
	return h, nil
}

// close removes the scratch root unless -keep was given.
func (h *harness) close() {
	if h.ownWork && !h.cfg.Keep {
		removeTree(h.work)
	} else if h.ownWork {
		h.logf("scratch files kept in %s", h.work)
	}
}

// getenv reads the harness's environment.
func (h *harness) getenv(key string) string {
	for i := len(h.base) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(h.base[i], "="); ok && k == key {
			return v
		}
	}
	return ""
}

// logf prints one progress line on stderr.
func (h *harness) logf(format string, a ...any) {
	fmt.Fprintf(h.log, "bench: %s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// corpusNames lists the corpora the selected scenarios use, without
// duplicates.
func (h *harness) corpusNames() []string {
	var names []string
	add := func(n string) {
		if n != "" && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if h.cfg.Scenarios["cold"] {
		for _, n := range h.cfg.Corpora {
			add(n)
		}
	}
	if h.cfg.Scenarios["stall"] || h.cfg.Scenarios["errors"] || h.cfg.Scenarios["overhead"] {
		add(h.cfg.FaultCorpus)
	}
	if h.cfg.Scenarios["memory"] {
		add(h.cfg.MemoryCorpus)
	}
	if h.cfg.Scenarios["proxy"] {
		add(h.cfg.ProxyCorpus)
	}
	if h.cfg.Scenarios["emulators"] {
		add(h.cfg.EmulatorCorpus)
	}
	return names
}

// openCorpora loads every corpus in use, filling missing trees when fill
// is true (outside the namespace only: filling needs the real network).
func (h *harness) openCorpora(ctx context.Context, fill bool) error {
	for _, name := range h.corpusNames() {
		c, err := openCorpus(ctx, h.corpusDir, h.proxyRoot, name, h.goTool, h.base, fill, h.logf)
		if err != nil {
			return err
		}
		h.corpora[name] = c
	}
	return h.openToolCorpora(ctx, fill)
}

// warmPageCache reads every file of each corpus tree once, so that the
// first run of a comparison does not pay for reading the mirror's files
// from disk while the later ones find them in memory.
func (h *harness) warmPageCache() error {
	for _, c := range h.corpora {
		for rel := range c.Want {
			f, err := os.Open(filepath.Join(c.Tree(), filepath.FromSlash(rel)))
			if err != nil {
				return fmt.Errorf("reading the %s tree: %w", c.Name, err)
			}
			_, err = io.Copy(io.Discard, f)
			f.Close()
			if err != nil {
				return fmt.Errorf("reading the %s tree: %w", c.Name, err)
			}
		}
	}
	return nil
}

// buildGofast builds the checkout's gofast into the scratch root, once per
// harness run, unless -gofast names a binary. It builds the layout
// install.sh installs: the lean launcher as gofast with gofast-core beside
// it, so the figures are those users get.
func (h *harness) buildGofast(ctx context.Context) error {
	if h.cfg.Gofast != "" {
		p, err := filepath.Abs(h.cfg.Gofast)
		h.gofast = p
		return err
	}
	h.gofast = filepath.Join(h.work, "bin", "gofast")
	h.logf("building gofast from %s", h.repo)
	for out, pkg := range map[string]string{h.gofast: "./cmd/gofast-front", filepath.Join(h.work, "bin", "gofast-core"): "."} {
		cmd := exec.CommandContext(ctx, h.goTool, "build", "-o", out, pkg)
		cmd.Dir, cmd.Env = h.repo, h.base
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building gofast (%s): %w\n%s", pkg, err, msg)
		}
	}
	return nil
}

// link is the emulated link at rtt with the configured bandwidth and
// handshake.
func (h *harness) link(rtt time.Duration) Link {
	return Link{RTT: rtt, HandshakeRTTs: h.cfg.HandshakeRTTs, Bandwidth: h.cfg.Bandwidth}
}

// tool returns the program and arguments that run args with one side.
func (h *harness) tool(s side, args ...string) (string, []string) {
	if s == sideGofast {
		return h.gofast, args
	}
	return h.goTool, args
}

// scratch makes a fresh directory for one run, on a file system of its
// own when loop mounts work (see freshFS); done unmounts and deletes that,
// or removes the directory, unless -keep was given (which keeps the
// image file or the directory).
func (h *harness) scratch(name string) (string, func(), error) {
	h.seq++
	base := fmt.Sprintf("%03d-%s", h.seq, name)
	dir := filepath.Join(h.work, base)
	if h.fresh.Loop {
		img := filepath.Join(h.fresh.images, base+".img")
		if err := mountImage(img, dir, freshImageSize); err != nil {
			return "", nil, fmt.Errorf("making the run's file system: %w", err)
		}
		return dir, func() {
			if err := unmountImage(img, dir, h.cfg.Keep); err != nil {
				h.logf("%v", err)
			}
			settleDisk()
		}, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("making a scratch directory: %w", err)
	}
	return dir, func() {
		if !h.cfg.Keep {
			if err := removeTree(dir); err != nil {
				h.logf("%v", err)
			}
		}
		settleDisk()
	}, nil
}

// slug turns a label into a file-name part: "100 ms" → "100ms".
func slug(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '%':
		default:
			b.WriteRune('-')
		}
	}
	return b.String()
}

// moduleRoot returns the directory of the go.mod that encloses the current
// directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod above %s: run the harness from the gofast checkout", dir)
		}
	}
}

// realGo returns the real go tool and its GOROOT: $GOFAST_GO when set,
// else GOROOT/bin/go as reported by the first go on PATH (when that is
// gofast, `gofast env` is go's, so the answer is the same).
func realGo(ctx context.Context, override string) (string, string, error) {
	tool := override
	if tool == "" {
		var err error
		if tool, err = exec.LookPath("go"); err != nil {
			return "", "", fmt.Errorf("locating the go tool: %w", err)
		}
	}
	out, err := exec.CommandContext(ctx, tool, "env", "GOROOT").Output()
	if err != nil {
		return "", "", fmt.Errorf("%s env GOROOT: %w", tool, err)
	}
	root := strings.TrimSpace(string(out))
	name := "go"
	if runtime.GOOS == "windows" {
		name = "go.exe"
	}
	goTool := filepath.Join(root, "bin", name)
	if _, err := os.Stat(goTool); err != nil {
		return "", "", fmt.Errorf("the real go tool: %w", err)
	}
	return goTool, root, nil
}

// buildCache returns the GOCACHE the runs share: the user's own build cache
// (content-addressed and safe to share; only the warm build uses it, and
// with it the standard library is not rebuilt), else scratch.
func buildCache(ctx context.Context, goTool string, environ []string, scratch string) string {
	cmd := exec.CommandContext(ctx, goTool, "env", "GOCACHE")
	cmd.Env = environ
	out, err := cmd.Output()
	if dir := strings.TrimSpace(string(out)); err == nil && dir != "" && dir != "off" {
		return dir
	}
	return scratch
}
