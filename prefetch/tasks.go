package prefetch

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofastdev/gofast/internal/redact"
	"golang.org/x/mod/module"
)

// record folds one file's outcome into m's report line.
func (e *engine) record(m module.Version, ext string, start time.Time, res fetchResult, err error) {
	r := e.report(m)
	e.mu.Lock()
	defer e.mu.Unlock()
	r.Bytes += res.Bytes
	r.Retries += res.Retries
	r.DurationMS += float64(time.Since(start)) / float64(time.Millisecond)
	for _, rej := range res.Rejected {
		r.Rejected = append(r.Rejected, rej.Error())
		r.errs = append(r.errs, rej)
	}
	switch {
	case err == nil:
		r.Files = append(r.Files, ext)
		if res.Mirror != "" {
			r.Mirror = redact.URL(res.Mirror)
		}
		if r.Status == "" || r.Status == Cached {
			r.Status = Fetched
		}
	case errors.Is(err, ErrLeftToGo):
		if r.Status != Failed {
			r.Status, r.Reason = LeftToGo, trimLeft(err)
		}
	default:
		r.Status = Failed
		if r.Error == "" {
			r.Error = err.Error()
		}
		r.errs = append(r.errs, err)
	}
}

// trimLeft turns an ErrLeftToGo chain into its reason.
func trimLeft(err error) string {
	var me *ModuleError
	if errors.As(err, &me) {
		return me.Err.Error()
	}
	return err.Error()
}

// leave marks m as left to go.
func (e *engine) leave(m module.Version, reason string) {
	r := e.report(m)
	e.mu.Lock()
	defer e.mu.Unlock()
	if r.Status == "" || r.Status == Cached {
		r.Status, r.Reason = LeftToGo, reason
	}
}

// fetchZip downloads, verifies and publishes m's .zip and .ziphash under
// m's lock, as go's DownloadZip: if another process published them while
// we waited for the lock, nothing is downloaded. exclude names a mirror
// known to have lied about the zip, rejected what it served. It reports
// whether the zip is now in the cache.
func (e *engine) fetchZip(ctx context.Context, m module.Version, exclude string, rejected []error) bool {
	start := time.Now()
	unlock, err := e.cache.Lock(ctx, m)
	if err != nil {
		e.record(m, "zip", start, fetchResult{Rejected: rejected}, &ModuleError{Module: m, File: "zip", Err: err})
		return false
	}
	defer unlock()
	if e.cache.HasZip(m) {
		e.record(m, "zip", start, fetchResult{Rejected: rejected}, nil)
		return true
	}
	e.cache.CleanZipTemps(m, "")
	e.event("zip", m)
	res, err := e.src.fetch(ctx, m, KindZip, exclude, zipConsumer(e.cache, m, e.sums.Zip(m)))
	e.event("zip-done", m)
	res.Rejected = append(rejected, res.Rejected...)
	e.prog.bytes(res.Bytes)
	e.record(m, "zip", start, res, err)
	return err == nil
}

// ensureMod makes sure m's go.mod is in the cache, verified: the copy held
// from the graph walk when go.sum vouches for it, else a fresh download
// (from another mirror if the held copy was wrong).
func (e *engine) ensureMod(ctx context.Context, m module.Version) {
	start := time.Now()
	e.mu.Lock()
	h, held := e.held[m]
	e.mu.Unlock()
	exclude := ""
	var rejected []error
	if held {
		known, err := checkGoModSum(e.sums, m, h.data)
		switch {
		case err == nil && !known:
			e.leave(m, "no go.sum line for its go.mod")
			return
		case err == nil:
			err = e.cache.PublishMod(ctx, m, h.data)
			e.record(m, "mod", start, fetchResult{Mirror: h.mirror}, err)
			return
		default:
			rejected = append(rejected, &ModuleError{Module: m, File: "mod", Mirror: redact.URL(h.mirror), Err: err})
			exclude = h.mirror
		}
	} else if len(e.sums.Mod(m)) == 0 {
		e.leave(m, "no go.sum line for its go.mod")
		return
	}
	var data []byte
	res, err := e.src.fetch(ctx, m, KindMod, exclude, modConsumer(m, e.sums, &data))
	res.Rejected = append(rejected, res.Rejected...)
	if err == nil {
		err = e.cache.PublishMod(ctx, m, data)
	}
	e.prog.bytes(res.Bytes)
	e.record(m, "mod", start, res, err)
}

// extract unpacks m's zip into the cache as go would.
func (e *engine) extract(ctx context.Context, m module.Version) {
	e.event("extract", m)
	defer e.event("extract-done", m)
	if err := e.cache.Extract(ctx, m); err != nil {
		e.record(m, "extract", time.Now(), fetchResult{}, &ModuleError{Module: m, File: "zip", Err: fmt.Errorf("extracting: %w", err)})
		return
	}
	r := e.report(m)
	e.mu.Lock()
	r.Extracted = true
	e.mu.Unlock()
}
