package prefetch

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"
)

// engine is one Run.
type engine struct {
	opts  Options
	cache *modcache.Cache
	src   *source
	prog  *progress

	// trace, when set (by tests), is told about scheduling events.
	trace func(event string, m module.Version)

	mu      sync.Mutex
	reports map[module.Version]*ModuleReport
	held    map[module.Version]heldMod
	sums    *modset.Sums

	// The zip pipeline (zips.go): a download per zip, at most Jobs at
	// once (and a few .info requests beside them), verified and unpacked
	// with tokens of the CPU pool, published once the set is decided.
	netSlots  chan struct{}
	infoSlots chan struct{}
	cpu       *cpuPool
	jobs      sync.WaitGroup
	zipJobs   map[module.Version]*zipJob // guarded by mu
	decided   chan struct{}              // closed when final is set
	final     map[module.Version]bool    // zips of the set; guarded by mu
}

// heldMod is a go.mod fetched while the graph was walked, kept in memory
// until go.sum hashes are known to verify it.
type heldMod struct {
	data   []byte
	mirror string
}

func newEngine(opts Options) (*engine, error) {
	st := opts.Settings
	if st == nil {
		return nil, errors.New("prefetch: no go settings")
	}
	if !filepath.IsAbs(st.GOMODCACHE) {
		return nil, fmt.Errorf("GOMODCACHE %q is not an absolute path", st.GOMODCACHE)
	}
	if opts.Jobs <= 0 {
		opts.Jobs = DefaultJobs
	}
	if opts.Compute == nil {
		opts.Compute = modset.Compute
	}
	// Walk, zips and .info files each have their own streams, and all of
	// them should find an idle connection to reuse.
	src := FetcherOptions{
		Settings: st, Env: opts.Env, Auth: opts.Auth, Chain: opts.Chain, Client: opts.Client,
		OnMirrorFailure: opts.OnMirrorFailure, IdleTimeout: opts.IdleTimeout, RequestTimeout: opts.RequestTimeout,
	}.source(2*opts.Jobs + infoJobs(opts.Jobs))
	e := &engine{
		opts:      opts,
		cache:     &modcache.Cache{Root: st.GOMODCACHE, ReadWrite: modCacheRW(st.GOFLAGS), LockWait: opts.LockWait},
		reports:   map[module.Version]*ModuleReport{},
		held:      map[module.Version]heldMod{},
		zipJobs:   map[module.Version]*zipJob{},
		decided:   make(chan struct{}),
		netSlots:  make(chan struct{}, opts.Jobs),
		infoSlots: make(chan struct{}, infoJobs(opts.Jobs)),
		src:       src,
	}
	return e, nil
}

// newRetryClient is the retrying client every download goes through, with
// the hooks that count retries and feed the stall watchdog.
func newRetryClient(hc *http.Client) *retryablehttp.Client {
	var h attemptHooks
	return web.NewRetryClient(hc, web.RetryHooks{Request: h.request, Response: h.response})
}

// modCacheRW reports whether GOFLAGS has -modcacherw, which makes go leave
// extracted directories writable.
func modCacheRW(goflags string) bool {
	for _, f := range strings.Fields(goflags) {
		f = strings.TrimLeft(f, "-")
		if f == "modcacherw" || f == "modcacherw=true" {
			return true
		}
	}
	return false
}

// event tells the test hook about a scheduling event.
func (e *engine) event(ev string, m module.Version) {
	if e.trace != nil {
		e.trace(ev, m)
	}
}

// isPrivate reports whether m must never be sent to a mirror.
func (e *engine) isPrivate(m module.Version) bool {
	return e.opts.Settings.NoProxy(m.Path)
}

// GoMod implements modset.Fetcher: the cached go.mod when present (go
// verifies cached files itself), else the chain's answer, syntax-checked
// and held until go.sum is known.
func (e *engine) GoMod(ctx context.Context, m module.Version) ([]byte, error) {
	if data, err := e.cache.ReadMod(m); err == nil {
		return data, nil
	}
	e.mu.Lock()
	h, ok := e.held[m]
	e.mu.Unlock()
	if ok {
		return h.data, nil
	}
	if e.isPrivate(m) {
		return nil, &ModuleError{Module: m, File: "mod", Err: fmt.Errorf("%w: private module (GOPRIVATE/GONOPROXY)", ErrLeftToGo)}
	}
	start := time.Now()
	var data []byte
	e.event("walk-mod", m)
	res, err := e.src.fetch(ctx, m, KindMod, "", modConsumer(m, nil, &data))
	e.event("walk-mod-done", m)
	r := e.report(m)
	e.mu.Lock()
	r.Bytes += res.Bytes
	r.Retries += res.Retries
	r.DurationMS += float64(time.Since(start)) / float64(time.Millisecond)
	e.mu.Unlock()
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.held[m] = heldMod{data: data, mirror: res.Mirror}
	e.mu.Unlock()
	return data, nil
}

