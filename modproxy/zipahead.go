package modproxy

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
)

// zipAhead holds module zips fetched before go asks for them.
//
// go downloads the zips it needs GOMAXPROCS at a time, each after its .info
// and .mod. When Handler.ReadAheadZips is set (for go get, go install
// pkg@version, go run pkg@version, go mod tidy: commands that download the
// zip of every module version they resolve), a successful .info answer for
// a version starts that version's go.mod (as a go.mod read ahead) and zip
// at once, the zip spooled to SpoolDir, ReadAheadJobs at a time (a pool: a
// zip waiting its turn is a queued record, not a goroutine); go's request
// for the zip then takes the spooled file, or waits for the fetch under
// way. The zips spooled and not yet taken are bounded on disk
// (Handler.SpoolMax): over the bound no further zip is read ahead, and go's
// own requests are served as always. Modules whose .info go asks for
// without needing the zip (go list -m) would be over-fetch, which is why
// the caller enables this per command.
type zipAhead struct {
	mu      sync.Mutex
	byRel   map[string]*zipEntry
	seen    map[string]bool // every zip read ahead once
	running sync.WaitGroup
	fetches *pool
	closed  bool
	held    int64 // bytes of spooled zips in byRel, not yet taken by go
	used    int64 // bytes of zips go then asked for
	unused  int64 // bytes of zips go never asked for (counted at Close, or dropped over SpoolMax)
	skipped int   // zips not read ahead because the spool was full
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
// its go.mod and go.sum say the build needs (toolZipAhead).
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
		z.fetches = &pool{n: h.readAheadJobs()}
	}
	e := &zipEntry{done: make(chan struct{}), claim: make(chan struct{})}
	z.byRel[rel] = e
	z.seen[rel] = true
	z.running.Add(1)
	z.mu.Unlock()
	z.fetches.Go(func() {
		defer z.running.Done()
		defer close(e.done)
		if a.ctx.Err() != nil {
			return
		}
		z.mu.Lock()
		claimed := e.claimed
		e.started = !claimed
		full := !claimed && z.held >= h.spoolMax()
		if full {
			// Over the bound: go fetches this one itself when it asks.
			e.started = false
			delete(z.byRel, rel)
			z.skipped++
		}
		z.mu.Unlock()
		if claimed || full {
			return
		}
		f, err := h.fetchChecked(a.ctx, prefetch.Request{Module: m, Kind: "zip", Rel: rel})
		if err != nil {
			return
		}
		z.mu.Lock()
		if z.held+f.Size > h.spoolMax() {
			// It arrived over the bound (other zips finished first):
			// dropped rather than kept, so what sits on disk stays
			// within SpoolMax.
			z.unused += f.Size
			z.mu.Unlock()
			f.Close()
			return
		}
		z.held += f.Size
		e.file = f
		z.mu.Unlock()
		if ra, ok := f.Reader().(io.ReaderAt); ok {
			h.toolZipAhead(m, ra, f.Size)
		}
	})
}

// Bounds of the zips read ahead and spooled on disk (Handler.SpoolMax).
const (
	DefaultSpoolMax = 2 << 30
	spoolFloor      = 256 << 20
)

// spoolMax is the bound on the bytes of zips read ahead and not yet taken
// by go: SpoolMax when set, else the smaller of DefaultSpoolMax and twice
// what go has been served so far, but at least spoolFloor, so that the
// first zips of a command are read ahead before go has asked for much.
func (h *Handler) spoolMax() int64 {
	if h.SpoolMax > 0 {
		return h.SpoolMax
	}
	if h.SpoolMax < 0 {
		return 0
	}
	return min(DefaultSpoolMax, max(spoolFloor, 2*h.served.Load()))
}

// countServed counts the bytes written to go in h.served (spoolMax).
func (h *Handler) countServed(w http.ResponseWriter) http.ResponseWriter {
	return &servedWriter{ResponseWriter: w, n: &h.served}
}

type servedWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *servedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *servedWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n.Add(int64(n))
	return n, err
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
	z.held -= e.file.Size
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
			z.held -= e.file.Size
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
