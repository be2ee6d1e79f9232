package prefetch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
)

// Fetcher gets single files from the GOPROXY chain with the machinery the
// prefetch uses for its own downloads: the chain walked as go walks it,
// deadlines, stall detection, retries of 5xx/429 and broken connections,
// resume of a broken body with a Range request, credentials as go sends
// them, and mirrors taken out of the walk after repeated failures. The
// loopback proxy serves the go command through one.
type Fetcher struct {
	src          *source
	rangeStreams int
	named        mirrors.List
}

// FetcherOptions configure NewFetcher. Settings is required; every other
// zero value is a documented default.
type FetcherOptions struct {
	// Settings are go env's values (GOPROXY, GOAUTH). Required.
	Settings *goenv.Settings
	// Env is where HTTP proxy settings and the netrc file are found. Nil
	// means none.
	Env goenv.Environ
	// Auth is what is sent to mirrors that want credentials. Nil means
	// what go would send (GOAUTH, the netrc file through Env).
	Auth *goauth.Credentials
	// Chain returns the chain to fetch from, called on first use. Nil
	// means mirrors.ParseList(Settings.GOPROXY).
	Chain func(ctx context.Context) (mirrors.List, error)
	// Named are the mirrors the user named (mirrors.Named), the only ones
	// a Request with NamedOnly is sent to. Nil means every mirror of the
	// chain was named.
	Named mirrors.List
	// Client is the HTTP client. Nil means one built for Jobs streams,
	// and another that speaks HTTP/1.1 only for the byte ranges of a
	// toolchain zip, each on a connection of its own.
	Client *http.Client
	// Jobs sizes the default client's connection pool; 0 means
	// DefaultJobs.
	Jobs int
	// OnMirrorFailure is told of every mirror failure (URL, redacted
	// reason). Nil ignores them.
	OnMirrorFailure func(url, reason string)
	// IdleTimeout and RequestTimeout are as in Options; zero means the
	// same defaults. Each stream of a file fetched in byte ranges has its
	// own.
	IdleTimeout, RequestTimeout time.Duration
	// RangeStreams is how many byte ranges of a toolchain zip (see
	// fetchedInRanges) are fetched at once from a mirror that serves
	// ranges. 0 means DefaultRangeStreams; 1 or less means one stream, as
	// go does; more than MaxRangeStreams means MaxRangeStreams.
	RangeStreams int
}

// NewFetcher returns a Fetcher.
func NewFetcher(o FetcherOptions) (*Fetcher, error) {
	if o.Settings == nil {
		return nil, errors.New("prefetch: FetcherOptions.Settings is required")
	}
	if o.Jobs <= 0 {
		o.Jobs = DefaultJobs
	}
	switch {
	case o.RangeStreams == 0:
		o.RangeStreams = DefaultRangeStreams
	case o.RangeStreams < 1:
		o.RangeStreams = 1
	case o.RangeStreams > MaxRangeStreams:
		o.RangeStreams = MaxRangeStreams
	}
	src := o.source(o.Jobs)
	if o.Client == nil && o.RangeStreams > 1 {
		// HTTP/2 would carry every range on one connection, and a limit on
		// each connection's throughput would hold them all together.
		src.rangesHTTP = newRetryClient(web.NewClient(web.Options{Env: o.Env, HTTP1Only: true,
			MaxIdleConns: o.RangeStreams, MaxIdleConnsPerHost: o.RangeStreams}))
	}
	return &Fetcher{src: src, rangeStreams: o.RangeStreams, named: o.Named}, nil
}

// source builds the chain walker o describes, with the documented
// defaults, and a client pooling streams connections per host when o has
// none. The prefetch engine builds its own through here too.
func (o FetcherOptions) source(streams int) *source {
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	chain := o.Chain
	if chain == nil {
		chain = func(context.Context) (mirrors.List, error) { return mirrors.ParseList(o.Settings.GOPROXY) }
	}
	hc := o.Client
	if hc == nil {
		hc = web.NewClient(web.Options{Env: o.Env, MaxIdleConns: 2 * streams, MaxIdleConnsPerHost: streams})
	}
	auth := o.Auth
	if auth == nil {
		// Credentials that cannot all be read are still used; go itself
		// says nothing of a netrc it cannot read either.
		auth, _ = goauth.Load(o.Settings.GOAUTH, o.Env)
	}
	return newSource(chain, hc, auth, o.IdleTimeout, o.RequestTimeout, o.OnMirrorFailure)
}

