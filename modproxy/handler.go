// Package modproxy is gofast's module proxy: an http.Handler that serves
// the GOPROXY protocol (@v/list, @latest, .info, .mod, .zip) and the
// checksum database (/sumdb/<name>/...) to the go command, from the module
// cache where it holds a file and otherwise through gofast's mirror chain,
// with its deadlines, retries, failover and resume (prefetch.Fetcher).
//
// While a fetching go command runs, gofast serves it on loopback (Listen)
// and runs go with GOPROXY pointing there (GOPROXY), the user's direct or
// off tail kept, so that every download go makes beyond what the prefetch
// already put in the cache is as stall-proof as gofast's own. It also
// reads ahead what go will ask for next: below an unpruned go.mod, its
// requirements' go.mod files (readAhead); after a version's .info, its
// go.mod and zip (zipAhead); for go install pkg@version, the whole build
// its module's go.mod and go.sum decide (mainAhead); after a lookup, the
// checksum-database tiles that authenticate it (tileAhead).
//
// The proxy keeps go's decisions: it answers 404 exactly when the chain
// says a file does not exist, so a ",direct" tail still falls through; any
// other failure of the whole chain is a 502 whose one-line body names the
// module, the mirror and the cause, which go prints; go verifies every
// byte it is served against go.sum and the checksum database as it would
// without gofast; and paths that GONOPROXY or GONOSUMDB cover are never
// sent anywhere (go does not ask for them; the proxy refuses them if asked).
package modproxy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// Handler serves the GOPROXY protocol and the checksum database over a
// chain. Its paths are those below a GOPROXY base URL: strip any prefix
// before it (Listen does).
type Handler struct {
	// Fetcher gets what the module cache does not hold. Required.
	Fetcher *prefetch.Fetcher
	// Settings are go env's values: GOMODCACHE (served from), GONOPROXY,
	// GONOSUMDB and GOPRIVATE (refused), GOSUMDB (the database served).
	// Required.
	Settings *goenv.Settings
	// SpoolDir holds zips while they arrive; "" means os.TempDir().
	SpoolDir string
	// ReadAheadJobs is how many go.mod files are read ahead at once: when
	// go is served a module's go.mod, the go.mod files of its
	// requirements are fetched before go asks for them (see readAhead).
	// 0 means DefaultReadAheadJobs; a negative value turns read-ahead off.
	ReadAheadJobs int
	// ReadAheadMemory bounds the bytes of go.mod files read ahead and held
	// until go asks for them; beyond it, what arrives is dropped (and
	// fetched again if go asks). 0 means DefaultReadAheadMemory.
	ReadAheadMemory int64
	// ReadAheadZips starts the zip of every version go is served the
	// .info of, spooled, so that go's zip downloads (GOMAXPROCS at a time)
	// find them fetched or under way. Set it for commands that download
	// the zip of each version they resolve (get, install and run of
	// pkg@version, mod tidy); false reads no zip ahead.
	ReadAheadZips bool
	// ReadAheadGraph reads the module graph's walk below an unpruned
	// go.mod ahead as deep as it goes (go's graph loader walks all of it),
	// rather than one level ahead of go. Set it for commands that load the
	// whole graph (get, mod tidy).
	ReadAheadGraph bool
	// Tools are the package paths of a go install or go run of
	// pkg@version: the module providing one is built as go's main module,
	// so its go.mod and go.sum, read from its zip as soon as the proxy has
	// it, decide the build: every go.mod go.sum names, and the zip of every
	// requirement it has a zip hash for, are read ahead (see mainAhead).
	Tools []string
	// SpoolMax bounds the bytes of zips read ahead and spooled on disk
	// that go has not yet taken; over it no further zip is read ahead.
	// 0 means the smaller of DefaultSpoolMax and twice what go has been
	// served so far (at least 256 MiB); a negative value reads no zip
	// ahead. go's own requests are never refused for it. A zip counts
	// once it has arrived: the ReadAheadJobs zips in flight may pass the
	// bound until then, and one that arrives over it is dropped.
	SpoolMax int64

	served  atomic.Int64 // bytes written to go (spoolMax)
	sumdb   sumdbBase
	lookups lookups
	ahead   readAhead
	zips    zipAhead
	main    mainAhead
	tiles   tileAhead
}

