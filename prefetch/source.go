package prefetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/mod/module"
)

// brokenAfter is how many consecutive failures (not 404s) take a mirror
// out of the walk for the rest of the run, so that a mirror that stalls
// costs one idle timeout per stream, not one per file.
const brokenAfter = 3

// bodyRetries is how many times a file is re-requested from the same
// mirror after its body broke off (reset, short read); status-level
// failures are retried inside the HTTP client.
const bodyRetries = 2

// source fetches module files from the GOPROXY chain, walking it as go
// does, with deadlines, stall detection, retries and verification.
type source struct {
	chainFn   func(context.Context) (mirrors.List, error)
	http      *retryablehttp.Client
	auth      *goauth.Credentials // go's GOAUTH credentials, by URL prefix
	idle      time.Duration
	deadline  time.Duration
	onFailure func(url, reason string)

	// rangesHTTP carries the streams of a file fetched in byte ranges,
	// each on a connection of its own (see fetchRanges); nil means http.
	rangesHTTP *retryablehttp.Client

	chainOnce sync.Once
	chain     mirrors.List
	chainErr  error

	mu       sync.Mutex
	failures map[string]int
	lastFail map[string]string // the latest failure's reason, redacted
	used     map[string]int
	served   map[string]bool // mirror URL + " " + kind: has served such a file
}

// newSource returns a source walking chain's answer over hc.
func newSource(chain func(context.Context) (mirrors.List, error), hc *http.Client, auth *goauth.Credentials, idle, deadline time.Duration, onFailure func(url, reason string)) *source {
	return &source{
		chainFn:   chain,
		http:      newRetryClient(hc),
		auth:      auth,
		idle:      idle,
		deadline:  deadline,
		onFailure: onFailure,
		failures:  map[string]int{},
		used:      map[string]int{},
	}
}

// fetchResult says where a file came from and what it cost.
type fetchResult struct {
	Mirror  string
	Bytes   int64
	Retries int
	// Rejected are the answers of mirrors tried before the one used that
	// served wrong bytes: security errors to report even though the file
	// was then found elsewhere.
	Rejected []error
}

// consumer reads one response body, checks it and publishes it. Failures
// reading body are *readError; wrong bytes are BodyError or ChecksumError.
type consumer func(ctx context.Context, body io.Reader) error

// List returns the chain, asking for it on first use only: a warm cache
// never costs a mirror probe.
func (s *source) List(ctx context.Context) (mirrors.List, error) {
	s.chainOnce.Do(func() { s.chain, s.chainErr = s.chainFn(ctx) })
	return s.chain, s.chainErr
}

// fetch gets m's file of kind from the chain and hands the body
// to consume. A 404/410 moves to the next entry; another failure does so
// only after '|'; wrong bytes always do (they are never published); direct
// and off end the walk with ErrLeftToGo. exclude names a mirror known to
// lie about this file.
func (s *source) fetch(ctx context.Context, m module.Version, kind Kind, exclude string, consume consumer) (fetchResult, error) {
	list, err := s.List(ctx)
	if err != nil {
		return fetchResult{}, &ModuleError{Module: m, File: string(kind), Err: err}
	}
	rel, err := relPath(m, string(kind))
	if err != nil {
		return fetchResult{}, &ModuleError{Module: m, File: string(kind), Err: err}
	}
	return s.fetchFrom(ctx, list, fileReq{mod: m, kind: kind, rel: rel, exclude: exclude, consume: consume})
}

// fileReq is one file to get from a chain: rel is its path below each
// proxy's base URL; mod (or label, for no module's file) and kind (the
// values of Request.Kind) name it in errors and in the per-mirror
// accounting; exclude names a mirror known to lie about it; spool, when
// set, lets a body that broke off be resumed with a Range request; ranges,
// when above 1 and with a spool, is how many byte ranges of the file are
// fetched at once from a mirror that serves them (fetchRanges), and limit
// the largest size accepted there (consume holds other bodies to it).
type fileReq struct {
	mod     module.Version
	label   string
	kind    Kind
	rel     string
	exclude string
	consume consumer
	spool   *spool
	ranges  int
	limit   int64
}

