package modproxy

import (
	"context"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// Defaults of the read-ahead's bounds (Handler.ReadAheadJobs and
// Handler.ReadAheadMemory).
const (
	DefaultReadAheadJobs   = 16
	DefaultReadAheadMemory = 64 << 20
)

// readAhead holds the go.mod files fetched before go asks for them.
//
// go loads the module graph breadth first, one go.mod per request and
// GOMAXPROCS requests at a time, each waiting a round trip. When go is
// served a module's go.mod, the proxy starts fetching the go.mod files of
// that module's requirements (checked against go.sum, or against the
// checksum database once go asks: see fetchChecked), so that when go asks
// for them they are already in memory, for go.mod files whose module go
// does not prune (before go 1.17: go walks their requirements
// transitively). By default it reads one level ahead of go: a go.mod read
// ahead is parsed for its own requirements only when go asks for it, since
// reading further would fetch go.mod files that a pruned module graph (go
// 1.17 and later) never reads. With ReadAheadGraph (commands that load the
// whole graph: get, mod tidy) it reads the whole walk below an unpruned
// go.mod at once, as deep as it goes (graphAheadFrom), since go's graph
// loader reads all of it.
type readAhead struct {
	once   sync.Once
	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	// fetches runs the .mod, .info and tile fetches, ReadAheadJobs at a
	// time; walks runs the tile walks of lookup answers, which wait for
	// their tiles' fetches.
	fetches, walks *pool

	mu      sync.Mutex
	changed *sync.Cond // broadcast on every change of running or byRel
	closed  bool
	running int                    // fetches and walks queued or running
	byRel   map[string]*aheadEntry // fetched or being fetched, not yet served
	seen    map[string]bool        // every .mod started or served once
	held    int64                  // bytes of the entries in byRel
	used    int64                  // bytes read ahead that go asked for
	dropped int64                  // bytes read ahead and not kept (over the bound, or Close)
	waits   int                    // requests that found their file in flight (tests)
}

type aheadEntry struct {
	done    chan struct{} // closed once data is set
	claim   chan struct{} // closed when go asks before the fetch started
	data    []byte        // nil when the fetch failed or was dropped
	started bool          // the fetch holds a token (under readAhead.mu)
	claimed bool          // claim is closed (under readAhead.mu)
}

func (a *readAhead) init() {
	a.once.Do(func() {
		a.ctx, a.cancel = context.WithCancel(context.Background())
		a.changed = sync.NewCond(&a.mu)
		a.byRel = map[string]*aheadEntry{}
		a.seen = map[string]bool{}
	})
}

// ReadAhead returns the bytes of .mod and .info files read ahead that go
// then asked for (used), and those it has not asked for (unused: over-fetch,
// which includes what was fetched but dropped over ReadAheadMemory). Once
// the Handler is closed, unused is final.
func (h *Handler) ReadAhead() (used, unused int64) {
	a := &h.ahead
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.used, a.held + a.dropped
}

// Close stops the read-ahead: its requests in flight are cancelled, Close
// returns once their goroutines have, and the go.mod files held are
// released. Call it when the go command the Handler serves has exited
// (Loopback.Close does). The Handler still answers requests afterwards,
// without reading ahead.
func (h *Handler) Close() error {
	a := &h.ahead
	a.init()
	a.mu.Lock()
	a.closed = true
	a.mu.Unlock()
	a.cancel()
	h.closeZips()
	a.mu.Lock()
	for a.running > 0 {
		a.changed.Wait()
	}
	for rel, e := range a.byRel {
		delete(a.byRel, rel)
		a.held -= int64(len(e.data))
		a.dropped += int64(len(e.data))
	}
	a.mu.Unlock()
	return nil
}

// await blocks until cond, called with the lock held, is true. For tests.
func (a *readAhead) await(cond func(a *readAhead) bool) {
	a.init()
	a.mu.Lock()
	defer a.mu.Unlock()
	for !cond(a) {
		a.changed.Wait()
	}
}

// modRel is the request path of m's go.mod.
func modRel(m module.Version) (string, error) {
	p, v, err := escaped(m)
	if err != nil {
		return "", err
	}
	return p + "/@v/" + v + ".mod", nil
}

// escaped returns m's path and version escaped as in proxy and
// checksum-database URLs.
func escaped(m module.Version) (path, version string, err error) {
	if path, err = module.EscapePath(m.Path); err != nil {
		return "", "", err
	}
	version, err = module.EscapeVersion(m.Version)
	return path, version, err
}

// takeReadAhead returns the go.mod go asks for at rel if it was read
// ahead, waiting for a fetch still in flight, and removes it from memory.
// It returns nil when rel was not read ahead (or its fetch failed): the
// caller fetches it as usual, and rel is then never read ahead.
func (h *Handler) takeReadAhead(ctx context.Context, rel string) []byte {
	a := &h.ahead
	a.init()
	a.mu.Lock()
	a.seen[rel] = true
	e := a.byRel[rel]
	if e != nil && !e.started {
		// Still waiting for a token behind other read-ahead: go's own
		// request goes first, on its own stream.
		delete(a.byRel, rel)
		e.claimed = true
		close(e.claim)
		a.changed.Broadcast()
		a.mu.Unlock()
		return nil
	}
	if e != nil {
		select {
		case <-e.done:
		default:
			a.waits++
			a.changed.Broadcast()
		}
	}
	a.mu.Unlock()
	if e == nil || !arrived(ctx, e.done) {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.byRel[rel] != e || e.data == nil {
		return nil // dropped by Close, or failed
	}
	delete(a.byRel, rel)
	a.held -= int64(len(e.data))
	a.used += int64(len(e.data))
	a.changed.Broadcast()
	return e.data
}

// arrived waits for done to be closed, and reports whether it was before
// ctx ended (the request that waits went away).
func arrived(ctx context.Context, done <-chan struct{}) bool {
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// readAheadFrom starts fetching the go.mod of each requirement of the
// go.mod data that go has just been served (of module m), unless it is
// private (GONOPROXY), already in the module cache (go reads it there and
// never asks), or already read ahead or asked for. The fetches are started
// before go's answer is written, so that they are in flight (and counted)
// by the time go has it.
func (h *Handler) readAheadFrom(m module.Version, data []byte) {
	if h.ReadAheadJobs < 0 {
		return
	}
	f, err := modfile.ParseLax(m.Path+"@"+m.Version+"/go.mod", data, nil)
	if err != nil || pruned(f) {
		return
	}
	for _, r := range f.Require {
		h.smallAhead(r.Mod, "mod", h.ReadAheadGraph)
	}
}

// graphAheadFrom starts, for ReadAheadGraph, the go.mod files required by
// data, the go.mod of m read ahead below an unpruned module: go's graph
// loader walks everything below an unpruned module, whatever each
// descendant's own go version, so the walk is read ahead as deep as it
// goes (each file once: seen).
func (h *Handler) graphAheadFrom(m module.Version, data []byte) {
	f, err := modfile.ParseLax(m.Path+"@"+m.Version+"/go.mod", data, nil)
	if err != nil {
		return
	}
	for _, r := range f.Require {
		h.smallAhead(r.Mod, "mod", true)
	}
}

// modAhead starts reading dep's go.mod ahead, unless it is private
// (GONOPROXY), already in the module cache (go reads it there and never
// asks), or already read ahead or asked for.
func (h *Handler) modAhead(dep module.Version) { h.smallAhead(dep, "mod", false) }

// infoAhead starts reading dep's .info ahead, as modAhead its go.mod: go
// asks for the .info of every module of a build it stamps (for the
// version's time), after the zip.
func (h *Handler) infoAhead(dep module.Version) { h.smallAhead(dep, "info", false) }

// smallAhead starts reading dep's .mod or .info (kind) ahead into memory;
// graph says the go.mod's own requirements are read ahead as soon as it
// arrives (graphAheadFrom).
func (h *Handler) smallAhead(dep module.Version, kind string, graph bool) {
	if h.ReadAheadJobs < 0 || module.Check(dep.Path, dep.Version) != nil || h.Settings.NoProxy(dep.Path) {
		return
	}
	rel, err := modRel(dep)
	if err != nil {
		return
	}
	rel = strings.TrimSuffix(rel, ".mod") + "." + kind
	c := &modcache.Cache{Root: h.Settings.GOMODCACHE}
	if kind == "mod" && c.HasMod(dep) || kind == "info" && c.HasInfo(dep) {
		return
	}
	a := &h.ahead
	a.init()
	a.mu.Lock()
	if a.closed || a.seen[rel] {
		a.mu.Unlock()
		return
	}
	h.initPools()
	a.seen[rel] = true
	e := &aheadEntry{done: make(chan struct{}), claim: make(chan struct{})}
	a.byRel[rel] = e
	a.running++
	a.changed.Broadcast()
	a.mu.Unlock()
	req := prefetch.Request{Module: dep, Kind: prefetch.Kind(kind), Rel: rel}
	a.fetches.Go(func() { h.fetchAhead(req, e, graph) })
}

// pruned reports whether go prunes the module graph below the module of
// f (go 1.17 and later, gover.ModFile's rule): go then does not read the
// go.mod files of that module's requirements while it loads the graph, so
// reading them ahead would only be over-fetch. A go.mod without a go line
// counts as go 1.16, which is not pruned.
func pruned(f *modfile.File) bool {
	return f.Go != nil && toolchain.Compare(f.Go.Version, "1.17") >= 0
}

// fetchAhead fetches one .mod or .info for the read-ahead, with the checks
// go's own request would have (fetchChecked), and keeps it within
// ReadAheadMemory. It runs on the fetches pool, whose size bounds the
// requests in flight; an entry go claimed while it was queued is skipped.
func (h *Handler) fetchAhead(req prefetch.Request, e *aheadEntry, graph bool) {
	a := &h.ahead
	rel := req.Rel
	var data []byte
	defer func() {
		a.mu.Lock()
		switch {
		case e.claimed:
			// go asked first and fetched it itself; byRel no longer
			// holds e.
		case data == nil || a.closed:
			if data != nil {
				a.dropped += int64(len(data))
			}
			data = nil
			delete(a.byRel, rel)
		case a.held+int64(len(data)) > h.readAheadMemory():
			a.dropped += int64(len(data))
			data = nil
			delete(a.byRel, rel)
		default:
			a.held += int64(len(data))
		}
		e.data = data
		close(e.done)
		a.running--
		a.changed.Broadcast()
		a.mu.Unlock()
	}()
	if a.ctx.Err() != nil {
		return
	}
	a.mu.Lock()
	e.started = !e.claimed
	a.mu.Unlock()
	if !e.started {
		return
	}
	f, err := h.fetchChecked(a.ctx, req)
	if err != nil {
		return
	}
	data = f.Bytes()
	f.Close()
	if graph {
		h.graphAheadFrom(req.Module, data)
	}
}

// initPools makes the read-ahead's pools: ReadAheadJobs workers for the
// go.mod files, .info files and tiles read ahead, as many for the tile
// walks. Call it with the lock held.
func (h *Handler) initPools() {
	a := &h.ahead
	if a.fetches == nil {
		n := h.readAheadJobs()
		a.fetches = &pool{n: n}
		a.walks = &pool{n: n}
	}
}

func (h *Handler) readAheadJobs() int {
	if h.ReadAheadJobs > 0 {
		return h.ReadAheadJobs
	}
	return DefaultReadAheadJobs
}

func (h *Handler) readAheadMemory() int64 {
	if h.ReadAheadMemory > 0 {
		return h.ReadAheadMemory
	}
	return DefaultReadAheadMemory
}
