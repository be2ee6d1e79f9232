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
// its module's go.mod and go.sum decide (toolAhead); after a lookup, the
// checksum-database tiles that authenticate it (tileAhead).
//
// The proxy keeps go's decisions: when no mirror has a file right, go is
// given what it would have had alone, the mirror's own status and body (a
// 404 still falls through a ",direct" tail) or the bytes the proxy
// refused, which go judges itself; a failure go would not have seen as an
// answer (a stall, a reset, a TLS error) is a 502 whose one-line body
// names the module, the mirror and the cause, which go prints; go
// verifies every byte it is served against go.sum and the checksum
// database as it would without gofast, and the proxy checks them the same
// way first (verify.go); paths that GONOPROXY covers are never sent
// anywhere (go does not ask for them; the proxy refuses them if asked),
// and nothing is read ahead for them or for GONOSUMDB paths.
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
	"sync"
	"sync/atomic"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
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
	// Sums are the hashes go checks downloads against before it asks the
	// checksum database (modset.GoSumFiles: the main module's go.sum, or
	// go.work.sum and the workspace modules' go.sum files). The proxy
	// checks those files against them and looks only the others up, as
	// go does. Nil means none: go install and go run of pkg@version,
	// which run outside any module.
	Sums *modset.Sums
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
	// requirement it has a zip hash for, are read ahead (see toolAhead).
	Tools []string
	// SpoolMax bounds the bytes of zips read ahead and spooled on disk
	// that go has not yet taken; over it no further zip is read ahead.
	// 0 means the smaller of DefaultSpoolMax and twice what go has been
	// served so far (at least 256 MiB); a negative value reads no zip
	// ahead. go's own requests are never refused for it. A zip counts
	// once it has arrived: the ReadAheadJobs zips in flight may pass the
	// bound until then, and one that arrives over it is dropped.
	SpoolMax int64
	// TailEntry says that go's GOPROXY names the proxy twice, as GOPROXY
	// does when NeedsTailEntry: a failure after which go's walk would go
	// on to the tail is then answered 404 on the first entry and as it
	// is on the second (below /.tail), from one walk of the chain.
	TailEntry bool

	tails   tailFailures
	served  atomic.Int64 // bytes written to go (spoolMax)
	sumdb   sumdbBase
	lookups lookups
	ahead   readAhead
	zips    zipAhead
	tool    toolAhead
	tiles   tileAhead
}

// ServeHTTP answers one request from go.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w = h.countServed(w)
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, "/")
	if rest, ok := strings.CutPrefix(rel, tailEntry+"/"); ok {
		// GOPROXY's second loopback entry: the answer to a failure the
		// first entry deferred to it, if any; else as the first.
		if err := h.tails.take(rest); err != nil {
			fail(w, err)
			return
		}
		rel = rest
	} else if h.TailEntry {
		r = r.WithContext(context.WithValue(r.Context(), firstEntryKey{}, rel))
	}
	// No module path begins with "sumdb/" (a module path's first element
	// has a dot), so the two protocols cannot collide.
	if db, ok := strings.CutPrefix(rel, "sumdb/"); ok {
		h.serveSumDB(w, r, db)
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
		if data := h.takeReadAhead(r.Context(), req.Rel); data != nil && h.verifyTaken(r.Context(), req.Kind, req.Module, data, "") == nil {
			if req.Kind == "mod" {
				h.readAheadFrom(req.Module, data)
			} else {
				h.zipAheadFromInfo(req.Module, data)
			}
			serve(w, r, int64(len(data)), bytes.NewReader(data))
			return
		}
	}
	if req.Kind == "zip" {
		if f := h.takeZip(r.Context(), req.Rel); f != nil {
			defer f.Close()
			if h.verifyTaken(r.Context(), "zip", req.Module, nil, f.Name()) != nil {
				// Wrong bytes read ahead: go's own request asks again.
				h.serveFetched(w, r, req)
				return
			}
			serve(w, r, f.Size, f.Reader())
			return
		}
	}
	if h.serveCached(w, r, req) {
		return
	}
	h.serveFetched(w, r, req)
}

// parseModuleRequest reads a GOPROXY protocol path. The path and version
// must be ones go can send: a valid module path, and a version that is a
// valid file-name element (module.EscapeVersion's rule, which every query
// go sends as <query>.info meets: a branch, a commit hash, v1.2.3+meta); a
// .mod or .zip, which go asks only of a version it resolved, must also pass
// module.Check. Rel, the path sent to every mirror, is rebuilt from the
// parsed values, escaped as go escapes them, never the bytes go sent.
func parseModuleRequest(rel string) (prefetch.Request, error) {
	var req prefetch.Request
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
	if escPath, err = module.EscapePath(path); err != nil {
		return req, err
	}
	if req.Kind == "latest" {
		req.Rel = escPath + "/@latest"
		return req, nil
	}
	if file == "list" {
		req.Kind, req.Rel = "list", escPath+"/@v/list"
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
	if ext != "info" {
		if err := module.Check(path, v); err != nil {
			return req, err
		}
	}
	if escVersion, err = module.EscapeVersion(v); err != nil {
		return req, err
	}
	req.Module.Version, req.Kind = v, prefetch.Kind(ext)
	req.Rel = escPath + "/@v/" + escVersion + "." + ext
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
	p, err := c.File(req.Module, string(req.Kind))
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
		data, err := io.ReadAll(io.LimitReader(f, modsum.MaxGoMod))
		if err != nil {
			return false
		}
		h.readAheadFrom(req.Module, data)
		serve(w, r, int64(len(data)), bytes.NewReader(data))
		return true
	}
	if req.Kind == "zip" {
		h.toolZipAhead(req.Module, f, st.Size())
	}
	serve(w, r, st.Size(), f)
	return true
}