// fetchFrom walks list for one file, as fetch describes.
func (s *source) fetchFrom(ctx context.Context, list mirrors.List, f fileReq) (fetchResult, error) {
	var res fetchResult
	m, kind, exclude := f.mod, f.kind, f.exclude
	// bestErr is the error go's own walk (modfetch's TryProxies) reports
	// when every entry failed: the last failure other than not found, or
	// else the last not found.
	var lastErr, bestErr error
	rank := func(err error) {
		if bestErr == nil || !errors.Is(err, fs.ErrNotExist) || errors.Is(bestErr, fs.ErrNotExist) {
			bestErr = err
		}
	}
	excluded := false
	for _, e := range list {
		if e.Kind != mirrors.Proxy {
			if lastErr != nil && !errors.Is(lastErr, fs.ErrNotExist) {
				return res, reachedTail(lastErr)
			}
			return res, reachedTail(&ModuleError{Module: m, Label: f.label, File: string(kind), Err: fmt.Errorf("%w (GOPROXY entry %s)", ErrLeftToGo, e.URL)})
		}
		if e.URL == exclude {
			excluded = true
			continue
		}
		if s.broken(e.URL) {
			lastErr = &ModuleError{Module: m, Label: f.label, File: string(kind), Mirror: e.Redacted(), Err: s.skipped(e.URL)}
			rank(lastErr)
			if e.FallbackOnError {
				continue
			}
			return res, lastErr
		}
		n, retries, err := s.fromMirror(ctx, e, f)
		res.Bytes += n
		res.Retries += retries
		if err == nil {
			s.succeeded(e.URL, kind)
			res.Mirror = e.URL
			return res, nil
		}
		if ctx.Err() != nil {
			return res, context.Cause(ctx)
		}
		if errors.Is(err, errStagingLost) {
			return res, err // local, not the mirror's doing
		}
		merr := &ModuleError{Module: m, Label: f.label, File: string(kind), Mirror: e.Redacted(), Err: err}
		lastErr = merr
		rank(merr)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case verifyError(err):
			// Wrong bytes do not make the mirror unreachable: they are
			// reported and demoted, but other files may still come from it.
			res.Rejected = append(res.Rejected, merr)
			s.demote(e, err)
			continue
		default:
			s.failed(e, err)
			if e.FallbackOnError {
				continue
			}
			return res, merr
		}
	}
	lastErr = bestErr
	if lastErr == nil && excluded {
		// The only mirror left served wrong bytes: that is a failure (go
		// would fail on the same bytes), not something to leave to go.
		lastErr = &ModuleError{Module: m, Label: f.label, File: string(kind), Mirror: redact.URL(exclude), Err: errors.New("served wrong bytes, and no other mirror in GOPROXY has the file")}
	}
	if lastErr == nil {
		lastErr = &ModuleError{Module: m, Label: f.label, File: string(kind), Err: fmt.Errorf("%w: no mirror in GOPROXY", ErrLeftToGo)}
	}
	return res, lastErr
}

// relPath is the file's path below a proxy's base URL.
func relPath(m module.Version, ext string) (string, error) {
	p, err := module.EscapePath(m.Path)
	if err != nil {
		return "", err
	}
	v, err := module.EscapeVersion(m.Version)
	if err != nil {
		return "", err
	}
	return p + "/@v/" + v + "." + ext, nil
}

func (s *source) broken(u string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failures[u] >= brokenAfter
}

// takesMirrorOut reports whether a failure counts towards taking the
// mirror out of the walk: one that costs time (a stall, a network or TLS
// error, 5xx or 429 through all retries). A prompt refusal of one file
// (401, 403 and other 4xx) says nothing of the next file: a mirror may
// refuse zips it will not redistribute and still serve every go.mod.
func takesMirrorOut(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return he.Status >= 500 || he.Status == http.StatusTooManyRequests || he.Status < 400
	}
	return true
}

// skipped is the reason a file is not asked of a broken mirror: the
// failures, and the last of them, so that the line the user reads names
// the cause (a refused certificate, a stall, a status) rather than a count.
func (s *source) skipped(u string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if why := s.lastFail[u]; why != "" {
		return fmt.Errorf("skipped after %d failures in a row, the last: %s", brokenAfter, why)
	}
	return fmt.Errorf("skipped after %d failures in a row", brokenAfter)
}

func (s *source) succeeded(u string, kind Kind) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[u] = 0
	s.used[u]++
	if s.served == nil {
		s.served = map[string]bool{}
	}
	s.served[u+" "+string(kind)] = true
}