// Size limits of the answers relayed, as go's own: a go.mod is at most
// 16 MB, a zip at most 500 MB, an .info a small JSON object.
const (
	maxSmall = 16 << 20
	maxInfo  = 1 << 20
)

// ServeHTTP answers one request from go.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w = h.countServed(w)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, "/")
	if name, rest, ok := strings.Cut(strings.TrimPrefix(rel, "sumdb/"), "/"); ok && strings.HasPrefix(rel, "sumdb/") {
		h.serveSumDB(w, r, name, rest)
		return
	}
	req, err := parseModuleRequest(rel)
	if err != nil {
		http.Error(w, "not found: "+err.Error(), http.StatusNotFound)
		return
	}
	if h.Settings.NoProxy(req.Module.Path) {
		// go fetches such paths directly and never asks a proxy; a
		// request for one is not passed on to any mirror.
		http.Error(w, "not found: "+req.Module.Path+" matches GONOPROXY/GOPRIVATE and is not sent to a mirror", http.StatusNotFound)
		return
	}
	if req.Kind == "mod" || req.Kind == "info" {
		if data := h.takeReadAhead(r.Context(), rel); data != nil {
			if req.Kind == "mod" {
				h.readAheadFrom(req.Module, data)
			} else {
				h.zipAheadFrom(req.Module)
			}
			serve(w, r, int64(len(data)), bytes.NewReader(data))
			return
		}
	}
	if req.Kind == "zip" {
		if f := h.takeZip(r.Context(), rel); f != nil {
			defer f.Close()
			serve(w, r, f.Size, f.Reader())
			return
		}
	}
	if h.serveCached(w, r, req) {
		return
	}
	h.serveFetched(w, r, req)
}

// parseModuleRequest reads a GOPROXY protocol path.
func parseModuleRequest(rel string) (prefetch.Request, error) {
	var req prefetch.Request
	req.Rel = rel
	escPath, file, ok := strings.Cut(rel, "/@v/")
	if !ok {
		p, found := strings.CutSuffix(rel, "/@latest")
		if !found {
			return req, fmt.Errorf("%s is not a module proxy path", rel)
		}
		escPath, req.Kind = p, "latest"
	}
	path, err := module.UnescapePath(escPath)
	if err != nil {
		return req, err
	}
	req.Module.Path = path
	if req.Kind == "latest" {
		return req, nil
	}
	if file == "list" {
		req.Kind = "list"
		return req, nil
	}
	i := strings.LastIndexByte(file, '.')
	if i < 0 {
		return req, fmt.Errorf("%s is not a module proxy path", rel)
	}
	escVersion, ext := file[:i], file[i+1:]
	switch ext {
	case "info", "mod", "zip":
	default:
		return req, fmt.Errorf("%s is not a module proxy path", rel)
	}
	v, err := module.UnescapeVersion(escVersion)
	if err != nil {
		return req, err
	}
	if err := module.Check(path, v); err != nil && ext != "info" {
		return req, err
	}
	req.Module.Version, req.Kind = v, ext
	return req, nil
}

// serveCached answers from the module cache when it holds the file
// complete (a zip with its .ziphash, as go's own test for a cached zip).
func (h *Handler) serveCached(w http.ResponseWriter, r *http.Request, req prefetch.Request) bool {
	switch req.Kind {
	case "info", "mod", "zip":
	default:
		return false
	}
	c := &modcache.Cache{Root: h.Settings.GOMODCACHE}
	if req.Kind == "zip" && !c.HasZip(req.Module) {
		return false
	}
	p, err := c.File(req.Module, req.Kind)
	if err != nil {
		return false
	}
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return false
	}
	if req.Kind == "mod" {
		data, err := io.ReadAll(io.LimitReader(f, maxSmall))
		if err != nil {
			return false
		}
		h.readAheadFrom(req.Module, data)
		serve(w, r, int64(len(data)), bytes.NewReader(data))
		return true
	}
	if req.Kind == "zip" {
		h.mainZipAhead(req.Module, f, st.Size())
	}
	serve(w, r, st.Size(), f)
	return true
}

