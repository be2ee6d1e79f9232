package modproxy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
)

// The proxy verifies what it serves as go verifies what it is served
// (modfetch's checkModSum): a .mod or .zip whose hash the main module's
// go.sum (go.work.sum and the workspace modules' go.sum files) records is
// checked against that line, and the checksum database is not asked; one
// go.sum does not record is checked against the database's signed answer,
// only where go itself would ask the database (useSumDB); anything else go
// takes as served, so the proxy takes it only from mirrors the user named.
// Wrong bytes from one mirror then cost go nothing when another has the
// right ones.

// trust is how go verifies one file.
type trust int

const (
	// trustGoSum: go.sum records the file's hash; go checks it and asks
	// no database.
	trustGoSum trust = iota
	// trustSumDB: go looks the module version up in the checksum
	// database. For a .info, @v/list or @latest: the module is one go
	// verifies that way.
	trustSumDB
	// trustNone: nothing verifies the file (GOSUMDB=off, a GONOSUMDB or
	// GOPRIVATE path, with no go.sum line).
	trustNone
)

// trustOf returns how go verifies the file kind of m, and for trustGoSum
// the hashes go.sum records.
func (h *Handler) trustOf(kind prefetch.Kind, m module.Version) (trust, []string) {
	if (kind == "mod" || kind == "zip") && h.Sums != nil {
		hashes := h.Sums.Zip(m)
		if kind == "mod" {
			hashes = h.Sums.Mod(m)
		}
		if len(hashes) > 0 {
			return trustGoSum, hashes
		}
	}
	if h.useSumDB(m) {
		return trustSumDB, nil
	}
	return trustNone, nil
}

// useSumDB reports whether go looks m up in the checksum database when
// go.sum lacks it, as modfetch.useSumDB: unless GOSUMDB is off or m's path
// matches GONOSUMDB (GOPRIVATE by default), and always for a toolchain,
// which go.sum can never list.
func (h *Handler) useSumDB(m module.Version) bool {
	if m.Path == toolchain.Module {
		return true
	}
	db, err := h.Settings.SumDB()
	return err == nil && db != nil && !h.Settings.NoSumDB(m.Path)
}

// errNotAhead refuses a read-ahead the proxy must not make.
var errNotAhead = errors.New("not read ahead")

// fetchChecked gets req's file for the read-ahead, which fetches only what
// can be verified without a request go would not make: never a path under
// GONOPROXY, GONOSUMDB or GOPRIVATE; a .mod or .zip go.sum records,
// checked against it; one go will look up in the checksum database,
// unchecked until go asks for it (verifyTaken), so that no lookup is made
// for a file go never asks for; nothing that nothing verifies.
func (h *Handler) fetchChecked(ctx context.Context, req prefetch.Request) (*prefetch.File, error) {
	return h.fetchVerified(ctx, req, true)
}

// fetchVerified gets req's file through the chain, refusing wrong bytes:
// answers CheckAnswer rejects and, for a .mod or .zip, answers whose hash
// is not the one go.sum records or, where go would look it up, the one the
// checksum database signed. ahead marks a read-ahead (see fetchChecked);
// otherwise go has asked for the file.
func (h *Handler) fetchVerified(ctx context.Context, req prefetch.Request, ahead bool) (*prefetch.File, error) {
	kind, m := req.Kind, req.Module
	if ahead && (h.Settings.NoProxy(m.Path) || h.Settings.NoSumDB(m.Path)) {
		return nil, fmt.Errorf("%s: %w: a private path", m.Path, errNotAhead)
	}
	t, hashes := h.trustOf(kind, m)
	if ahead && t == trustNone {
		return nil, fmt.Errorf("%s: %w: nothing would verify it", m, errNotAhead)
	}
	list, err := h.Fetcher.Chain(ctx)
	if err != nil {
		return nil, fmt.Errorf("GOPROXY chain: %w", err)
	}
	// Each kind is held to its own size limit (Request.Limit's default).
	req.Limit = 0
	if kind == "zip" {
		req.SpoolDir = h.SpoolDir
		if req.SpoolDir == "" {
			req.SpoolDir = os.TempDir()
		}
	}
	// Bytes nothing checks, and a module's versions when its bytes are
	// such, come only from the mirrors the user named, as without gofast.
	req.NamedOnly = t == trustNone
	// The lookup runs beside the download, and go's own lookup for the
	// same module is then answered from memory.
	want := map[prefetch.Kind][]string{kind: hashes}
	looked := make(chan struct{})
	if !ahead && t == trustSumDB && (kind == "mod" || kind == "zip") {
		go func() {
			defer close(looked)
			want = h.expectedHashes(ctx, m)
		}()
	} else {
		close(looked)
	}
	// A failed download does not wait for the lookup: want is read only
	// by Check, after looked.
	req.Check = func(data []byte, file string) error {
		if err := prefetch.CheckAnswer(kind, m, data, file); err != nil {
			return err
		}
		select {
		case <-looked:
		case <-ctx.Done():
			return ctx.Err()
		}
		return prefetch.CheckHash(kind, m, want[kind], data, file)
	}
	return h.Fetcher.Get(ctx, list, req)
}

// verifyTaken checks a .mod (data) or .zip (file) read ahead, which go now
// asks for, as fetchVerified checks go's own: a read-ahead fetched it
// without the checksum database, which go looks it up in now, and so may
// the proxy. A file go.sum records was checked when it arrived.
func (h *Handler) verifyTaken(ctx context.Context, kind prefetch.Kind, m module.Version, data []byte, file string) error {
	if kind != "mod" && kind != "zip" {
		return nil
	}
	if t, _ := h.trustOf(kind, m); t != trustSumDB {
		return nil
	}
	return prefetch.CheckHash(kind, m, h.expectedHashes(ctx, m)[kind], data, file)
}