// Chain returns the chain the Fetcher walks (raced on first use).
func (f *Fetcher) Chain(ctx context.Context) (mirrors.List, error) { return f.src.List(ctx) }

// File is what a mirror served: the bytes, in memory or in a temporary
// file, and where they came from. Close releases the file.
type File struct {
	// Mirror is the URL of the mirror that served it.
	Mirror string
	// Size is the number of bytes.
	Size int64
	data []byte
	file *os.File
}

// Reader returns the file's bytes from the start.
func (f *File) Reader() io.Reader {
	if f.file != nil {
		return io.NewSectionReader(f.file, 0, f.Size)
	}
	return strings.NewReader(string(f.data))
}

// Name returns the path of a file kept on disk, "" for one in memory.
func (f *File) Name() string {
	if f.file == nil {
		return ""
	}
	return f.file.Name()
}

// Bytes returns the bytes of a file kept in memory, nil for one on disk.
func (f *File) Bytes() []byte { return f.data }

// Close removes the temporary file, if any.
func (f *File) Close() error {
	if f.file == nil {
		return nil
	}
	name := f.file.Name()
	err := f.file.Close()
	if rerr := os.Remove(name); err == nil {
		err = rerr
	}
	return err
}

// Kind names the file a request is for. The engine's own downloads and
// Get's requests use the same values: they name the file in errors
// (ModuleError.File) and in the per-mirror accounting, and choose its size
// limit and its answer checks (CheckAnswer).
type Kind string

// The kinds of files fetched.
const (
	KindInfo      Kind = "info"      // @v/<version>.info
	KindMod       Kind = "mod"       // @v/<version>.mod
	KindZip       Kind = "zip"       // @v/<version>.zip
	KindList      Kind = "list"      // @v/list
	KindLatest    Kind = "latest"    // @latest
	KindSumDB     Kind = "sumdb"     // a checksum database's file: latest, lookup or tile
	KindSupported Kind = "supported" // a proxy's sumdb/<name>/supported
)

// Request names one file for Get.
type Request struct {
	// Module and Kind name the file in errors and in the per-mirror
	// accounting.
	Module module.Version
	Kind   Kind
	// Label names the file in errors instead of Module when it is no
	// module's file (a checksum-database request); Module is then zero.
	Label string
	// Rel is the file's path below a proxy's base URL.
	Rel string
	// Limit is the largest answer accepted; 0 means the kind's own
	// (modsum.MaxInfo for an .info, modsum.MaxZip for a zip, else
	// modsum.MaxGoMod).
	Limit int64
	// SpoolDir, when set, keeps the answer in a temporary file there
	// rather than in memory (zips), which also allows a broken body to be
	// resumed with a Range request, and a toolchain zip to be fetched in
	// parallel byte ranges.
	SpoolDir string
	// Check, when set, is given the whole answer (for a spooled answer,
	// its file) and rejects wrong bytes, which sends the walk to the next
	// mirror whatever the separator, as prefetch does with wrong bytes.
	Check func(data []byte, file string) error
	// NamedOnly sends the request only to mirrors the user named
	// (FetcherOptions.Named), never to one gofast added to the race: set
	// it for bytes nothing verifies, which go would have taken only from
	// the user's own mirrors.
	NamedOnly bool
	// KeepAnswer keeps the first 200 answer Check refuses: when no mirror
	// has one Check accepts, Get's error is then an *UnacceptedError
	// holding it. The loopback proxy hands that answer to go, which
	// judges such bytes itself and prints its own error for them, as it
	// would without gofast.
	KeepAnswer bool
}