// serveFetched answers through the chain.
func (h *Handler) serveFetched(w http.ResponseWriter, r *http.Request, req prefetch.Request) {
	ctx := r.Context()
	f, err := h.fetchChecked(ctx, req)
	if err != nil {
		if ctx.Err() != nil {
			return // go went away
		}
		fail(w, err)
		return
	}
	defer f.Close()
	switch req.Kind {
	case "mod":
		h.readAheadFrom(req.Module, f.Bytes())
	case "info":
		h.zipAheadFrom(req.Module)
	case "zip":
		if ra, ok := f.Reader().(io.ReaderAt); ok {
			h.mainZipAhead(req.Module, ra, f.Size)
		}
	}
	serve(w, r, f.Size, f.Reader())
}

// fetchChecked gets req's file through the chain, refusing wrong bytes:
// answers CheckAnswer rejects and, for a .mod or .zip, answers whose hash
// is not the checksum database's.
func (h *Handler) fetchChecked(ctx context.Context, req prefetch.Request) (*prefetch.File, error) {
	list, err := h.Fetcher.Chain(ctx)
	if err != nil {
		return nil, fmt.Errorf("GOPROXY chain: %w", err)
	}
	req.Limit = maxSmall
	switch req.Kind {
	case "info":
		req.Limit = maxInfo
	case "zip":
		req.Limit = modzip.MaxZipFile
		req.SpoolDir = h.SpoolDir
		if req.SpoolDir == "" {
			req.SpoolDir = os.TempDir()
		}
	}
	kind, m := req.Kind, req.Module
	// Wrong bytes from one mirror should cost go nothing when another
	// has the right ones: the checksum database says what they are. The
	// lookup runs beside the download, and go's own lookup for the same
	// module is then answered from memory.
	var want map[string]string
	looked := make(chan struct{})
	if db, _ := h.Settings.SumDB(); kind == "mod" || kind == "zip" {
		go func() {
			defer close(looked)
			want = h.expectedHashes(ctx, db, m)
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
		return checkHash(kind, m, want, data, file)
	}
	return h.Fetcher.Get(ctx, list, req)
}

// fail answers a request the chain could not (err names the module or
// request, the mirror and the cause): 404 when every mirror that
// was asked said not found (or the walk reached direct or off after such
// answers), so that go's own fallback past ',' applies; otherwise 502 with
// the cause in one line.
func fail(w http.ResponseWriter, err error) {
	msg := oneLine(redact.String(err.Error()))
	if notFound(err) {
		http.Error(w, "not found: "+msg, http.StatusNotFound)
		return
	}
	http.Error(w, "gofast: "+msg, http.StatusBadGateway)
}

// notFound reports whether err says the chain does not have the file.
func notFound(err error) bool {
	// ErrLeftToGo: the walk reached direct or off, where go's own GOPROXY
	// goes on. Reaching it after a '|' failure returns that failure
	// instead, so ErrLeftToGo follows only not-found answers, or none.
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, prefetch.ErrLeftToGo)
}

// serve writes a 200 answer of size bytes.
func serve(w http.ResponseWriter, r *http.Request, size int64, body io.Reader) {
	w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	io.Copy(w, body)
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	s = strings.ReplaceAll(s, "\r", " ")
	return strings.ReplaceAll(s, "\n", " ")
}

// listProxies returns the chain's entries up to its first direct or off
// entry: the part of GOPROXY the proxy stands in for.
func listProxies(l mirrors.List) mirrors.List {
	for i, e := range l {
		if e.Kind != mirrors.Proxy {
			return l[:i]
		}
	}
	return l
}
