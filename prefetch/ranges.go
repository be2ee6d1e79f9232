package prefetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/internal/web"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/hashicorp/go-retryablehttp"
	"golang.org/x/mod/module"
	"golang.org/x/sync/errgroup"
)

// fetchedInRanges reports whether a file is fetched in parallel byte
// ranges from a mirror that serves them: only a toolchain zip. It is one
// file of about 75 MB that go asks for in one stream, where the time of a
// per-connection throughput limit (a mirror's, a middlebox's, or TCP's own
// over a long, lossy path) adds up; every other zip is small, and the
// prefetch gets its parallelism from fetching many files at once.
func fetchedInRanges(m module.Version, kind Kind) bool {
	return m.Path == toolchain.Module && kind == KindZip
}

// Streams of a file fetched in ranges. Eight streams take a link whose
// connections are each held to a fraction of it to about eight times one
// stream, and are few beside the prefetch's own streams and the client's
// pool of idle connections per host (DefaultJobs), so that a toolchain
// switch during a prefetch does not crowd everything else out of the
// pool, and a mirror sees no more connections than a download manager
// opens.
const (
	DefaultRangeStreams = 8
	MaxRangeStreams     = 32
)

// rangeMinSize is the size from which a file is split: below it, the
// first stream's time is mostly the round trip, which more streams do not
// shorten, and the whole body is read from that one stream.
const rangeMinSize = 4 << 20

// errRangeRefused marks an answer to a Range request that is not the
// bytes asked for: the whole file (200), another range, another size, or a
// length that does not match. The file is then fetched as one stream.
var errRangeRefused = errors.New("mirror does not serve the byte ranges asked for")

// rangeClient is the client the streams of a ranged file go over.
func (s *source) rangeClient() *retryablehttp.Client {
	if s.rangesHTTP != nil {
		return s.rangesHTTP
	}
	return s.http
}

// segment is a part of a file fetched in ranges: bytes [next, end) are
// still to come.
type segment struct{ next, end int64 }