// namedOnly returns list without the mirrors the user did not name, its
// direct or off tail kept. When none of its mirrors is named (the named
// ones were left out of the race), it is the named mirrors themselves,
// with their separators, and list's tail.
func (f *Fetcher) namedOnly(list mirrors.List) mirrors.List {
	if f.named == nil {
		return list
	}
	named := map[string]bool{}
	for _, e := range f.named {
		if e.Kind == mirrors.Proxy {
			named[strings.TrimRight(e.URL, "/")] = true
		}
	}
	var out, tail mirrors.List
	for i, e := range list {
		if e.Kind != mirrors.Proxy {
			tail = list[i:]
			break
		}
		if named[strings.TrimRight(e.URL, "/")] {
			out = append(out, e)
		}
	}
	if len(out) == 0 {
		for _, e := range f.named {
			if e.Kind == mirrors.Proxy {
				out = append(out, e)
			}
		}
	}
	return append(out, tail...)
}

// Get walks list (the chain, or a part of it) for one file as go walks
// GOPROXY: a 404/410 moves to the next entry; another failure does so only
// after '|'; an answer Check rejects always does. It ends at direct or off
// with an error matching ErrLeftToGo, and otherwise returns the error go's
// own walk reports (the last failure other than not found, else the last
// not found); errors.Is(err, fs.ErrNotExist) tells "not found". With
// KeepAnswer, a refused answer outranks all of those (UnacceptedError).
//
// A toolchain zip with a SpoolDir (see fetchedInRanges) is fetched in
// FetcherOptions.RangeStreams byte ranges at once from a mirror that
// serves them, and as one stream from one that does not; Check sees the
// assembled file either way.
func (f *Fetcher) Get(ctx context.Context, list mirrors.List, r Request) (*File, error) {
	if r.Limit <= 0 {
		r.Limit = limitOf(r.Kind)
	}
	if r.NamedOnly {
		list = f.namedOnly(list)
	}
	out := &File{}
	var sp *spool
	if r.SpoolDir != "" {
		tf, err := os.CreateTemp(r.SpoolDir, "fetch-*")
		if err != nil {
			return nil, err
		}
		out.file = tf
		sp = &spool{f: tf}
	}
	// kept is the first answer Check refused, for KeepAnswer.
	var kept *File
	var keptErr error
	keep := func(data []byte, err error) error {
		if !r.KeepAnswer || kept != nil || !verifyError(err) {
			return err
		}
		keptErr = err
		if sp == nil {
			kept = &File{data: data, Size: int64(len(data))}
			return err
		}
		// The refused bytes stay in their file; the next mirror's answer
		// goes to a new one.
		tf, terr := os.CreateTemp(r.SpoolDir, "fetch-*")
		if terr != nil {
			return err
		}
		kept = &File{file: sp.f, Size: sp.n}
		sp.f, sp.n = tf, 0
		return err
	}
	consume := func(ctx context.Context, body io.Reader) error {
		if sp == nil {
			data, err := readLimited(body, r.Limit)
			if err != nil {
				return err
			}
			if r.Check != nil {
				if err := r.Check(data, ""); err != nil {
					return keep(data, err)
				}
			}
			out.data = data
			return nil
		}
		if err := sp.append(body, r.Limit); err != nil {
			return err
		}
		if r.Check != nil {
			return keep(nil, r.Check(nil, sp.f.Name()))
		}
		return nil
	}
	req := fileReq{mod: r.Module, label: r.Label, kind: r.Kind, rel: r.Rel, consume: consume, spool: sp}
	if sp != nil && fetchedInRanges(r.Module, r.Kind) {
		req.ranges, req.limit = f.rangeStreams, r.Limit
	}
	res, err := f.src.fetchFrom(ctx, list, req)
	if sp != nil {
		out.file = sp.f
	}
	if err != nil {
		out.Close()
		if kept != nil && ctx.Err() == nil {
			// go's walk would have stopped at the first 200 answer. The
			// walk's record of the refusal names the mirror.
			why := keptErr
			for _, rerr := range res.Rejected {
				var me *ModuleError
				if errors.As(rerr, &me) && errors.Is(me.Err, keptErr) {
					kept.Mirror, why = me.Mirror, me
					break
				}
			}
			return nil, &UnacceptedError{Answer: kept, Err: why}
		}
		if kept != nil {
			kept.Close()
		}
		return nil, err
	}
	if kept != nil {
		kept.Close()
	}
	out.Mirror = res.Mirror
	out.Size = int64(len(out.data))
	if sp != nil {
		out.Size = sp.n
	}
	return out, nil
}

