package modproxy

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
)

// lookups keeps the checksum database's answers for module versions the
// proxy has looked up, so that the lookup go makes to verify the same
// module is answered at once, without a second round trip.
type lookups struct {
	mu   sync.Mutex
	byMV map[string]*lookupEntry // "escaped path@escaped version"
}

type lookupEntry struct {
	done chan struct{} // closed once body is set
	body []byte        // nil when the lookup failed
}

// lookupKey is the lookup's path below /sumdb/<name>/, as go's sumdb
// client builds it.
func lookupKey(m module.Version) (string, error) {
	p, v, err := escaped(m)
	if err != nil {
		return "", err
	}
	return "lookup/" + p + "@" + v, nil
}

// cachedLookup returns an answer already fetched (or being fetched) for
// rel, if any.
func (h *Handler) cachedLookup(ctx context.Context, rel string) []byte {
	h.lookups.mu.Lock()
	e := h.lookups.byMV[rel]
	h.lookups.mu.Unlock()
	if e == nil || !arrived(ctx, e.done) {
		return nil
	}
	return e.body
}

// expectedHashes returns the go.sum lines the checksum database gives for
// m ("h1:..." by "zip" and "mod"), fetching them once through the same
// path go's own lookup takes. It returns nil when there is nothing to
// check against: no database (GOSUMDB off, a GONOSUMDB path), or a lookup
// that failed (go then decides, as it would alone).
func (h *Handler) expectedHashes(ctx context.Context, db *goenv.SumDB, m module.Version) map[string]string {
	if db == nil || h.Settings.NoSumDB(m.Path) {
		return nil
	}
	rel, err := lookupKey(m)
	if err != nil {
		return nil
	}
	h.lookups.mu.Lock()
	if h.lookups.byMV == nil {
		h.lookups.byMV = map[string]*lookupEntry{}
	}
	e, started := h.lookups.byMV[rel]
	if !started {
		e = &lookupEntry{done: make(chan struct{})}
		h.lookups.byMV[rel] = e
	}
	h.lookups.mu.Unlock()
	if !started {
		e.body = h.fetchLookup(ctx, db, rel)
		if e.body != nil {
			h.tilesAheadFor(db.Name, e.body)
		}
		if e.body == nil {
			// A failed lookup is not kept: go's own request, or a
			// later file, asks again.
			h.lookups.mu.Lock()
			delete(h.lookups.byMV, rel)
			h.lookups.mu.Unlock()
		}
		close(e.done)
	}
	select {
	case <-e.done:
	case <-ctx.Done():
		return nil
	}
	if e.body == nil {
		return nil
	}
	return parseLookup(e.body, m)
}

// fetchLookup reads one lookup answer from the database, or nil.
func (h *Handler) fetchLookup(ctx context.Context, db *goenv.SumDB, rel string) []byte {
	base, err := h.sumdbList(ctx, db.Name, db.URL)
	if err != nil {
		return nil
	}
	f, err := h.Fetcher.Get(ctx, base, prefetch.Request{Module: module.Version{Path: "checksum database " + db.Name + " " + rel}, Kind: "sumdb", Rel: rel, Limit: maxSmall})
	if err != nil {
		return nil
	}
	defer f.Close()
	return f.Bytes()
}

// parseLookup reads m's go.sum lines from a lookup answer (a record number,
// the go.sum lines, then the signed tree head). Only the lines are used:
// the proxy compares, go verifies the signature and the proofs.
func parseLookup(body []byte, m module.Version) map[string]string {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(body))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != m.Path || !strings.HasPrefix(f[2], "h1:") {
			continue
		}
		switch f[1] {
		case m.Version:
			out["zip"] = f[2]
		case m.Version + "/go.mod":
			out["mod"] = f[2]
		}
	}
	return out
}

// checkHash rejects a .mod or .zip whose hash is not the one the checksum
// database gives: the mirror served wrong bytes, and the next one is asked
// (go alone would stop at a SECURITY ERROR).
func checkHash(kind string, m module.Version, want map[string]string, data []byte, file string) error {
	w, ok := want[kind]
	if !ok {
		return nil
	}
	var got string
	var err error
	switch kind {
	case "zip":
		got, err = dirhash.HashZip(file, dirhash.Hash1)
	case "mod":
		got, err = dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	default:
		return nil
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return &prefetch.BodyError{Reason: "not a valid module zip", Err: err}
	}
	if got != w {
		return &prefetch.ChecksumError{Module: m, File: kind, Got: got, Want: []string{w}}
	}
	return nil
}
