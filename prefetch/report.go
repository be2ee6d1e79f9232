package prefetch

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/redact"
	"golang.org/x/mod/module"
)

// build turns the per-module lines into the report.
func (e *engine) build(start time.Time) *Report {
	e.mu.Lock()
	defer e.mu.Unlock()
	rep := &Report{}
	for _, r := range e.reports {
		if r.Status == "" {
			r.Status = Cached
		}
		rep.Modules = append(rep.Modules, r)
		rep.Bytes += r.Bytes
		switch r.Status {
		case Fetched:
			rep.Fetched++
		case Cached:
			rep.Cached++
		case LeftToGo:
			rep.LeftToGo++
		case Failed:
			rep.Failed++
		}
	}
	sort.Slice(rep.Modules, func(i, j int) bool {
		a, b := rep.Modules[i], rep.Modules[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Version < b.Version
	})
	rep.Files = e.cacheFiles(rep.Modules)
	e.src.mu.Lock()
	type use struct {
		url string
		n   int
	}
	var uses []use
	for u, n := range e.src.used {
		uses = append(uses, use{u, n})
	}
	e.src.mu.Unlock()
	sort.Slice(uses, func(i, j int) bool {
		return uses[i].n > uses[j].n || uses[i].n == uses[j].n && uses[i].url < uses[j].url
	})
	for _, u := range uses {
		rep.Mirrors = append(rep.Mirrors, redact.URL(u.url))
	}
	rep.Chain = e.src.chain
	rep.Seconds = time.Since(start).Seconds()
	return rep
}

// cacheFiles lists the .mod and .zip files in the module cache of the
// modules fetched or found cached: those verified or published by this
// run, and those go had already put there.
func (e *engine) cacheFiles(mods []*ModuleReport) []string {
	var files []string
	for _, r := range mods {
		if r.Status != Fetched && r.Status != Cached {
			continue
		}
		m := module.Version{Path: r.Path, Version: r.Version}
		for _, ext := range []string{"mod", "zip"} {
			if f, err := e.cache.File(m, ext); err == nil {
				if _, err := os.Stat(f); err == nil {
					files = append(files, f)
				}
			}
		}
	}
	return files
}

// finish prints the summary line (unless Quiet) and the JSON report.
func (e *engine) finish(rep *Report, start time.Time) error {
	rep.Seconds = time.Since(start).Seconds()
	if w := e.opts.Progress; w != nil && !e.opts.Quiet && (rep.Fetched > 0 || rep.Failed > 0) {
		fmt.Fprintf(w, "gofast: %s\n", rep.Summary())
	}
	if e.opts.JSON != nil {
		enc := json.NewEncoder(e.opts.JSON)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing JSON report: %w", err)
		}
	}
	return nil
}

// Summary is the report in one line, e.g. "prefetched 250 modules (272 MB)
// in 11.2s from https://mirror.example; 3 left to go".
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "prefetched %d modules (%s) in %.1fs", r.Fetched, Size(r.Bytes), r.Seconds)
	if len(r.Mirrors) > 0 {
		fmt.Fprintf(&b, " from %s", strings.Join(r.Mirrors, ", "))
	}
	if r.Cached > 0 {
		fmt.Fprintf(&b, "; %d already cached", r.Cached)
	}
	if r.LeftToGo > 0 {
		fmt.Fprintf(&b, "; %d left to go", r.LeftToGo)
	}
	if r.Failed > 0 {
		fmt.Fprintf(&b, "; %d failed", r.Failed)
	}
	return b.String()
}

// Size formats a byte count for people.
func Size(n int64) string {
	switch {
	case n >= 10<<20:
		return fmt.Sprintf("%d MB", (n+(1<<19))>>20)
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d kB", (n+(1<<9))>>10)
	}
	return fmt.Sprintf("%d B", n)
}
