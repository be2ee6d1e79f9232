package main

import (
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Config is everything one harness run does, from the command line. The
// full run's values are the flag defaults; -quick replaces those the
// command line does not set with the quick run's.
type Config struct {
	Quick bool
	// Out is the markdown report's file; "" prints it on stdout.
	Out string
	// CorpusDir holds the corpus folders; ProxyRoot their filled caches.
	CorpusDir, ProxyRoot string
	// Scenarios selects what runs: cold, stall, errors, proxy, emulators,
	// overhead, memory.
	Scenarios map[string]bool

	// Cold download comparison.
	Corpora    []string
	RTTs       []time.Duration
	Rounds     int
	SlowRounds int // rounds at SlowRTT and above
	SlowRTT    time.Duration
	Bandwidth  int64
	// HandshakeRTTs are extra round trips on each new connection (TLS).
	HandshakeRTTs int
	Timeout       time.Duration

	// Stalled first mirror and flaky mirror comparisons.
	FaultCorpus string
	FaultRTT    time.Duration
	FaultRounds int
	StallBound  time.Duration
	ErrorRate   float64
	Seed        int64

	// Wrapper overhead.
	VersionIters int
	BuildIters   int
	BuildDep     string // module@version the small build module imports

	// Proxy-path commands (go get, go install pkg@version) with no go.sum,
	// so go also asks the checksum database the mirrors serve.
	ProxyCorpus  string
	ProxyRTT     time.Duration
	ProxyRounds  int
	ProxyCmds    []string // get, install, install-small, tidy, toolchain
	ProxyMirrors []string // good, stall, errors
	// ProxyInstall is the pkg@version of the install row, served from a
	// tool corpus filled for it; ProxyInstallSmall that of the
	// install-small row, served from the ProxyCorpus tree.
	ProxyInstall, ProxyInstallSmall string
	// ProxyTidy are the import paths of the tidy row's module.
	ProxyTidy []string
	// ProxyToolchain is the toolchain the toolchain row's go.mod asks for
	// ("go1.27.3"); ProxyConnBandwidth the per-connection cap of its
	// second variant, in bytes per second (0: no such variant).
	ProxyToolchain     string
	ProxyConnBandwidth int64

	// NoGo64 drops the GOMAXPROCS=64 go side from the comparisons.
	NoGo64 bool

	// The retry-loop side of the fault rows: go run up to RetryAttempts
	// times, RetryPause apart, each attempt bounded like a plain go run,
	// the loop by RetryTotal (0: Timeout). NoRetry drops the side.
	RetryAttempts int
	RetryPause    time.Duration
	RetryTotal    time.Duration
	NoRetry       bool

	// FreshFS is auto, loop or dir: how each run gets a fresh file system.
	FreshFS string

	// The emulator cross-check: a cold download of EmulatorCorpus at
	// EmulatorRTT under the in-process emulator and under toxiproxy.
	EmulatorCorpus string
	EmulatorRTT    time.Duration
	EmulatorRounds int
	// Toxiproxy is toxiproxy's server binary ("" means build it).
	Toxiproxy string

	// Peak memory of gofast prefetch.
	MemoryCorpus string
	MemoryRuns   int

	// ExtractRounds is how often go's own extraction time is measured.
	ExtractRounds int

	// Isolate is auto, netns or none: whether the runs happen inside a new
	// network namespace where only loopback exists.
	Isolate string
	// Gofast is a prebuilt gofast binary; "" builds one from the checkout.
	Gofast string
	// Work is where scratch directories go ("" for the system temp dir).
	Work string
	// Keep leaves the scratch directories in place, for debugging.
	Keep bool

	// inner marks the process started inside the namespace.
	inner bool
	// args is the command line as given, for the report.
	args []string
}

// allScenarios lists the scenarios in report order.
var allScenarios = []string{"cold", "stall", "errors", "proxy", "emulators", "overhead", "memory"}

// proxyCmdNames and proxyMirrorNames are what -proxy-cmds and
// -proxy-mirrors accept.
var (
	proxyCmdNames    = []string{"get", "install", "install-small", "tidy", "toolchain"}
	proxyMirrorNames = []string{"good", "stall", "errors"}
)

// parseConfig parses the command line args (without the program name).
// getenv supplies GOFAST_CORPUS and GOFAST_CORPUS_PROXY.
func parseConfig(args []string, getenv func(string) string, stderr io.Writer) (*Config, error) {
	c := &Config{args: args}
	// The parent appends its own flags after -inner; the report shows the
	// command line as the user gave it.
	if i := slices.Index(args, "-inner"); i >= 0 {
		c.args = args[:i]
	}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./bench [-quick] [-out BENCHMARKS.md] [flags]\n\n")
		fs.PrintDefaults()
	}
	var corpora, rtts, scenarios, proxyCmds, proxyMirrors, proxyTidy string
	fs.BoolVar(&c.Quick, "quick", false, "quick run: one small corpus at one round-trip time, fewer rounds (a few minutes)")
	fs.StringVar(&c.Out, "out", "", "write the markdown report to this file (default stdout)")
	fs.StringVar(&c.CorpusDir, "corpus", getenv("GOFAST_CORPUS"), "folder of corpus folders (default $GOFAST_CORPUS, bench/testdata/corpus, ../shared/corpus)")
	fs.StringVar(&c.ProxyRoot, "corpus-proxy", getenv("GOFAST_CORPUS_PROXY"), "root of the filled corpus caches (default $GOFAST_CORPUS_PROXY, else <user cache dir>/gofast-corpus)")
	fs.StringVar(&scenarios, "scenarios", strings.Join(allScenarios, ","), "scenarios to run: cold, stall, errors, proxy, emulators (the cold download under the in-process emulator and under toxiproxy), overhead, memory")
	fs.StringVar(&corpora, "corpora", "prometheus,cli", "corpora for the cold download comparison")
	fs.StringVar(&rtts, "rtt", "1ms,50ms,100ms,300ms", "round-trip times for the cold download comparison")
	fs.IntVar(&c.Rounds, "rounds", 3, "rounds per comparison (each round runs every side once: go, GOMAXPROCS=64 go, the retry loop in fault rows, gofast)")
	fs.IntVar(&c.SlowRounds, "slow-rounds", 2, "rounds at round-trip times of -slow-rtt and above")
	fs.DurationVar(&c.SlowRTT, "slow-rtt", 300*time.Millisecond, "round-trip time from which -slow-rounds applies")
	fs.Int64Var(&c.Bandwidth, "bandwidth", 25_000_000, "link bandwidth in bytes per second, shared by all connections")
	fs.IntVar(&c.HandshakeRTTs, "handshake-rtts", 1, "extra round trips on each new connection, for the TLS handshake of a real https mirror (TCP's is always there)")
	fs.DurationVar(&c.Timeout, "timeout", 10*time.Minute, "time bound of one run; a run still going is killed and reported as a timeout")
	fs.StringVar(&c.FaultCorpus, "fault-corpus", "cli", "corpus for the stalled-mirror and error-rate comparisons")
	fs.DurationVar(&c.FaultRTT, "fault-rtt", 50*time.Millisecond, "round-trip time for the stalled-mirror and error-rate comparisons")
	fs.IntVar(&c.FaultRounds, "fault-rounds", 2, "rounds of the stalled-mirror and error-rate comparisons")
	fs.DurationVar(&c.StallBound, "stall-bound", 60*time.Second, "time after which a run stuck on the stalled mirror is killed (the same in -quick, so that gofast's own stall deadlines fit under it)")
	fs.Float64Var(&c.ErrorRate, "error-rate", 0.05, "fraction of requests the flaky mirror answers with 500")
	fs.Int64Var(&c.Seed, "seed", 1, "seed of the flaky mirror's error sequence")
	fs.StringVar(&c.ProxyCorpus, "proxy-corpus", "cli", "corpus whose tree serves the proxy-path commands (get, install -n) and whose go.mod names the modules of the get row")
	fs.DurationVar(&c.ProxyRTT, "proxy-rtt", 100*time.Millisecond, "round-trip time of the proxy-path rows")
	fs.IntVar(&c.ProxyRounds, "proxy-rounds", 2, "rounds of each proxy-path row")
	fs.StringVar(&proxyCmds, "proxy-cmds", strings.Join(proxyCmdNames, ","), "proxy-path commands to time: get (go get of the -proxy-corpus requirements), install (go install -n of -proxy-install), install-small (go install -n of -proxy-install-small), tidy (go mod tidy of a module importing -proxy-tidy), toolchain (go version switching to -proxy-toolchain, also over a per-connection cap)")
	fs.StringVar(&proxyMirrors, "proxy-mirrors", strings.Join(proxyMirrorNames, ","), "mirror sets of the proxy-path rows: good (healthy), stall (GOPROXY=stalled|good), errors (a mirror failing -error-rate of requests)")
	fs.StringVar(&c.ProxyInstall, "proxy-install", "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0", "pkg@version of the install row: go install -n of a tool with a large build, served from a tree filled once by the real go install -n from the real proxy")
	fs.StringVar(&c.ProxyInstallSmall, "proxy-install-small", "github.com/cpuguy83/go-md2man/v2@v2.0.5", "pkg@version of the install-small row (its whole build must be in the -proxy-corpus tree)")
	fs.StringVar(&proxyTidy, "proxy-tidy", strings.Join(defaultTidyImports, ","), "import paths of the tidy row's fresh module: packages of modules with a release in the -proxy-corpus tree whose whole go mod tidy that tree serves")
	fs.StringVar(&c.ProxyToolchain, "proxy-toolchain", "go1.27.3", "toolchain the toolchain row's go.mod asks for (GOTOOLCHAIN=auto), served from a tree filled once by the real go from the real proxy")
	fs.Int64Var(&c.ProxyConnBandwidth, "proxy-conn-bandwidth", 2_000_000, "per-connection cap in bytes per second of the toolchain row's capped variant, under the shared -bandwidth (0: no capped variant)")
	fs.BoolVar(&c.NoGo64, "no-go64", false, "leave out the GOMAXPROCS=64 go side")
	fs.IntVar(&c.RetryAttempts, "retry-attempts", 5, "attempts of the retry-loop side of the fault rows (stall, errors and the proxy rows behind those mirrors): go run again after a failure, as CI scripts do")
	fs.DurationVar(&c.RetryPause, "retry-pause", 15*time.Second, "wait of the retry-loop side between a failed attempt and the next")
	fs.DurationVar(&c.RetryTotal, "retry-total", 0, "bound of a whole retry loop, attempts and pauses (default -timeout); each attempt is bounded like a plain go run of its row")
	fs.BoolVar(&c.NoRetry, "no-retry", false, "leave out the retry-loop side")
	fs.StringVar(&c.FreshFS, "fresh-fs", "auto", "loop: every run on its own new loop-mounted ext4 image (needs root and mkfs.ext4); dir: a fresh directory; auto: loop when possible")
	fs.StringVar(&c.EmulatorCorpus, "emulator-corpus", "cli", "corpus of the emulators scenario: its cold download under the in-process emulator and under toxiproxy")
	fs.DurationVar(&c.EmulatorRTT, "emulator-rtt", 100*time.Millisecond, "round-trip time of the emulators scenario")
	fs.IntVar(&c.EmulatorRounds, "emulator-rounds", 3, "rounds of the emulators scenario (each round runs every side under both emulators)")
	fs.StringVar(&c.Toxiproxy, "toxiproxy", "", "toxiproxy server binary for the emulators scenario (default: go install github.com/Shopify/toxiproxy/v2/cmd/server at the client's version, once, into <user cache dir>/gofast-bench-tools)")
	fs.IntVar(&c.VersionIters, "version-iters", 200, "alternating go version / gofast version pairs")
	fs.IntVar(&c.BuildIters, "build-iters", 20, "alternating warm go build / gofast build pairs")
	fs.StringVar(&c.BuildDep, "build-dep", "gopkg.in/yaml.v3@v3.0.1", "module@version the small warm-build module imports (its zip must be in a corpus tree in use)")
	fs.StringVar(&c.MemoryCorpus, "memory-corpus", "prometheus", "corpus whose cold gofast prefetch is measured for peak memory")
	fs.IntVar(&c.MemoryRuns, "memory-runs", 2, "gofast prefetch runs for peak memory")
	fs.IntVar(&c.ExtractRounds, "extract-rounds", 2, "measurements of go's own extraction time per corpus")
	fs.StringVar(&c.Isolate, "isolate", "auto", "netns: run in a new network namespace with only loopback; none: do not; auto: netns when possible")
	fs.StringVar(&c.Gofast, "gofast", "", "prebuilt gofast binary (default: go build the checkout)")
	fs.StringVar(&c.Work, "work", "", "directory for scratch files (default the system temp dir)")
	fs.BoolVar(&c.Keep, "keep", false, "keep scratch directories")
	fs.BoolVar(&c.inner, "inner", false, "internal: running inside the network namespace")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.Quick {
		quick := map[string]func(){
			"corpora":         func() { corpora = "gin" },
			"rtt":             func() { rtts = "100ms" },
			"rounds":          func() { c.Rounds = 2 },
			"timeout":         func() { c.Timeout = 3 * time.Minute },
			"fault-corpus":    func() { c.FaultCorpus = "gin" },
			"fault-rtt":       func() { c.FaultRTT = 100 * time.Millisecond },
			"fault-rounds":    func() { c.FaultRounds = 1 },
			"build-iters":     func() { c.BuildIters = 5 },
			"memory-corpus":   func() { c.MemoryCorpus = "gin" },
			"memory-runs":     func() { c.MemoryRuns = 1 },
			"proxy-rounds":    func() { c.ProxyRounds = 1 },
			"emulator-corpus": func() { c.EmulatorCorpus = "gin" },
			"emulator-rounds": func() { c.EmulatorRounds = 2 },
		}
		for name, apply := range quick {
			if !set[name] {
				apply()
			}
		}
		if !set["extract-rounds"] {
			c.ExtractRounds = 1
		}
	}
	c.Corpora = splitList(corpora)
	c.ProxyTidy = splitList(proxyTidy)
	var err error
	if c.RTTs, err = parseDurations(rtts); err != nil {
		return nil, fmt.Errorf("-rtt: %w", err)
	}
	c.Scenarios = map[string]bool{}
	for _, s := range splitList(scenarios) {
		if !slices.Contains(allScenarios, s) {
			return nil, fmt.Errorf("-scenarios: unknown scenario %q (have %s)", s, strings.Join(allScenarios, ", "))
		}
		c.Scenarios[s] = true
	}
	if c.ProxyCmds, err = oneOf("-proxy-cmds", proxyCmds, proxyCmdNames); err != nil {
		return nil, err
	}
	if c.ProxyMirrors, err = oneOf("-proxy-mirrors", proxyMirrors, proxyMirrorNames); err != nil {
		return nil, err
	}
	switch c.FreshFS {
	case "auto", "loop", "dir":
	default:
		return nil, fmt.Errorf("-fresh-fs: want auto, loop or dir, not %q", c.FreshFS)
	}
	switch c.Isolate {
	case "auto", "netns", "none":
	default:
		return nil, fmt.Errorf("-isolate: want auto, netns or none, not %q", c.Isolate)
	}
	if c.Rounds < 1 || c.SlowRounds < 1 || c.FaultRounds < 1 || c.ProxyRounds < 1 || c.EmulatorRounds < 1 || c.RetryAttempts < 1 || c.Bandwidth < 0 || c.ProxyConnBandwidth < 0 {
		return nil, fmt.Errorf("rounds and retry attempts must be at least 1 and bandwidths not negative")
	}
	return c, nil
}

// roundsAt returns the rounds for a cold comparison at rtt.
func (c *Config) roundsAt(rtt time.Duration) int {
	if rtt >= c.SlowRTT {
		return min(c.Rounds, c.SlowRounds)
	}
	return c.Rounds
}

// oneOf splits the list flag value s and checks every item is in names.
func oneOf(flagName, s string, names []string) ([]string, error) {
	items := splitList(s)
	for _, it := range items {
		if !slices.Contains(names, it) {
			return nil, fmt.Errorf("%s: unknown %q (have %s)", flagName, it, strings.Join(names, ", "))
		}
	}
	return items, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseDurations parses "1ms,50ms"; a bare number is milliseconds.
func parseDurations(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range splitList(s) {
		if n, err := strconv.Atoi(f); err == nil {
			out = append(out, time.Duration(n)*time.Millisecond)
			continue
		}
		d, err := time.ParseDuration(f)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}