// failed counts a failure and tells the caller's mirror ranking about it,
// so a bad mirror is demoted for the next runs too.
func (s *source) failed(e mirrors.Entry, err error) {
	s.mu.Lock()
	if takesMirrorOut(err) {
		s.failures[e.URL]++
	}
	if s.lastFail == nil {
		s.lastFail = map[string]string{}
	}
	s.lastFail[e.URL] = redact.String(err.Error())
	s.mu.Unlock()
	s.demote(e, err)
}

// demote tells the caller's mirror ranking about a failure.
func (s *source) demote(e mirrors.Entry, err error) {
	if s.onFailure != nil {
		s.onFailure(e.URL, redact.String(err.Error()))
	}
}

// fromMirror fetches from one mirror, re-requesting after a broken body
// (from where it broke off, when the request has a spool and the mirror
// answers Range requests; a body that brought bytes before it broke does
// not use up a retry then).
//
// A file with fileReq.ranges is asked for in byte ranges at first (see
// fetchRanges); when the mirror does not answer them as asked, and after a
// ranged attempt that failed, it is fetched as one stream.
func (s *source) fromMirror(ctx context.Context, e mirrors.Entry, f fileReq) (n int64, retries int, err error) {
	rel, consume := f.rel, f.consume
	if f.spool != nil {
		f.spool.restart()
	}
	inRanges := f.spool != nil && f.ranges > 1 && !e.IsFile()
	bodyAgain, rounds, resumes := 0, 0, 0
	for {
		var r int
		from := f.spool.offset()
		var got int64
		if inRanges {
			inRanges = false
			got, r, err = s.fetchRanges(ctx, e, f)
		} else {
			got, r, err = s.fetchStream(ctx, e, rel, consume, f.spool)
		}
		n += got
		retries += r
		if err == nil || ctx.Err() != nil {
			return n, retries, err
		}
		if errors.Is(err, errRangeRefused) {
			// The mirror does not serve ranges as asked: what it sent is
			// dropped, and the file is asked for as one stream at once.
			f.spool.clear()
			continue
		}
		var re *readError
		var wait time.Duration
		resumed := f.spool != nil && f.spool.offset() > from
		switch {
		case errors.As(err, &re) && !errors.Is(err, ErrStalled) && resumed && resumes < maxResumes:
			wait = web.RetryWaitMin
			resumes++
		case errors.As(err, &re) && !errors.Is(err, ErrStalled) && bodyAgain < bodyRetries:
			wait = web.Backoff(web.RetryWaitMin, web.RetryWaitMax, bodyAgain, nil)
			bodyAgain++
		case rounds < healthyRounds && !e.FallbackOnError && transient(err) && s.serving(e.URL, f.kind):
			// Give the client's retries another round, after a longer
			// wait: the mirror works, and go would fail on this file.
			wait = web.Backoff(web.RetryWaitMax/2, web.RetryWaitMax, 0, nil)
			rounds++
		default:
			return n, retries, err
		}
		retries++
		if err := pause(ctx, wait); err != nil {
			return n, retries, err
		}
	}
}

// maxResumes bounds the Range requests that continue one file from one
// mirror, so that a mirror breaking every body after a few bytes cannot
// keep a download going for ever.
const maxResumes = 16

// healthyRounds is how many more rounds of the client's retries a file gets
// from a mirror that has served other files of its kind (zip, mod, info) in
// this run, when a transient failure (5xx, 429, a dropped connection)
// outlasted a round and GOPROXY names no mirror to fall back to on errors.
// A mirror that works but fails a share of its requests then still fills
// the cache, where go, which never retries, would fail on the file; a
// mirror that serves no such file (nothing at all, or say go.mod files but
// no zips) gets no extra rounds, so it is left as fast as before.
const healthyRounds = 2

// transient reports whether a failure may pass on a later attempt: a 5xx
// (but 501) or 429 answer, or a network error that is neither a stall nor
// a certificate or policy refusal.
func transient(err error) bool {
	var he *HTTPError
	if errors.As(err, &he) {
		return web.RetryableStatus(he.Status)
	}
	var ne *netError
	return errors.As(err, &ne) && !errors.Is(err, ErrStalled) && web.RetryableError(ne.err)
}

// serving reports whether the mirror has delivered a file of kind in this
// run.
func (s *source) serving(u string, kind Kind) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served[u+" "+string(kind)]
}

// attemptKey carries an attempt's state to the HTTP client's hooks.
type attemptKey struct{}

