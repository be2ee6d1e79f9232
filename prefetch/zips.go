package prefetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/internal/redact"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
)

// A zip's way into the cache has three steps. The download streams the
// body to a temporary file and checks its structure, holding one network
// slot and no lock. Staging, on the CPU pool, verifies it against go.sum
// and, with Extract, unpacks it in the same pass (each file is
// decompressed once) into a private directory go never reads
// (modcache.StageZip). Publishing, under the version lock, only renames
// into place (modcache.Staged.Publish: the .ziphash, then the zip). When
// that fails for a reason a second try may fix, the refetch (fetchZip)
// takes the same steps under the lock, mirror by mirror, as go's
// DownloadZip does (zipConsumer).
//
// Zips the main go.mod makes likely (modset.Options.Likely) are
// downloaded and staged while the module graph is still being walked;
// they are published only once the walk has settled the set, and a zip
// the set does not confirm is discarded unpublished: the cache never
// receives a file go would not have fetched.

// errNotInSet cancels the download of a zip the module set turned out not
// to need.
var errNotInSet = errors.New("not in the module set")

// zipJob is one module's zip (and .info) on its way into the cache.
type zipJob struct {
	e      *engine
	m      module.Version
	want   []string // go.sum hashes of the zip
	spec   bool     // started before the set was known
	ctx    context.Context
	cancel context.CancelCauseFunc
	start  time.Time
}

// startZip starts downloading m's zip, and its .info unless cached or left
// out (Options.NoInfo). The caller has checked that m is public, has a
// go.sum line and lacks a zip.
func (e *engine) startZip(ctx context.Context, m module.Version, want []string, spec bool) {
	jctx, cancel := context.WithCancelCause(ctx)
	j := &zipJob{e: e, m: m, want: want, spec: spec, ctx: jctx, cancel: cancel, start: time.Now()}
	e.mu.Lock()
	e.zipJobs[m] = j
	e.mu.Unlock()
	e.jobs.Add(1)
	go j.run()
	if !e.opts.NoInfo && !e.cache.HasInfo(m) {
		e.jobs.Add(1)
		go j.info()
	}
}

// speculate is the module set's Likely hook: it starts the downloads of
// the zips go.mod makes likely, before the graph walk confirms them.
func (e *engine) speculate(ctx context.Context) func([]module.Version, *modset.Sums) {
	return func(zips []module.Version, sums *modset.Sums) {
		for _, m := range e.selectZips(zips) {
			if e.isPrivate(m) || len(sums.Zip(m)) == 0 || e.cache.HasZip(m) {
				continue
			}
			e.event("zip-speculative", m)
			e.startZip(ctx, m, sums.Zip(m), true)
		}
	}
}

// decide records the module set's zips once the walk is done: the
// downloads it does not confirm are cancelled and discarded, and the zips
// it needs that no speculative download covers are started (or, when
// already cached, extracted if asked to). A nil zips (the walk failed)
// discards every speculative download.
func (e *engine) decide(ctx context.Context, zips []module.Version, sums *modset.Sums) {
	final := make(map[module.Version]bool, len(zips))
	for _, m := range zips {
		final[m] = true
	}
	e.mu.Lock()
	e.final = final
	jobs := make([]*zipJob, 0, len(e.zipJobs))
	for _, j := range e.zipJobs {
		jobs = append(jobs, j)
	}
	e.mu.Unlock()
	close(e.decided)
	for _, j := range jobs {
		if !final[j.m] {
			j.cancel(errNotInSet)
			e.event("zip-unneeded", j.m)
		}
	}
	for _, m := range zips {
		e.mu.Lock()
		_, started := e.zipJobs[m]
		e.mu.Unlock()
		switch {
		case started:
			e.prog.add(1)
		case e.isPrivate(m):
			e.leave(m, "private module (GOPRIVATE/GONOPROXY)")
		case len(sums.Zip(m)) == 0:
			e.leave(m, "no go.sum line for its zip")
		case !e.cache.HasZip(m):
			e.prog.add(1)
			e.startZip(ctx, m, sums.Zip(m), false)
		default:
			if !e.opts.NoInfo && !e.cache.HasInfo(m) {
				j := &zipJob{e: e, m: m, ctx: ctx, start: time.Now()}
				e.jobs.Add(1)
				go j.info()
			}
			if e.opts.Extract && !e.cache.Extracted(m) {
				e.jobs.Add(1)
				go func() {
					defer e.jobs.Done()
					e.cpu.run(ctx, e.zipSize(m), func() { e.extract(ctx, m) })
				}()
			}
		}
	}
}