// limitOf is the size limit of a file of kind, go's where go has one.
func limitOf(kind Kind) int64 {
	switch kind {
	case KindInfo:
		return modsum.MaxInfo
	case KindZip:
		return modsum.MaxZip
	}
	return modsum.MaxGoMod
}

// spool holds a body being received in a temporary file, so that a body
// that broke off can be continued from where it stopped. The nil spool
// holds nothing and cannot resume.
type spool struct {
	f *os.File
	n int64
}

func (s *spool) offset() int64 {
	if s == nil {
		return 0
	}
	return s.n
}

// restart drops what the spool holds: the next body is the whole file.
func (s *spool) restart() {
	if s == nil || s.n == 0 {
		return
	}
	s.clear()
}

// clear empties the spool's file, also of bytes written at their offsets
// by fetchRanges, which the count n does not know of.
func (s *spool) clear() {
	if s == nil {
		return
	}
	s.n = 0
	s.f.Truncate(0)
}

// append adds body to the spool, refusing more than limit bytes in all.
// Bytes that arrived before a failure stay, for a resume.
func (s *spool) append(body io.Reader, limit int64) error {
	if _, err := s.f.Seek(s.n, io.SeekStart); err != nil {
		return err
	}
	n, err := io.CopyBuffer(s.f, io.LimitReader(body, limit-s.n+1), make([]byte, 64<<10))
	s.n += n
	if err != nil {
		return err
	}
	if s.n > limit {
		return &BodyError{Reason: fmt.Sprintf("answer larger than %d bytes", limit), TooLarge: true}
	}
	return nil
}

// contentRangeFrom returns the first byte position of a Content-Range
// header ("bytes 100-199/200"), or -1.
func contentRangeFrom(v string) int64 {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return -1
	}
	first, _, ok := strings.Cut(rest, "-")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(first, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// CheckAnswer rejects a mirror's answer that is not the file asked for, as
// the prefetch does before it publishes anything: an HTML page, garbage, a
// go.mod that does not parse, a zip that breaks the module zip rules, an
// .info go would not accept as the answer to its query (another version
// than the canonical one asked for, or no valid canonical version at all:
// modcache.InfoVersion), a @v/list that is not a list. It checks the
// form, not go.sum: a go command served the answer verifies its hashes
// itself. data is the answer in memory, file its path when spooled; kind is
// as in Request.
func CheckAnswer(kind Kind, m module.Version, data []byte, file string) error {
	switch kind {
	case KindMod:
		return checkGoModSyntax(m, data)
	case KindZip:
		return checkZipFile(m, file)
	case KindInfo, KindLatest:
		if mirrors.LooksHTML(data) {
			return &BodyError{Reason: "answered an HTML page, not a JSON ." + string(kind)}
		}
		if kind == KindLatest {
			var v struct{ Version string }
			if err := json.Unmarshal(data, &v); err != nil || v.Version == "" || module.Check(m.Path, v.Version) != nil {
				return &BodyError{Reason: "answered an invalid @latest"}
			}
			return nil
		}
		if _, err := modcache.CacheInfo(m, data); err != nil {
			return &BodyError{Reason: "answered an invalid .info", Err: err}
		}
	case KindList:
		if mirrors.LooksHTML(data) || bytes.IndexByte(data, 0) >= 0 {
			return &BodyError{Reason: "answered something that is not a version list"}
		}
	}
	return nil
}
