// Package modset computes exactly which files `go mod download` (with no
// arguments) fetches for a main module or a go.work workspace: the zips of
// the modules that provide packages, the go.mod files of the module graph,
// and the .info files, with replace, exclude, GOPRIVATE/GONOPROXY, local
// replacements and vendor mode honoured, and the go.sum / go.work.sum
// hashes each file must match.
package modset

import (
	"context"

	"golang.org/x/mod/module"
)

// Fetcher supplies go.mod files of dependencies while the module graph is
// walked. The prefetch engine implements it: from the module cache when the
// file is there, else from the mirror chain, verified against go.sum and
// published to the cache as go would.
type Fetcher interface {
	// GoMod returns the go.mod file of m (m is the module after
	// replacement: the module whose .mod is downloaded).
	GoMod(ctx context.Context, m module.Version) ([]byte, error)
}

// Options configure Compute. Settings come from `go env -json` so that the
// go command's own view (go env -w included) is used.
type Options struct {
	// Dir is the directory go would run in; the main module or workspace is
	// found from it as go finds it (GOMOD/GOWORK below say what go found).
	Dir string
	// GOMOD and GOWORK are go env's values in Dir: the main go.mod path
	// ("" or os.DevNull outside a module) and the go.work path ("" or "off"
	// when no workspace is in use).
	GOMOD  string
	GOWORK string
	// GOFLAGS is go env's GOFLAGS (for -mod=vendor/-mod=mod/-modfile).
	GOFLAGS string
	// GOPRIVATE and GONOPROXY select the modules left to go (never sent to
	// a mirror): those matching GONOPROXY, which defaults to GOPRIVATE when
	// empty, as in go (goenv.Settings.NoProxy).
	GOPRIVATE string
	GONOPROXY string
	// GOVERSION is the running toolchain's version (go env GOVERSION), for
	// go-version-dependent graph rules. When a go.mod asks for a newer Go,
	// go would switch toolchains or fail; Compute notes it (Set.Notes) and
	// goes on. Empty means no such check.
	GOVERSION string
	// GOMODCACHE is go env's GOMODCACHE. The go.mod files of private
	// modules (which are never fetched through Fetch) are read from its
	// cache/download tree when present there. Empty means no module cache.
	GOMODCACHE string
	// IgnoreVendor computes the set even when go would run in vendor mode.
	// `go mod download` itself never uses vendor mode (it always runs as
	// -mod=mod and ignores -mod in GOFLAGS), so a caller preparing exactly
	// that command sets it; for build, test, list and the like it stays
	// false and a vendored module yields Set{Vendor: true}.
	IgnoreVendor bool
	// Fetch supplies go.mod files of the module graph. Required unless the
	// module has no dependencies.
	Fetch Fetcher
	// Jobs bounds concurrent Fetch calls while walking the graph; 0 means 16.
	Jobs int
	// Likely, when set, is called once, after go.mod and go.sum are read
	// and before the module graph is walked, with the zips the Set will
	// most likely hold (after replacement; no private modules or local
	// replacements) and the go.sum hashes to verify them with: the
	// versions a single main module's go.mod requires. A caller may start
	// downloading them while the graph is walked, but must publish only
	// what Set.Zips confirms: an untidy go.mod makes a guess wrong. It is
	// not called in a workspace or in vendor mode.
	Likely func(zips []module.Version, sums *Sums)
}

// Set is what `go mod download` would fetch, and how to verify it.
type Set struct {
	// Zips are the modules whose .zip (and .info, .ziphash) go mod download
	// puts in the cache, after replacement, sorted by path then version.
	Zips []module.Version
	// Mods are the modules whose .mod go reads to build the module graph
	// (a superset of Zips), after replacement, sorted.
	Mods []module.Version
	// Sums are the known hashes from go.sum (and go.work.sum and every
	// workspace module's go.sum).
	Sums *Sums
	// Skipped are modules left to go, with the reason (private, replaced by
	// a local directory, no go.sum line; modules go resolves direct are the
	// engine's to find, as Compute does not see GOPROXY). Private modules
	// and local replacements are in neither Zips nor Mods: go fetches the
	// former itself and reads the latter from disk. Modules with no go.sum
	// line stay in Zips and Mods as well, because go does fetch them; the
	// engine leaves them to go (Match reports known=false).
	Skipped []Skip
	// Vendor is true when go runs in vendor mode: nothing is fetched.
	Vendor bool
	// Notes are one-line remarks about what the set does not cover, for
	// the user's information: toolchain switches go would make, private
	// modules whose requirements could not be read, and the like.
	Notes []string
}

// Skip is a module gofast leaves for go to handle itself.
type Skip struct {
	// Module is the module go downloads (after replacement); for a local
	// directory replacement it is the replaced module at its selected
	// version.
	Module module.Version
	// Reason is one of the Reason constants.
	Reason string
	// Zip reports whether go downloads the module's zip too, not only its
	// go.mod file.
	Zip bool
}

// Reasons for a Skip.
const (
	// ReasonPrivate means the path matches GOPRIVATE or GONOPROXY, so it
	// is never sent to a mirror.
	ReasonPrivate = "private"
	// ReasonLocal means the module is replaced by a directory on disk;
	// nothing is downloaded for it.
	ReasonLocal = "replaced by a local directory"
	// ReasonNoSum means go.sum has no line for the module's go.mod or zip;
	// go verifies it against the checksum database itself.
	ReasonNoSum = "no go.sum line"
)

// Compute walks go.mod (or go.work), the module graph and go.sum files and
// returns the set. Errors name the file and line that is wrong.
func Compute(ctx context.Context, opts Options) (*Set, error) {
	return compute(ctx, opts)
}