// confirmed waits until the set is known and reports whether it holds
// j's zip (false too when j was cancelled).
func (j *zipJob) confirmed() bool {
	select {
	case <-j.e.decided:
	case <-j.ctx.Done():
		return false
	}
	j.e.mu.Lock()
	defer j.e.mu.Unlock()
	return j.e.final[j.m] && j.ctx.Err() == nil
}

// downloadedZip is a zip body on disk, structurally checked, not yet
// verified against go.sum, and the unpacker that followed it when it was
// big enough to be worth unpacking while it downloaded.
type downloadedZip struct {
	tmp    string
	size   int64
	stream *modcache.ZipStream
}

// followAfter is the size from which a zip is unpacked while it
// downloads: a big zip arrives over seconds, and unpacking it only after
// its last byte would add those seconds at the end of the run.
const followAfter = 1 << 20

// run takes the zip through download, staging and, once the set confirms
// it, publication.
func (j *zipJob) run() {
	e, m := j.e, j.m
	defer e.jobs.Done()
	dl, res, err := j.download()
	var st *modcache.Staged
	var stageErr error
	if err == nil {
		st, stageErr = j.stage(dl)
	}
	if !j.confirmed() {
		st.Discard()
		e.event("zip-discarded", m)
		return
	}
	defer e.prog.done()
	e.prog.bytes(res.Bytes)
	if errors.Is(err, errStagingLost) {
		// A concurrent go is fetching this zip under the lock: wait for
		// the lock and take its copy (or fetch again the way go does).
		j.refetch("", nil)
		return
	}
	if err != nil {
		e.record(m, "zip", j.start, res, err)
		return
	}
	var content *modcache.ZipContentError
	switch err := stageErr; {
	case err == nil:
		j.publish(st, res)
	case j.ctx.Err() != nil:
		e.record(m, "zip", j.start, res, context.Cause(j.ctx))
	case (errors.Is(err, ErrChecksum) || errors.As(err, &content)) && !errors.Is(err, fs.ErrNotExist):
		// The mirror served wrong bytes: report it, and ask the rest of
		// the chain, verifying each answer before it is accepted.
		if !errors.Is(err, ErrChecksum) {
			err = &BodyError{Reason: "not a valid module zip: its contents do not match its directory", Err: err}
		}
		rejected := &ModuleError{Module: m, File: "zip", Mirror: redact.URL(res.Mirror), Err: err}
		e.src.demote(mirrors.Entry{URL: res.Mirror}, err)
		j.refetch(res.Mirror, rejected)
	case e.cache.HasZip(m) && (!e.opts.Extract || e.cache.Extracted(m)):
		// A concurrent go (or gofast) published it, and cleaned our
		// staging up as a leftover while doing so (go removes
		// <version>.zip*.tmp and <dir>.tmp-* under the version lock; a
		// staging file that vanished is never the mirror's fault).
	default:
		// A local failure (the file system refused something): try once
		// more the way go does it, all under the lock.
		j.refetch("", nil)
	}
}

// download fetches the zip into a temporary file, holding a network slot.
func (j *zipJob) download() (downloadedZip, fetchResult, error) {
	e := j.e
	var dl downloadedZip
	if !e.acquire(j.ctx, e.netSlots) {
		return dl, fetchResult{}, context.Cause(j.ctx)
	}
	defer e.release(e.netSlots)
	var gate modcache.CPUGate
	if e.opts.Extract {
		gate = e.cpu
	}
	e.event("zip", j.m)
	res, err := e.src.fetch(j.ctx, j.m, KindZip, "", downloadZipConsumer(j.ctx, e.cache, j.m, gate, &dl))
	e.event("zip-done", j.m)
	return dl, res, err
}