// serveFetched answers through the chain.
func (h *Handler) serveFetched(w http.ResponseWriter, r *http.Request, req prefetch.Request) {
	ctx := r.Context()
	// go verifies and writes to its cache whatever it is served, so an
	// answer no mirror has right is go's to judge, as without gofast.
	req.KeepAnswer = true
	f, err := h.fetchVerified(ctx, req, false)
	if err != nil {
		if ctx.Err() != nil {
			return // go went away
		}
		var ua *prefetch.UnacceptedError
		if errors.As(err, &ua) {
			// The bytes go alone would have been given: nothing is read
			// ahead from them.
			defer ua.Answer.Close()
			serve(w, r, ua.Answer.Size, ua.Answer.Reader())
			return
		}
		h.fail(w, r, err)
		return
	}
	defer f.Close()
	switch req.Kind {
	case "mod":
		h.readAheadFrom(req.Module, f.Bytes())
	case "info":
		h.zipAheadFromInfo(req.Module, f.Bytes())
	case "zip":
		if ra, ok := f.Reader().(io.ReaderAt); ok {
			h.toolZipAhead(req.Module, ra, f.Size)
		}
	}
	serve(w, r, f.Size, f.Reader())
}

// zipAheadFromInfo reads ahead the go.mod and zip of the version go was
// just served an .info for: the version the answer names, which is what
// go asks for next (for a query such as master or a commit hash it is
// another version than the one asked), and nothing for an answer that
// names no version go could ask for.
func (h *Handler) zipAheadFromInfo(query module.Version, info []byte) {
	v, err := modcache.InfoVersion(query, info)
	if err != nil {
		return
	}
	h.zipAheadFrom(module.Version{Path: query.Path, Version: v})
}

// fail answers a request the chain could not (err names the module or
// request, the mirror and the cause). A mirror's own answer that go alone
// would have got (its status, 4xx or 5xx, 404 and 410 included) is
// relayed as the mirror sent it (relay), so that go prints what it prints
// without gofast and its walk past ',' or '|' goes on by the same status.
// Otherwise: 404 when every mirror that was asked said not found (or the
// walk reached direct or off after such answers), so that go's own
// fallback past ',' applies; else a failure go would not have seen as an
// answer (a stall, a reset after retries, a TLS error, a mirror taken out
// of the walk): 502 with the cause in one line.
func fail(w http.ResponseWriter, err error) {
	var he *prefetch.HTTPError
	if errors.As(err, &he) && he.Status >= 400 && he.Status <= 599 {
		relay(w, he)
		return
	}
	msg := oneLine(redact.String(err.Error()))
	if notFound(err) {
		http.Error(w, "not found: "+msg, http.StatusNotFound)
		return
	}
	http.Error(w, "gofast: "+msg, http.StatusBadGateway)
}

// firstEntryKey marks, in a request's context, a request to the first of
// GOPROXY's two loopback entries (Handler.TailEntry); its value is the
// request's path.
type firstEntryKey struct{}

// fail is fail for a request through the chain: with TailEntry, a
// failure after which go's walk goes on to GOPROXY's tail is left, on the
// first entry, to the second (tailFailures), which go asks next.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if rel, ok := r.Context().Value(firstEntryKey{}).(string); ok && errors.Is(err, prefetch.ErrReachedTail) {
		h.tails.put(rel, err)
		http.Error(w, "not found: gofast: the next GOPROXY entry answers", http.StatusNotFound)
		return
	}
	fail(w, err)
}

// tailFailures holds the failures the first loopback entry left to the
// second, by request path, until go asks the second for them (at once:
// a 404 before ',' sends go on to the next entry). Bounded: go asks for
// each deferred failure right away, so only a go that went away leaves
// one behind.
type tailFailures struct {
	mu     sync.Mutex
	byPath map[string]error
}

const maxTailFailures = 4096

func (t *tailFailures) put(rel string, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byPath == nil || len(t.byPath) >= maxTailFailures {
		t.byPath = map[string]error{}
	}
	t.byPath[rel] = err
}

func (t *tailFailures) take(rel string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.byPath[rel]
	delete(t.byPath, rel)
	return err
}

// notFound reports whether err says the chain does not have the file.
func notFound(err error) bool {
	// ErrLeftToGo: the walk reached direct or off, where go's own GOPROXY
	// goes on. Reaching it after a '|' failure returns that failure
	// instead, so ErrLeftToGo follows only not-found answers, or none.
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, prefetch.ErrLeftToGo)
}

// relay answers with a mirror's failed answer: its status, Content-Type
// (none when it sent none: go reads a body as "server response:" only
// when it is text/plain) and the start of its body.
func relay(w http.ResponseWriter, he *prefetch.HTTPError) {
	w.Header()["Content-Type"] = nil
	if he.ContentType != "" {
		w.Header().Set("Content-Type", he.ContentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(he.Body)))
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(he.Status)
	w.Write(he.Body)
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