type attemptState struct {
	retries atomic.Int32
	kick    func()
	pause   func()
}

// attemptHooks count retries and feed the stall watchdog: a new attempt is
// progress, and the watchdog is paused while the client waits to retry
// after a 429 or 5xx (that wait is bounded by the backoff, not a stall).
type attemptHooks struct{}

func (attemptHooks) request(_ retryablehttp.Logger, r *http.Request, n int) {
	if st, ok := r.Context().Value(attemptKey{}).(*attemptState); ok {
		if n > 0 {
			st.retries.Add(1)
		}
		st.kick()
	}
}

func (attemptHooks) response(_ retryablehttp.Logger, resp *http.Response) {
	if st, ok := resp.Request.Context().Value(attemptKey{}).(*attemptState); ok {
		if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
			st.pause()
		} else {
			st.kick()
		}
	}
}

// fetchStream makes one request for the file as one stream (with the
// client's own retries) and consumes the body, asking for the rest of the
// file when sp holds the start of it.
func (s *source) fetchStream(ctx context.Context, e mirrors.Entry, rel string, consume consumer, sp *spool) (int64, int, error) {
	if e.IsFile() {
		sp.restart()
		return s.fromFile(ctx, e, rel, consume)
	}
	from := sp.offset()
	rng := ""
	if from > 0 {
		rng = fmt.Sprintf("bytes=%d-", from)
	}
	st, retries, err := s.open(ctx, s.http, e, rel, rng)
	if err != nil {
		return 0, retries, err
	}
	defer st.close()
	resp := st.resp
	switch {
	case from > 0 && resp.StatusCode == http.StatusPartialContent && contentRangeFrom(resp.Header.Get("Content-Range")) == from:
		// The mirror continues where the last body broke off.
	case resp.StatusCode == http.StatusOK:
		sp.restart() // the whole file again
	default:
		if from > 0 && resp.StatusCode == http.StatusPartialContent {
			sp.restart()
			return 0, retries, &readError{err: &netError{err: errors.New("mirror answered a Range request with other bytes")}}
		}
		return 0, retries, st.statusError()
	}
	err = consume(st.ctx, st.body)
	return st.body.n, retries, err
}

// stream is one answer whose body is read under the stall watchdog and
// the request deadline; close releases the body, the watchdog and the
// deadline.
type stream struct {
	ctx   context.Context
	url   string // redacted
	resp  *http.Response
	body  *watchedReader
	close func()
}

// open sends one GET for rel to e over hc (with its retries), with the
// Range header rng when it is not empty, and returns the answer whatever
// its status. Waiting longer than the idle timeout for headers or
// for the next body bytes cancels the request with ErrStalled; the whole
// request is bounded by the deadline.
func (s *source) open(ctx context.Context, hc *retryablehttp.Client, e mirrors.Entry, rel, rng string) (*stream, int, error) {
	ctx, cancel := context.WithCancelCause(ctx)
	ctx, cancelDeadline := context.WithTimeoutCause(ctx, s.deadline, fmt.Errorf("%w: no complete answer within %v", ErrStalled, s.deadline))
	dog := time.AfterFunc(s.idle, func() {
		cancel(fmt.Errorf("%w: less than %d KB received in %v of waiting", ErrStalled, progressStep>>10, s.idle))
	})
	release := func() {
		dog.Stop()
		cancelDeadline()
		cancel(nil)
	}
	st := &attemptState{kick: func() { dog.Reset(s.idle) }, pause: func() { dog.Stop() }}
	ctx = context.WithValue(ctx, attemptKey{}, st)

	// rel is a path, not a piece of URL: a version may hold '#', '%' or a
	// space. Like go's web.Join, it is sent as it is when that is a valid
	// encoding of itself (the common case, '!' escapes included), and
	// escaped otherwise.
	u := strings.TrimSuffix(e.URL, "/") + "/" + (&url.URL{Path: rel, RawPath: rel}).EscapedPath()
	req, err := retryablehttp.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		release()
		return nil, 0, &netError{err: err}
	}
	if rng != "" {
		req.Header.Set("Range", rng)
	}
	resp, err := web.Send(req.Request, s.auth, func(r *http.Request) (*http.Response, error) {
		rr, err := retryablehttp.FromRequest(r)
		if err != nil {
			return nil, err
		}
		return hc.Do(rr)
	})
	retries := int(st.retries.Load())
	if err != nil {
		if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
			err = c
		}
		release()
		return nil, retries, &netError{err: err}
	}
	st.kick()
	body := &watchedReader{r: resp.Body, ctx: ctx, idle: s.idle, budget: s.idle,
		arm: func(d time.Duration) { dog.Reset(d) }, stop: func() { dog.Stop() }}
	return &stream{ctx: ctx, url: redact.URL(u), resp: resp, body: body, close: func() {
		resp.Body.Close()
		release()
	}}, retries, nil
}