// fetchRanges fetches f from e in f.ranges byte ranges at once, written at
// their offsets into f.spool, and hands the assembled file to f.consume
// (with an empty body, so that it only checks the file, as after a
// resumed body).
//
// The first request asks for "bytes=0-": a mirror that ignores Range
// answers 200 with the whole file, which is read as one stream; a 206
// names the size, and is read as the first segment while the others are
// requested. A file of up to rangeMinSize bytes is read whole from that
// first answer. Every stream has its own deadline and stall watchdog, and each
// segment is resumed from where its body broke off as fromMirror resumes
// a file. An answer that is not the range asked for ends the attempt with
// errRangeRefused; any failure stops every stream and leaves the spool
// empty. The streams go over rangeClient, HTTP/1.1 with a connection each,
// since on one HTTP/2 connection they would share its limits.
func (s *source) fetchRanges(ctx context.Context, e mirrors.Entry, f fileReq) (n int64, retries int, err error) {
	sp := f.spool
	sp.clear()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	first, retries, err := s.open(ctx, s.rangeClient(), e, f.rel, "bytes=0-")
	if err != nil {
		return 0, retries, err
	}
	var total int64
	switch first.resp.StatusCode {
	case http.StatusOK:
		// The mirror ignores Range: this is the whole file, in one stream.
		defer first.close()
		err = f.consume(first.ctx, first.body)
		return first.body.n, retries, err
	case http.StatusPartialContent:
		total, err = checkRange(first.resp, 0, -1, -1)
	case http.StatusRequestedRangeNotSatisfiable:
		err = fmt.Errorf("%w: answered bytes=0- with %d", errRangeRefused, first.resp.StatusCode)
	default:
		err = first.statusError()
	}
	if err != nil {
		first.close()
		return 0, retries, err
	}
	// The consumer's appends hold a body to the limit; bytes written at
	// their offsets are held to it here, by the size the mirror told.
	if f.limit > 0 && total > f.limit {
		first.close()
		return 0, retries, &BodyError{Reason: fmt.Sprintf("answer larger than %d bytes", f.limit), TooLarge: true}
	}
	if total <= rangeMinSize {
		defer first.close()
		err = f.consume(first.ctx, first.body)
		return first.body.n, retries, err
	}

	segs := split(total, f.ranges)
	var (
		mu    sync.Mutex
		g     errgroup.Group
		extra int
	)
	for i := range segs {
		st := first
		if i > 0 {
			st = nil
		}
		g.Go(func() error {
			got, r, err := s.fillSegment(ctx, e, f.rel, sp, &segs[i], total, st)
			mu.Lock()
			n += got
			extra += r
			mu.Unlock()
			if err != nil {
				// The first failure is the cause; the other streams stop
				// on it.
				cancel(err)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		sp.clear()
		if c := context.Cause(ctx); c != nil {
			err = c
		}
		return n, retries + extra, err
	}
	sp.n = total
	if err := f.consume(ctx, strings.NewReader("")); err != nil {
		return n, retries + extra, err
	}
	return n, retries + extra, nil
}

// split divides total bytes into at most n segments of nearly equal size.
func split(total int64, n int) []segment {
	size := (total + int64(n) - 1) / int64(n)
	var segs []segment
	for a := int64(0); a < total; a += size {
		segs = append(segs, segment{next: a, end: min(a+size, total)})
	}
	return segs
}

// fillSegment fetches seg's bytes of a file of total bytes into sp at
// their offsets, starting with the open stream st when it is not nil
// (whose body starts at seg.next and may go on past seg.end). A body that
// broke off is continued from where it stopped, as fromMirror does for a
// whole file: up to maxResumes times after bodies that brought bytes, and
// bodyRetries times after ones that brought none; a stall is not retried.
func (s *source) fillSegment(ctx context.Context, e mirrors.Entry, rel string, sp *spool, seg *segment, total int64, st *stream) (n int64, retries int, err error) {
	buf := make([]byte, 64<<10)
	resumes, again := 0, 0
	for seg.next < seg.end {
		from := seg.next
		if st == nil {
			var r int
			st, r, err = s.openSegment(ctx, e, rel, *seg, total)
			retries += r
		}
		if st != nil {
			err = seg.receive(sp, st, buf)
			n += st.body.n
			st.close()
			st = nil
		}
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return n, retries, context.Cause(ctx)
		}
		var re *readError
		var wait time.Duration
		switch {
		case errors.As(err, &re) && !errors.Is(err, ErrStalled) && seg.next > from && resumes < maxResumes:
			wait = web.RetryWaitMin
			resumes++
		case errors.As(err, &re) && !errors.Is(err, ErrStalled) && again < bodyRetries:
			wait = web.Backoff(web.RetryWaitMin, web.RetryWaitMax, again, nil)
			again++
		default:
			return n, retries, err
		}
		retries++
		if err := pause(ctx, wait); err != nil {
			return n, retries, err
		}
	}
	return n, retries, nil
}

// openSegment asks for seg's bytes and returns the stream when the answer
// is exactly those bytes of a file of total bytes.
func (s *source) openSegment(ctx context.Context, e mirrors.Entry, rel string, seg segment, total int64) (*stream, int, error) {
	asked := fmt.Sprintf("bytes=%d-%d", seg.next, seg.end-1)
	st, retries, err := s.open(ctx, s.rangeClient(), e, rel, asked)
	if err != nil {
		return nil, retries, err
	}
	switch st.resp.StatusCode {
	case http.StatusPartialContent:
		_, err = checkRange(st.resp, seg.next, seg.end-1, total)
	case http.StatusOK, http.StatusRequestedRangeNotSatisfiable:
		err = fmt.Errorf("%w: answered %s with %d", errRangeRefused, asked, st.resp.StatusCode)
	default:
		err = st.statusError()
	}
	if err != nil {
		st.close()
		return nil, retries, err
	}
	return st, retries, nil
}

// checkRange checks a 206 answer to a request for bytes first-last (last
// -1: to the end) of a file of total bytes (-1: not known yet), and
// returns the file's size. The answer must be one range, exactly the one
// asked for, of a known size, with a Content-Length (if any) to match.
func checkRange(resp *http.Response, first, last, total int64) (int64, error) {
	cr := resp.Header.Get("Content-Range")
	a, b, size, ok := parseContentRange(cr)
	switch {
	case !ok:
		return 0, fmt.Errorf("%w: Content-Range %q", errRangeRefused, cr)
	case total >= 0 && size != total:
		return 0, fmt.Errorf("%w: Content-Range %q, for a file of %d bytes", errRangeRefused, cr, total)
	}
	if last < 0 {
		last = size - 1
	}
	switch {
	case a != first || b != last:
		return 0, fmt.Errorf("%w: asked for bytes %d-%d, answered Content-Range %q", errRangeRefused, first, last, cr)
	case resp.ContentLength >= 0 && resp.ContentLength != last-first+1:
		return 0, fmt.Errorf("%w: Content-Range %q with Content-Length %d", errRangeRefused, cr, resp.ContentLength)
	}
	return size, nil
}

// parseContentRange parses a Content-Range header of one satisfied range
// of a file of known size ("bytes 100-199/1000").
func parseContentRange(v string) (first, last, size int64, ok bool) {
	rest, ok := strings.CutPrefix(v, "bytes ")
	if !ok {
		return 0, 0, 0, false
	}
	r, s, ok1 := strings.Cut(rest, "/")
	a, b, ok2 := strings.Cut(r, "-")
	if !ok1 || !ok2 {
		return 0, 0, 0, false
	}
	var err1, err2, err3 error
	first, err1 = strconv.ParseInt(a, 10, 64)
	last, err2 = strconv.ParseInt(b, 10, 64)
	size, err3 = strconv.ParseInt(s, 10, 64)
	if err1 != nil || err2 != nil || err3 != nil || first < 0 || last < first || size <= last {
		return 0, 0, 0, false
	}
	return first, last, size, true
}

// receive writes st's body at seg's offsets into sp, up to seg.end, and
// moves seg.next past what arrived. A body that ends before seg.end is a
// short body (a *readError, to resume); one that goes on past seg.end
// when it was asked to end there is not the range asked for.
func (seg *segment) receive(sp *spool, st *stream, buf []byte) error {
	want := seg.end - seg.next
	got, err := io.CopyBuffer(io.NewOffsetWriter(sp.f, seg.next), io.LimitReader(st.body, want), buf)
	seg.next += got
	switch {
	case err != nil:
		return err
	case got < want:
		return &readError{err: &netError{err: fmt.Errorf("body ended %d bytes short of the range: %w", want-got, io.ErrUnexpectedEOF)}}
	}
	if _, asked, _, _ := parseContentRange(st.resp.Header.Get("Content-Range")); asked == seg.end-1 && st.resp.ContentLength < 0 {
		// No Content-Length held the body to the range: it must end here.
		if k, _ := st.body.Read(buf[:1]); k > 0 {
			return fmt.Errorf("%w: more bytes than the range asked for", errRangeRefused)
		}
	}
	return nil
}
