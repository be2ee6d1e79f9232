package modproxy

import (
	"context"
	"io"
	"sync"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
)

// zipAhead holds module zips fetched before go asks for them.
//
// go downloads the zips it needs GOMAXPROCS at a time, each after its
// .info and .mod. When Handler.ReadAheadZips is set (for go get, go install
// pkg@version, go run pkg@version, go mod tidy: commands that download
// the zip of every module version they resolve), a successful .info answer
// for a version starts that version's go.mod (as a go.mod read ahead) and
// zip at once, the zip spooled to SpoolDir,
// bounded by ReadAheadJobs; go's request for the zip then takes the spooled
// file, or waits for the fetch under way. Modules whose .info go asks for
// without needing the zip (go list -m) would be over-fetch, which is why
// the caller enables this per command.
type zipAhead struct {
	mu      sync.Mutex
	byRel   map[string]*zipEntry
	seen    map[string]bool // every zip read ahead once
	running sync.WaitGroup
	sem     chan struct{}
	closed  bool
	used    int64 // bytes of zips go then asked for
	unused  int64 // bytes of zips go never asked for (counted at Close)
}

type zipEntry struct {
	done    chan struct{}
	claim   chan struct{}  // closed when go asks before the fetch started
	file    *prefetch.File // nil when the fetch failed
	started bool           // the fetch holds a token (under zipAhead.mu)
	claimed bool           // claim is closed (under zipAhead.mu)
}

// zipAheadFrom starts m's go.mod and zip after go was served m's .info:
// go asks for both next.
func (h *Handler) zipAheadFrom(m module.Version) {
	if !h.ReadAheadZips || module.CanonicalVersion(m.Version) != m.Version {
		return
	}
	h.modAhead(m)
	h.zipAhead(m)
}

// zipAhead starts reading m's zip ahead, unless it is private, already in
// the module cache (go finds it there and never asks) or already read
// ahead. A zip of a module providing one of Handler.Tools then starts what
// its go.mod and go.sum say the build needs (mainZipAhead).
func (h *Handler) zipAhead(m module.Version) {
	if h.ReadAheadJobs < 0 || module.Check(m.Path, m.Version) != nil || h.Settings.NoProxy(m.Path) {
		return
	}
	if (&modcache.Cache{Root: h.Settings.GOMODCACHE}).HasZip(m) {
		return // go finds it in its cache and never asks
	}
	rel, err := modRel(m)
	if err != nil {
		return
	}
	rel = rel[:len(rel)-len(".mod")] + ".zip"
	z := &h.zips
	a := &h.ahead
	a.init()
	z.mu.Lock()
	if z.closed || z.byRel[rel] != nil || z.seen[rel] {
		z.mu.Unlock()
		return
	}
	if z.byRel == nil {
		z.byRel = map[string]*zipEntry{}
		z.seen = map[string]bool{}
		n := h.ReadAheadJobs
		if n == 0 {
			n = DefaultReadAheadJobs
		}
		z.sem = make(chan struct{}, n)
	}
	e := &zipEntry{done: make(chan struct{}), claim: make(chan struct{})}
	z.byRel[rel] = e
	z.seen[rel] = true
	z.running.Add(1)
	z.mu.Unlock()
	go func() {
		defer z.running.Done()
		defer close(e.done)
		select {
		case z.sem <- struct{}{}:
		case <-e.claim:
			return // go asked first, and fetches it itself
		case <-a.ctx.Done():
			return
		}
		defer func() { <-z.sem }()
		z.mu.Lock()
		claimed := e.claimed
		e.started = !claimed
		z.mu.Unlock()
		if claimed {
			return
		}
		f, err := h.fetchChecked(a.ctx, prefetch.Request{Module: m, Kind: "zip", Rel: rel})
		if err != nil {
			return
		}
		e.file = f
		if ra, ok := f.Reader().(io.ReaderAt); ok {
			h.mainZipAhead(m, ra, f.Size)
		}
	}()
}

// takeZip returns the zip go asks for at rel if it was read ahead,
// waiting for a fetch under way; nil means fetch it as usual. The caller
// closes the file.
func (h *Handler) takeZip(ctx context.Context, rel string) *prefetch.File {
	z := &h.zips
	z.mu.Lock()
	e := z.byRel[rel]
	if e != nil {
		delete(z.byRel, rel)
		if !e.started {
			// Still waiting for a token behind other read-ahead: go's
			// own request goes first, on its own stream.
			e.claimed = true
			close(e.claim)
			z.mu.Unlock()
			return nil
		}
	}
	z.mu.Unlock()
	if e == nil {
		return nil
	}
	if !arrived(ctx, e.done) {
		// The fetch goes on; Close releases its file.
		z.mu.Lock()
		z.byRel[rel] = e
		z.mu.Unlock()
		return nil
	}
	if e.file == nil {
		return nil
	}
	z.mu.Lock()
	z.used += e.file.Size
	z.mu.Unlock()
	return e.file
}

// closeZips waits for the zip fetches (already cancelled with the
// read-ahead's context) and removes the spooled files go never took.
func (h *Handler) closeZips() {
	z := &h.zips
	z.mu.Lock()
	z.closed = true
	z.mu.Unlock()
	z.running.Wait()
	z.mu.Lock()
	defer z.mu.Unlock()
	for rel, e := range z.byRel {
		if e.file != nil {
			z.unused += e.file.Size
			e.file.Close()
		}
		delete(z.byRel, rel)
	}
}

// ZipsReadAhead returns the bytes of zips read ahead that go asked for,
// and of those it never asked for (final once the Handler is closed).
func (h *Handler) ZipsReadAhead() (used, unused int64) {
	z := &h.zips
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.used, z.unused
}
