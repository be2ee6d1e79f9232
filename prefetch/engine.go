package prefetch

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"
)

// engine is one Run.
type engine struct {
	opts    Options
	cache   *modcache.Cache
	src     *source
	private string
	prog    *progress

	mu      sync.Mutex
	reports map[module.Version]*ModuleReport
	held    map[module.Version]heldMod
	sums    *modset.Sums
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
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 30 * time.Second
	}
	if opts.RequestTimeout <= 0 {
		opts.RequestTimeout = 10 * time.Minute
	}
	if opts.Compute == nil {
		opts.Compute = modset.Compute
	}
	chain := opts.Chain
	if chain == nil {
		chain = func(context.Context) (mirrors.List, error) { return mirrors.ParseList(st.GOPROXY) }
	}
	hc := opts.Client
	if hc == nil {
		hc = newHTTPClient(opts.Env, opts.Jobs)
	}
	private := st.GONOPROXY
	if private == "" {
		private = st.GOPRIVATE
	}
	e := &engine{
		opts:    opts,
		cache:   &modcache.Cache{Root: st.GOMODCACHE, ReadWrite: modCacheRW(st.GOFLAGS)},
		private: private,
		reports: map[module.Version]*ModuleReport{},
		held:    map[module.Version]heldMod{},
		src: &source{
			chainFn:   chain,
			http:      newRetryClient(hc, &attemptHooks{}),
			idle:      opts.IdleTimeout,
			deadline:  opts.RequestTimeout,
			onFailure: opts.OnMirrorFailure,
			failures:  map[string]int{},
			used:      map[string]int{},
		},
	}
	return e, nil
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

// isPrivate reports whether m must never be sent to a mirror.
func (e *engine) isPrivate(m module.Version) bool {
	return e.private != "" && module.MatchPrefixPatterns(e.private, m.Path)
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
	res, err := e.src.fetch(ctx, m, "mod", "", modConsumer(m, nil, &data))
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
	set, err := e.opts.Compute(ctx, modset.Options{
		Dir: e.opts.Dir, GOMOD: st.GOMOD, GOWORK: st.GOWORK, GOFLAGS: st.GOFLAGS,
		GOPRIVATE: st.GOPRIVATE, GONOPROXY: st.GONOPROXY, GOVERSION: st.GOVERSION,
		GOMODCACHE: st.GOMODCACHE, IgnoreVendor: e.opts.IgnoreVendor,
		Fetch: e, Jobs: e.opts.Jobs,
	})
	if err != nil {
		return nil, err
	}
	walked := time.Since(start)
	if set.Vendor {
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
	e.prog = newProgress(e.opts.Progress, e.opts.Terminal)
	if err := e.download(ctx, zips, mods); err != nil {
		e.prog.stop()
		return nil, err
	}
	e.prog.stop()
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

// download publishes held go.mod files and fetches every missing file,
// Jobs at a time, extracting zips as they land when asked to.
func (e *engine) download(ctx context.Context, zips, mods []module.Version) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(e.opts.Jobs)

	var extractCh chan module.Version
	var extractors sync.WaitGroup
	if e.opts.Extract {
		extractCh = make(chan module.Version, len(zips))
		workers := e.opts.ExtractJobs
		if workers <= 0 {
			// Extraction is mostly file creation, and a create blocks in
			// the kernel: twice GOMAXPROCS kept the CPUs busier (prometheus,
			// 2 cores: 28-32s against 35-38s with GOMAXPROCS workers).
			workers = 2 * runtime.GOMAXPROCS(0)
		}
		for range workers {
			extractors.Add(1)
			go func() {
				defer extractors.Done()
				// Not gctx: errgroup cancels it as soon as the downloads
				// are done, while extraction goes on.
				for m := range extractCh {
					e.extract(ctx, m)
				}
			}()
		}
	}

	// Zips first: they are the long transfers, so they should start early.
	for _, m := range zips {
		if e.isPrivate(m) {
			e.leave(m, "private module (GOPRIVATE/GONOPROXY)")
			continue
		}
		if len(e.sums.Zip(m)) == 0 {
			e.leave(m, "no go.sum line for its zip")
			continue
		}
		needZip, needInfo := !e.cache.HasZip(m), !e.cache.HasInfo(m)
		if !needZip && !needInfo {
			if extractCh != nil && !e.cache.Extracted(m) {
				extractCh <- m
			}
			continue
		}
		e.prog.add(1)
		tracker := &moduleDone{n: 1, done: func() { e.prog.done() }}
		if needInfo {
			tracker.n++
			g.Go(func() error { e.fetchInfo(gctx, m); tracker.finish(); return nil })
		}
		g.Go(func() error {
			defer tracker.finish()
			if needZip && !e.fetchZip(gctx, m) {
				return nil
			}
			if extractCh != nil {
				extractCh <- m
			}
			return nil
		})
	}
	for _, m := range mods {
		if e.cache.HasMod(m) || e.isPrivate(m) {
			continue
		}
		g.Go(func() error { e.ensureMod(gctx, m); return nil })
	}
	err := g.Wait()
	if extractCh != nil {
		close(extractCh)
		extractors.Wait()
	}
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// moduleDone counts a module's outstanding files for the progress bar.
type moduleDone struct {
	mu   sync.Mutex
	n    int
	done func()
}

func (d *moduleDone) finish() {
	d.mu.Lock()
	d.n--
	last := d.n == 0
	d.mu.Unlock()
	if last {
		d.done()
	}
}
