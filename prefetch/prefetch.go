// Package prefetch fills go's module cache with everything `go mod
// download` would fetch for a main module or workspace, many files at once
// over one shared HTTP client, every file verified against go.sum before it
// is published, so that the real go command that runs next finds a warm
// cache. go itself downloads GOMAXPROCS files at a time, each module's
// .info, .mod and .zip in turn, and then extracts every zip; on a distant
// mirror that leaves most of the link idle.
package prefetch

import (
	"context"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
)

// DefaultJobs is the number of parallel downloads when Options.Jobs is 0:
// enough concurrent streams to fill a high-latency link, which is what
// limits module downloads, not the CPU count go uses.
const DefaultJobs = 64

// DefaultIdleTimeout is how long a request may wait for headers or for the
// next body bytes before the mirror counts as stalled.
const DefaultIdleTimeout = 30 * time.Second

// DefaultRequestTimeout bounds one file's request from one mirror, retries
// included.
const DefaultRequestTimeout = 10 * time.Minute

// Options configure Run. Settings is required; every other zero value is
// documented as a usable default.
type Options struct {
	// Dir is the directory go would run in; "" is the current directory.
	Dir string
	// Settings are go env's values in Dir (GOMODCACHE, GOPROXY, GOFLAGS,
	// GOWORK, GOMOD, GOPRIVATE, GONOPROXY, GOVERSION, ...). Required.
	Settings *goenv.Settings
	// Env is the environment the HTTP proxy settings (HTTPS_PROXY,
	// HTTP_PROXY, NO_PROXY) are read from. Nil means no HTTP proxy.
	Env goenv.Environ
	// Auth is what is sent to mirrors that want credentials. Nil means
	// what go would send: GOAUTH's netrc method, the netrc file found
	// through Env (NETRC, HOME).
	Auth *goauth.Credentials
	// Chain returns the GOPROXY chain to download from. It is called only
	// once something must be downloaded, so a warm cache costs no mirror
	// probing. Nil means mirrors.ParseList(Settings.GOPROXY).
	Chain func(ctx context.Context) (mirrors.List, error)
	// Jobs is the number of parallel downloads; 0 means DefaultJobs. The
	// app layer passes GOFAST_JOBS here.
	Jobs int
	// Client is the HTTP client for every download. Nil means one client
	// built for many concurrent streams: Jobs idle connections per host,
	// HTTP/2 when the mirror offers it over TLS, the proxy from Env.
	Client *http.Client
	// Extract also unpacks every zip into the module cache as go does,
	// overlapped with the downloads (big zips while they download), and
	// hashing each file as it is unpacked. False leaves extraction to go,
	// which does it for what it builds.
	Extract bool
	// ExtractJobs bounds the zips verified or unpacked at once; 0 means
	// twice GOMAXPROCS (unpacking is CPU and file-creation work).
	ExtractJobs int
	// IgnoreVendor computes the set even in vendor mode, as `go mod
	// download` does (it never uses vendor mode). False yields an empty
	// report with Vendor set when go would build from vendor/.
	IgnoreVendor bool
	// NoInfo leaves .info files out: go mod tidy and go mod why fetch a
	// build's zips but never its .info files, and a warm-up must leave
	// the module cache as go alone would.
	NoInfo bool
	// Only restricts the zips fetched to these modules (explicit
	// `go mod download path@version` arguments). Nil means the whole set.
	Only []module.Version
	// OutputDir, when not empty, also receives every verified file as a
	// GOPROXY tree (<path>/@v/<version>.{info,mod,zip} and @v/list), for
	// GOPROXY=file://OutputDir or any static file server.
	OutputDir string
	// OnMirrorFailure is told about every mirror failure (URL and a
	// redacted reason), to demote the mirror for later runs. Nil ignores.
	OnMirrorFailure func(url, reason string)
	// Progress receives progress and the summary line ("gofast: ...").
	// Nil prints nothing.
	Progress io.Writer
	// Terminal draws a progress bar on Progress instead of plain lines.
	Terminal bool
	// Quiet leaves the summary line out: Progress then gets only the
	// progress bar (on a terminal), erased when the prefetch ends. A
	// warm-up before a go command is quiet, so that stderr holds what go
	// alone would write.
	Quiet bool
	// JSON, when not nil, receives the per-module report as JSON.
	JSON io.Writer
	// IdleTimeout fails a request that waits this long for headers or for
	// the next body bytes; 0 means 30s.
	IdleTimeout time.Duration
	// RequestTimeout bounds one file's request from one mirror, retries
	// included; 0 means 10 minutes.
	RequestTimeout time.Duration
	// Compute computes the module set; nil means modset.Compute. Tests
	// substitute fixed sets.
	Compute func(context.Context, modset.Options) (*modset.Set, error)

	// LockWait, when set, is called with a version lock's path when another
	// process has held it for a few seconds while gofast waits for it, so
	// the caller can name the holder. Nil means waiting silently.
	LockWait func(lockPath string)
}