// stage verifies the downloaded zip against go.sum and, with Extract,
// unpacks it into its private directory: from what the unpacker that
// followed the download wrote when it could be used, else from the file,
// with a token of the CPU pool.
func (j *zipJob) stage(dl downloadedZip) (st *modcache.Staged, err error) {
	e, m := j.e, j.m
	if dl.stream != nil {
		var ok bool
		st, ok, err = dl.stream.Stage(j.ctx, zipHashCheck(m, j.want))
		if ok {
			e.event("stage-streamed", m)
			return st, err
		}
		e.event("stream-failed", m)
	}
	if perr := e.cpu.run(j.ctx, dl.size, func() {
		e.event("stage", m)
		st, err = e.cache.StageZip(j.ctx, m, dl.tmp, e.opts.Extract, zipHashCheck(m, j.want))
		e.event("stage-done", m)
	}); perr != nil {
		os.Remove(dl.tmp) // cancelled before it could be staged
		return nil, perr
	}
	return st, err
}

// publish moves the staged zip into place under m's lock, after removing
// leftovers of interrupted downloads as go's downloadZip does, and
// records the outcome.
func (j *zipJob) publish(st *modcache.Staged, res fetchResult) {
	e, m := j.e, j.m
	e.event("publish", m)
	unlock, err := e.cache.Lock(j.ctx, m)
	if err != nil {
		st.Discard()
		e.record(m, "zip", j.start, res, &ModuleError{Module: m, File: "zip", Err: err})
		return
	}
	e.cache.CleanZipTemps(m, st.Zip())
	err = st.Publish(j.ctx)
	unlock()
	if err != nil {
		e.record(m, "zip", j.start, res, &ModuleError{Module: m, File: "zip", Err: err})
		return
	}
	e.record(m, "zip", j.start, res, nil)
	switch {
	case !e.opts.Extract:
	case e.cache.Extracted(m):
		e.markExtracted(m)
	default:
		// Another process published a different (also verified) zip
		// while we staged ours: unpack theirs.
		e.cpu.run(j.ctx, e.zipSize(m), func() { e.extract(j.ctx, m) })
	}
}

// zipHashCheck returns the check that a zip hash of m is one of want,
// m's go.sum hashes of its zip.
func zipHashCheck(m module.Version, want []string) func(hash string) error {
	return func(hash string) error {
		return checkSum(KindZip, m, want, hash)
	}
}

// refetch downloads a zip again, under the lock and verifying inline as
// each mirror answers, as go's DownloadZip does: after liar served wrong
// bytes for it (rejected says what), from the rest of the chain, or
// (liar "") after a local failure, from the whole chain.
func (j *zipJob) refetch(liar string, rejected error) {
	e, m := j.e, j.m
	e.event("zip-refetch", m)
	var prior []error
	if rejected != nil {
		prior = append(prior, rejected)
	}
	if !e.acquire(j.ctx, e.netSlots) {
		e.record(m, "zip", j.start, fetchResult{Rejected: prior}, context.Cause(j.ctx))
		return
	}
	ok := e.fetchZip(j.ctx, m, liar, prior)
	e.release(e.netSlots)
	if ok && e.opts.Extract {
		e.cpu.run(j.ctx, e.zipSize(m), func() { e.extract(j.ctx, m) })
	}
}