// statusError is the error for an answer whose status is not the file,
// with the first line of its body, and the start of the body and its
// Content-Type as sent (for the loopback proxy to relay).
func (st *stream) statusError() error {
	body, _ := io.ReadAll(io.LimitReader(st.resp.Body, MaxErrorBody))
	return &HTTPError{URL: st.url, Status: st.resp.StatusCode, Detail: firstLine(string(body)),
		Body: body, ContentType: st.resp.Header.Get("Content-Type")}
}

// fromFile serves a file:// GOPROXY entry from disk, as go does. The file
// is opened inside the entry's tree and nowhere else: rel must be a clean
// slash path below it (no "..", no absolute or empty element, no
// backslash, which Windows would take for a separator), else it is
// answered as a file the tree does not have (a 404, as a proxy answers a
// path it does not serve); and os.Root refuses to follow a symbolic link
// out of the tree, an error.
func (s *source) fromFile(ctx context.Context, e mirrors.Entry, rel string, consume consumer) (int64, int, error) {
	u, err := url.Parse(e.URL)
	if err != nil {
		return 0, 0, err
	}
	dir := u.Path
	if runtime.GOOS == "windows" && len(dir) >= 3 && dir[0] == '/' && dir[2] == ':' {
		dir = dir[1:]
	}
	if !fs.ValidPath(rel) || strings.Contains(rel, `\`) {
		return 0, 0, &fs.PathError{Op: "open", Path: rel, Err: fmt.Errorf("%w: not a path inside the file:// tree", fs.ErrNotExist)}
	}
	f, err := os.OpenInRoot(filepath.FromSlash(dir), filepath.FromSlash(rel))
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	body := &watchedReader{r: f, ctx: ctx}
	err = consume(ctx, body)
	return body.n, 0, err
}

// watchedReader runs the stall watchdog over a response body and marks
// read failures as *readError, naming a stall as such.
//
// Only the time spent waiting for the mirror inside Read counts (time the
// consumer spends writing the previous bytes to a slow disk is no stall),
// and the budget of idle time is restored only after every progressStep
// bytes: a body must bring progressStep bytes within each idle period of
// waiting (about 550 B/s with the default 30 s), so a mirror that trickles
// a byte at a time cannot hold a download open forever.
type watchedReader struct {
	r   io.Reader
	ctx context.Context
	n   int64
	// arm starts the watchdog to fire after d; stop pauses it. Both nil
	// for sources that cannot stall (files).
	arm     func(d time.Duration)
	stop    func()
	idle    time.Duration
	budget  time.Duration // waiting time left before the next step
	pending int64         // bytes since the budget was last restored
}

// progressStep is how many body bytes restore the stall budget.
const progressStep = 16 << 10

func (w *watchedReader) Read(p []byte) (int, error) {
	var n int
	var err error
	if w.arm == nil {
		n, err = w.r.Read(p)
	} else {
		w.arm(max(w.budget, 0))
		start := time.Now()
		n, err = w.r.Read(p)
		w.stop()
		w.budget -= time.Since(start)
	}
	if n > 0 {
		w.n += int64(n)
		w.pending += int64(n)
		if w.pending >= progressStep {
			w.pending = 0
			w.budget = w.idle
		}
	}
	if err != nil && err != io.EOF {
		if c := context.Cause(w.ctx); c != nil && errors.Is(c, ErrStalled) {
			err = c
		}
		return n, &readError{err: &netError{err: err}}
	}
	return n, err
}

// netError is a transport failure whose message has URL credentials
// removed.
type netError struct{ err error }

func (e *netError) Error() string { return redact.String(e.err.Error()) }
func (e *netError) Unwrap() error { return e.err }

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return s
}

// pause waits d, or until ctx ends (its cause is returned).
func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx)
	case <-t.C:
		return nil
	}
}
