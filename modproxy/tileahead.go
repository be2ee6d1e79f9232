package modproxy

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"

	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/sumdb/tlog"
)

// tileHeight is the height of the tiles go's checksum-database client
// reads (golang.org/x/mod/sumdb's default, which cmd/go keeps).
const tileHeight = 8

// tileAhead holds the checksum database's tiles fetched before go asks for
// them.
//
// go authenticates every lookup answer against the tree it has seen:
// it reads the tiles holding the hashes from the record up to the tree's
// root (tlog.TileHashReader, the record's own tiles distinct for almost
// every lookup in a large database), one round trip after the lookup
// itself. When the proxy has a lookup answer (for its own check of a file,
// or go's), it runs the same computation over the answer's tree and
// fetches those tiles at once, so go's requests for them are answered
// from memory, within ReadAheadMemory. Nothing is trusted: go verifies
// every tile it is served.
type tileAhead struct {
	mu     sync.Mutex
	byPath map[string]*tileEntry // tile path below /sumdb/<name>/, until go takes it
	served map[string]bool       // tiles go has taken: it keeps them in its cache
	used   int64                 // bytes go then asked for
	total  int64                 // bytes fetched
}

type tileEntry struct {
	done chan struct{} // closed once data is set
	data []byte        // nil when the fetch failed
	used bool
}

// tilesAheadFor starts fetching the tiles go will read to authenticate the
// lookup answer body from the database name, unless they are in the module
// cache (go reads them there) or already fetched. It returns at once.
func (h *Handler) tilesAheadFor(name string, body []byte) {
	if h.ReadAheadJobs < 0 {
		return
	}
	id, _, treeMsg, err := tlog.ParseRecord(body)
	if err != nil {
		return
	}
	// The signed tree head is a note: its text, a blank line, the
	// signatures. go checks the signatures; the tiles only need the tree.
	i := bytes.Index(treeMsg, []byte("\n\n"))
	if i < 0 {
		return
	}
	tree, err := tlog.ParseTree(treeMsg[:i+1])
	if err != nil || id >= tree.N {
		return
	}
	a := &h.ahead
	a.init()
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return
	}
	h.initPools()
	a.running++
	a.mu.Unlock()
	a.walks.Go(func() {
		defer func() {
			a.mu.Lock()
			a.running--
			a.changed.Broadcast()
			a.mu.Unlock()
		}()
		r := &tileFetcher{h: h, ctx: a.ctx, name: name}
		// The hashes go's checkRecord reads; the tiles come with them.
		tlog.TileHashReader(tree, r).ReadHashes([]int64{tlog.StoredHashIndex(0, id)})
	})
}

// tileFetcher is a tlog.TileReader that fetches tiles through the chain
// into the Handler's tileAhead.
type tileFetcher struct {
	h    *Handler
	ctx  context.Context
	name string
}

func (r *tileFetcher) Height() int { return tileHeight }

func (r *tileFetcher) SaveTiles([]tlog.Tile, [][]byte) {}

// ReadTiles fetches the tiles not yet fetched, all at once, and returns
// each one's data; a tile that could not be fetched fails the read (go
// then fetches it itself).
func (r *tileFetcher) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	t := &r.h.tiles
	entries := make([]*tileEntry, len(tiles))
	for i, tile := range tiles {
		p := tile.Path()
		t.mu.Lock()
		if t.byPath == nil {
			t.byPath = map[string]*tileEntry{}
		}
		e := t.byPath[p]
		if e == nil {
			e = &tileEntry{done: make(chan struct{})}
			a := &r.h.ahead
			// go reads a cached tile there, and caches one it was served.
			start := !t.served[p] && !r.h.tileCached(r.name, tile)
			a.mu.Lock()
			start = start && !a.closed
			if start {
				a.running++
			}
			a.mu.Unlock()
			if start {
				t.byPath[p] = e
				a.fetches.Go(func() { r.fetch(p, e) })
			} else {
				close(e.done) // nothing fetched, nothing kept
			}
		}
		t.mu.Unlock()
		entries[i] = e
	}
	data := make([][]byte, len(tiles))
	for i, e := range entries {
		if !arrived(r.ctx, e.done) {
			return nil, r.ctx.Err()
		}
		if e.data == nil {
			return nil, os.ErrNotExist
		}
		data[i] = e.data
	}
	return data, nil
}

// fetch gets one tile, on the read-ahead's fetches pool.
func (r *tileFetcher) fetch(p string, e *tileEntry) {
	a := &r.h.ahead
	var data []byte
	defer func() {
		t := &r.h.tiles
		t.mu.Lock()
		if t.total-t.used+int64(len(data)) > r.h.readAheadMemory() {
			data = nil // over the bound: go fetches it when it asks
		}
		e.data = data
		t.total += int64(len(data))
		if data == nil {
			delete(t.byPath, p) // go's own request fetches it
		}
		t.mu.Unlock()
		close(e.done)
		a.mu.Lock()
		a.running--
		a.changed.Broadcast()
		a.mu.Unlock()
	}()
	if r.ctx.Err() != nil {
		return
	}
	db, err := r.h.Settings.SumDB()
	if err != nil || db == nil {
		return
	}
	base, err := r.h.sumdbList(r.ctx, db.Name, db.URL)
	if err != nil {
		return
	}
	f, err := r.h.Fetcher.Get(r.ctx, base, prefetch.Request{Label: "checksum database " + r.name + " " + p, Kind: "sumdb", Rel: p})
	if err != nil {
		return
	}
	defer f.Close()
	data = f.Bytes()
}

// tileCached reports whether go's checksum-database client finds tile (or
// the full tile it is part of) in the module cache, where it looks before
// it asks the proxy.
func (h *Handler) tileCached(name string, tile tlog.Tile) bool {
	dir := filepath.Join(h.Settings.GOMODCACHE, "cache", "download", "sumdb", name)
	full := tile
	full.W = 1 << tile.H
	for _, t := range []tlog.Tile{tile, full} {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(t.Path()))); err == nil {
			return true
		}
	}
	return false
}

// takeTile returns the tile at rel (below /sumdb/<name>/) if it was read
// ahead, waiting for a fetch under way; nil means fetch it as usual. A
// tile go takes is released: go keeps it in its own cache and never asks
// again, and a later tile walk skips it (served).
func (h *Handler) takeTile(ctx context.Context, rel string) []byte {
	t := &h.tiles
	t.mu.Lock()
	e := t.byPath[rel]
	t.mu.Unlock()
	if e == nil || !arrived(ctx, e.done) {
		return nil
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if e.data != nil && !e.used {
		e.used = true
		t.used += int64(len(e.data))
	}
	if e.data != nil && t.byPath[rel] == e {
		delete(t.byPath, rel)
		if t.served == nil {
			t.served = map[string]bool{}
		}
		t.served[rel] = true
	}
	return e.data
}

// TilesReadAhead returns the bytes of checksum-database tiles read ahead
// that go asked for, and of those it has not (yet) asked for.
func (h *Handler) TilesReadAhead() (used, unused int64) {
	t := &h.tiles
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.used, t.total - t.used
}