// zipSize is the size of m's cached zip, or 0.
func (e *engine) zipSize(m module.Version) int64 {
	p, err := e.cache.File(m, "zip")
	if err != nil {
		return 0
	}
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// info downloads m's .info and publishes it once the set confirms m.
func (j *zipJob) info() {
	e, m := j.e, j.m
	defer e.jobs.Done()
	if !e.acquire(j.ctx, e.infoSlots) {
		return
	}
	start := time.Now()
	var data []byte
	res, err := e.src.fetch(j.ctx, m, KindInfo, "", infoDataConsumer(m, &data))
	e.release(e.infoSlots)
	if j.spec && !j.confirmed() {
		return
	}
	if err == nil {
		err = e.cache.PublishInfo(j.ctx, m, data)
	}
	e.prog.bytes(res.Bytes)
	e.record(m, "info", start, res, err)
}

// acquire takes a slot of sem, or gives up when ctx ends.
func (e *engine) acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (e *engine) release(sem chan struct{}) { <-sem }

// markExtracted notes in m's report line that its zip was unpacked.
func (e *engine) markExtracted(m module.Version) {
	r := e.report(m)
	e.mu.Lock()
	r.Extracted = true
	e.mu.Unlock()
}

// downloadZipConsumer streams a .zip body to a temporary file next to its
// final place and applies the module zip rules (HTML pages, garbage and
// malformed archives are wrong bytes, so the next mirror is tried at
// once). The go.sum hash is checked when the zip is staged. With a gate
// (when zips are extracted), a zip that grows past followAfter is unpacked
// while it downloads (modcache.FollowZip), in jctx, the job's context,
// holding a token of gate while it works.
func downloadZipConsumer(jctx context.Context, c *modcache.Cache, m module.Version, gate modcache.CPUGate, out *downloadedZip) consumer {
	return func(ctx context.Context, body io.Reader) (err error) {
		f, err := c.CreateTemp(ctx, m, "zip")
		if err != nil {
			return err
		}
		tmp := f.Name()
		var stream *modcache.ZipStream
		defer func() {
			if err != nil {
				f.Close()
				if stream != nil {
					stream.Discard()
				}
				os.Remove(tmp)
			}
		}()
		buf := make([]byte, 64<<10)
		var n int64
		for {
			k, rerr := body.Read(buf)
			if k > 0 {
				if n+int64(k) > modsum.MaxZip {
					return &BodyError{Reason: fmt.Sprintf("zip larger than %d bytes", modsum.MaxZip), TooLarge: true}
				}
				if _, err := f.Write(buf[:k]); err != nil {
					return err
				}
				n += int64(k)
				if stream == nil && gate != nil && n >= followAfter {
					stream = c.FollowZip(jctx, m, tmp, gate, followPriority)
				}
				if stream != nil {
					stream.Wrote(n)
				}
			}
			if rerr == io.EOF {
				break
			}
			if rerr != nil {
				return rerr
			}
		}
		if err := f.Close(); err != nil {
			return err
		}
		if stream != nil {
			stream.Close(nil)
		}
		if err := checkZipFile(m, tmp); err != nil {
			if _, serr := os.Stat(tmp); errors.Is(serr, fs.ErrNotExist) {
				return errStagingLost
			}
			return err
		}
		*out = downloadedZip{tmp: tmp, size: n, stream: stream}
		return nil
	}
}

// zipConsumer is the consumer of the under-lock refetch (fetchZip), in
// go's DownloadZip order: each mirror's answer is downloaded as
// downloadZipConsumer downloads it, then hashed, verified against want
// (m's go.sum hashes) and published with its .ziphash at once
// (modcache.PublishZip), so that wrong bytes send the chain on to the next
// mirror. The caller holds m's lock.
func zipConsumer(c *modcache.Cache, m module.Version, want []string) consumer {
	return func(ctx context.Context, body io.Reader) error {
		var dl downloadedZip
		if err := downloadZipConsumer(ctx, c, m, nil, &dl)(ctx, body); err != nil {
			return err
		}
		_, err := c.PublishZip(ctx, m, dl.tmp, zipHashCheck(m, want))
		var content *modcache.ZipContentError
		if errors.As(err, &content) && ctx.Err() == nil {
			// The directory passed checkZipFile but the contents could
			// not be read back for hashing: entries larger than their
			// recorded size (a zip bomb hiding its size), wrong CRCs,
			// truncated data. Wrong bytes, like a checksum mismatch.
			return &BodyError{Reason: "not a valid module zip: its contents do not match its directory", Err: err}
		}
		return err
	}
}

// infoDataConsumer reads and checks an .info body, keeping what go would
// store in *out.
func infoDataConsumer(m module.Version, out *[]byte) consumer {
	return func(ctx context.Context, body io.Reader) error {
		data, err := readLimited(body, modsum.MaxInfo)
		if err != nil {
			return err
		}
		if mirrors.LooksHTML(data) {
			return &BodyError{Reason: "answered an HTML page, not a JSON .info"}
		}
		clean, err := modcache.CacheInfo(m, data)
		if err != nil {
			return &BodyError{Reason: "answered an invalid .info", Err: err}
		}
		*out = clean
		return nil
	}
}