// lookups keeps the checksum database's answers the proxy has read, so
// that go's own requests for the same lookup and tiles are answered at
// once, and the lines it verified, so that each module version is looked
// up once.
type lookups struct {
	once     sync.Once
	verifier *prefetch.SumDBVerifier // nil without a database or its key

	mu       sync.Mutex
	byMV     map[string]*lookupEntry    // the raw answers, by "lookup/<path>@<version>"
	verified map[module.Version]*linesE // the verified lines
}

type lookupEntry struct {
	done chan struct{} // closed once body is set
	body []byte        // nil when the lookup failed
}

type linesE struct {
	done  chan struct{} // closed once lines is set
	lines []string      // nil when the lookup failed
}

// cachedLookup returns an answer already fetched (or being fetched) for
// rel, if any. An answer go has taken is let go: go keeps it in its own
// checksum-database cache and never asks for it again, so holding it
// would only grow the proxy with every module looked up.
func (h *Handler) cachedLookup(ctx context.Context, rel string) []byte {
	l := &h.lookups
	l.mu.Lock()
	e := l.byMV[rel]
	l.mu.Unlock()
	if e == nil || !arrived(ctx, e.done) {
		return nil
	}
	l.mu.Lock()
	if l.byMV[rel] == e {
		delete(l.byMV, rel)
	}
	l.mu.Unlock()
	return e.body
}

// sumdbVerifier returns the proxy's verifier of the database GOSUMDB
// names: x/mod's sumdb client (prefetch.SumDBVerifier) with the database's
// key, starting from go's own tree state and cache, so that it reads what
// go would read, and keeping what it reads for go's own requests.
func (h *Handler) sumdbVerifier() *prefetch.SumDBVerifier {
	l := &h.lookups
	l.once.Do(func() {
		db, err := h.Settings.SumDB()
		if err != nil || db == nil {
			return
		}
		key, err := h.Settings.SumDBKey(db)
		if err != nil {
			return
		}
		var configDir string
		if gopath := filepath.SplitList(h.Settings.GOPATH); len(gopath) > 0 && gopath[0] != "" {
			configDir = filepath.Join(gopath[0], "pkg", "sumdb")
		}
		// A lookup outlives the request that started it: x/mod's client
		// keeps each answer, and the Fetcher bounds every read.
		ctx := context.Background()
		l.verifier = h.Fetcher.NewSumDBVerifier(ctx, db, key, prefetch.SumDBVerifierOptions{
			Base:      func() (mirrors.List, error) { return h.sumdbList(ctx, db.Name, db.URL) },
			ConfigDir: configDir,
			CacheDir:  filepath.Join(h.Settings.GOMODCACHE, "cache", "download", "sumdb"),
			OnRead:    h.keepSumDBFile,
		})
	})
	return l.verifier
}

// keepSumDBFile keeps what the verifier read from the database for go,
// which reads the same files next.
func (h *Handler) keepSumDBFile(rel string, data []byte) {
	done := make(chan struct{})
	close(done)
	switch {
	case strings.HasPrefix(rel, "lookup/"):
		l := &h.lookups
		l.mu.Lock()
		if l.byMV == nil {
			l.byMV = map[string]*lookupEntry{}
		}
		if _, ok := l.byMV[rel]; !ok {
			l.byMV[rel] = &lookupEntry{done: done, body: data}
		}
		l.mu.Unlock()
	case strings.HasPrefix(rel, "tile/"):
		if h.ReadAheadJobs < 0 {
			return
		}
		t := &h.tiles
		t.mu.Lock()
		defer t.mu.Unlock()
		if t.byPath == nil {
			t.byPath = map[string]*tileEntry{}
		}
		if _, ok := t.byPath[rel]; ok || t.total-t.used+int64(len(data)) > h.readAheadMemory() {
			return
		}
		t.byPath[rel] = &tileEntry{done: done, data: data}
		t.total += int64(len(data))
	}
}

// expectedHashes returns the hashes the checksum database signed for m, by
// "zip" and "mod", looking m up once. It returns nil when there is nothing
// to check against: no database or key, or a lookup that failed or that
// the database's key does not verify (go then decides, as it would alone;
// a mirror's forged answer never rejects anything).
func (h *Handler) expectedHashes(ctx context.Context, m module.Version) map[prefetch.Kind][]string {
	v := h.sumdbVerifier()
	if v == nil {
		return nil
	}
	l := &h.lookups
	l.mu.Lock()
	if l.verified == nil {
		l.verified = map[module.Version]*linesE{}
	}
	e, started := l.verified[m]
	if !started {
		e = &linesE{done: make(chan struct{})}
		l.verified[m] = e
	}
	l.mu.Unlock()
	if !started {
		go func() {
			e.lines, _ = v.Lookup(m)
			close(e.done)
		}()
	}
	if !arrived(ctx, e.done) {
		return nil
	}
	return hashesOf(e.lines, m)
}

// hashesOf reads m's hashes from its verified go.sum lines.
func hashesOf(lines []string, m module.Version) map[prefetch.Kind][]string {
	if lines == nil {
		return nil
	}
	out := map[prefetch.Kind][]string{}
	for _, line := range lines {
		var p, v, hash string
		if n, _ := fmt.Sscan(line, &p, &v, &hash); n != 3 || p != m.Path {
			continue
		}
		switch v {
		case m.Version:
			out["zip"] = append(out["zip"], hash)
		case m.Version + "/go.mod":
			out["mod"] = append(out["mod"], hash)
		}
	}
	return out
}