// Status is a module's outcome.
type Status string

const (
	// Fetched means gofast downloaded, verified and published files.
	Fetched Status = "fetched"
	// Cached means everything was already in the module cache.
	Cached Status = "cached"
	// LeftToGo means gofast deliberately left the module to go (private,
	// direct, no go.sum line).
	LeftToGo Status = "left-to-go"
	// Failed means a download or verification failed; go will try itself.
	Failed Status = "failed"
)

// ModuleReport is one module's line in the report.
type ModuleReport struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Status  Status `json:"status"`
	// Files are the extensions fetched ("info", "mod", "zip").
	Files []string `json:"files,omitempty"`
	// Mirror is the redacted URL of the mirror used.
	Mirror     string  `json:"mirror,omitempty"`
	Bytes      int64   `json:"bytes"`
	DurationMS float64 `json:"duration_ms"`
	Retries    int     `json:"retries"`
	Extracted  bool    `json:"extracted,omitempty"`
	// Reason says why a module was left to go.
	Reason string `json:"reason,omitempty"`
	Error  string `json:"error,omitempty"`
	// Rejected are security errors from mirrors that served wrong bytes
	// before another mirror served the right ones.
	Rejected []string `json:"rejected,omitempty"`

	errs []error
}

// Report is the outcome of Run.
type Report struct {
	Modules  []*ModuleReport `json:"modules"`
	Fetched  int             `json:"fetched"`
	Cached   int             `json:"cached"`
	LeftToGo int             `json:"left_to_go"`
	Failed   int             `json:"failed"`
	Bytes    int64           `json:"bytes"`
	Seconds  float64         `json:"seconds"`
	// WalkSeconds is the time spent computing the module set (walking the
	// module graph, fetching go.mod files).
	WalkSeconds float64 `json:"walk_seconds"`
	// Mirrors are the redacted URLs that served files, most used first.
	Mirrors []string `json:"mirrors,omitempty"`
	// Chain is the GOPROXY chain used (nil if nothing was downloaded);
	// the app hands it to go so both use the same mirrors.
	Chain mirrors.List `json:"-"`
	// Vendor is true when go runs in vendor mode and nothing is needed.
	Vendor bool `json:"vendor,omitempty"`
	// Notes are the module set's remarks on what it does not cover
	// (toolchain switches, unreadable private requirements).
	Notes []string `json:"notes,omitempty"`
	// Files are the absolute paths of the .mod and .zip files present in
	// the module cache for the modules of Modules that were Fetched or
	// Cached, in their order: what a later run can stat to know that the
	// cache is still warm.
	Files []string `json:"-"`
}

// Err joins the errors of the failed modules (and every security error),
// one per line, or returns nil.
func (r *Report) Err() error {
	var errs []error
	for _, m := range r.Modules {
		errs = append(errs, m.errs...)
	}
	return errors.Join(errs...)
}

// Failures joins the errors of the modules that failed, one per line, or
// returns nil. Unlike Err it leaves out modules that were fetched in the
// end, whose rejections of a lying mirror are reported but leave nothing
// missing.
func (r *Report) Failures() error {
	var errs []error
	for _, m := range r.Modules {
		if m.Status == Failed {
			errs = append(errs, m.errs...)
		}
	}
	return errors.Join(errs...)
}

// Run computes what `go mod download` would fetch in opts.Dir and fetches
// whatever the module cache lacks. Per-module problems are in the report
// (and Report.Err); the returned error is for failures that stop the whole
// run: bad settings, an unreadable go.mod, cancellation.
func Run(ctx context.Context, opts Options) (*Report, error) {
	e, err := newEngine(opts)
	if err != nil {
		return nil, err
	}
	return e.run(ctx)
}