// report returns m's report line, creating it.
func (e *engine) report(m module.Version) *ModuleReport {
	e.mu.Lock()
	defer e.mu.Unlock()
	r, ok := e.reports[m]
	if !ok {
		r = &ModuleReport{Path: m.Path, Version: m.Version}
		e.reports[m] = r
	}
	return r
}

func (e *engine) run(ctx context.Context) (*Report, error) {
	start := time.Now()
	st := e.opts.Settings
	e.prog = newProgress(e.opts.Progress, e.opts.Terminal)
	defer e.prog.stop()
	e.cpu = newCPUPool(e.cpuTokens())
	set, err := e.opts.Compute(ctx, modset.Options{
		Dir: e.opts.Dir, GOMOD: st.GOMOD, GOWORK: st.GOWORK, GOFLAGS: st.GOFLAGS,
		GOPRIVATE: st.GOPRIVATE, GONOPROXY: st.GONOPROXY, GOVERSION: st.GOVERSION,
		GOMODCACHE: st.GOMODCACHE, IgnoreVendor: e.opts.IgnoreVendor,
		Fetch: e, Jobs: e.opts.Jobs, Likely: e.speculate(ctx),
	})
	walked := time.Since(start)
	e.event("walked", module.Version{})
	if err != nil || set.Vendor {
		// Nothing speculative may be published.
		e.decide(ctx, nil, modset.NewSums())
		e.settle()
		if err != nil {
			return nil, err
		}
		rep := &Report{Vendor: true}
		return rep, e.finish(rep, start)
	}
	e.sums = set.Sums
	if e.sums == nil {
		e.sums = modset.NewSums()
	}
	for _, s := range set.Skipped {
		r := e.report(s.Module)
		r.Status, r.Reason = LeftToGo, s.Reason
	}
	zips := e.selectZips(set.Zips)
	mods := e.selectMods(set.Mods, zips)
	if err := e.download(ctx, zips, mods); err != nil {
		return nil, err
	}
	rep := e.build(start)
	rep.Notes = set.Notes
	rep.WalkSeconds = walked.Seconds()
	if e.opts.OutputDir != "" {
		if err := e.writeOutput(ctx, rep); err != nil {
			return rep, err
		}
	}
	return rep, e.finish(rep, start)
}

// cpuTokens is the size of the CPU pool.
func (e *engine) cpuTokens() int {
	if e.opts.ExtractJobs > 0 {
		return e.opts.ExtractJobs
	}
	// Unpacking is mostly file creation, and a create blocks in the
	// kernel, so more tokens than CPUs keep the CPUs busy; many more only
	// make the unpackers fight over the file system (gin and prometheus
	// at 100 ms on 2 cores: 1 token was slowest, 3-4 best).
	return 2 * runtime.GOMAXPROCS(0)
}

// infoJobs is how many .info requests run beside the zip downloads: they
// are small, and a few streams of their own keep them from waiting behind
// long zip transfers.
func infoJobs(jobs int) int { return max(4, jobs/4) }

// settle waits for every zip job.
func (e *engine) settle() {
	e.jobs.Wait()
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, j := range e.zipJobs {
		j.cancel(nil)
	}
}

// selectZips applies Options.Only.
func (e *engine) selectZips(all []module.Version) []module.Version {
	if e.opts.Only == nil {
		return all
	}
	want := map[module.Version]bool{}
	for _, m := range e.opts.Only {
		want[m] = true
	}
	var out []module.Version
	for _, m := range all {
		if want[m] {
			out = append(out, m)
		}
	}
	return out
}

// selectMods returns the go.mod files to make sure of: the whole graph,
// or with Only just those of the selected zips.
func (e *engine) selectMods(all, zips []module.Version) []module.Version {
	if e.opts.Only == nil {
		return all
	}
	return zips
}

// download settles the zips (the speculative downloads already under
// way, and the rest), publishes held go.mod files and fetches the missing
// ones, with zips extracted as they land when asked to.
func (e *engine) download(ctx context.Context, zips, mods []module.Version) error {
	e.decide(ctx, zips, e.sums)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Jobs)
	for _, m := range mods {
		if e.cache.HasMod(m) || e.isPrivate(m) {
			continue
		}
		g.Go(func() error { e.ensureMod(gctx, m); return nil })
	}
	err := g.Wait()
	e.settle()
	if err == nil {
		err = ctx.Err()
	}
	return err
}
