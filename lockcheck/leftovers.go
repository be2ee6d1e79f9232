package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/gofastdev/gofast/internal/modcache"
)

// checkLeftovers reports what crashed writers left behind, and with Fix
// removes it while holding the version's lock, exactly as the go command
// cleans up before it writes (modfetch.downloadZip and unzip): holding the
// lock is what proves the writer is gone. While another process holds the
// lock the files are work in progress and are neither reported nor touched.
func (sc *scanner) checkLeftovers(ctx context.Context) error {
	keys := make([]string, 0, len(sc.versions))
	for k := range sc.versions {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		v := sc.versions[k]
		if !v.hasLeftovers() {
			continue
		}
		if v.lock != nil && (v.lock.Held || v.lock.unknown) {
			continue // being written now, or unknowable
		}
		fixed := map[string]bool{}
		if sc.opts.Fix && !sc.stalled && v.lock != nil && (len(v.zipTemps) > 0 || v.partial != "" || len(v.tmpDirs) > 0) {
			var busy bool
			var err error
			fixed, busy, err = sc.fixVersion(ctx, v)
			if err != nil {
				return err
			}
			if busy {
				continue // a writer took the lock since the probe
			}
		}
		sc.reportLeftovers(v, fixed)
	}
	for _, p := range sc.strayTemps {
		sc.problems = append(sc.problems, Problem{
			Kind:   TempFile,
			Path:   p,
			Detail: "temporary file that no go command writes under a version lock",
			Fix:    "rm " + shellQuote(p) + " once no go command is running",
		})
	}
	return nil
}

func (v *version) hasLeftovers() bool {
	return len(v.zipTemps) > 0 || len(v.otherTemps) > 0 || v.partial != "" || len(v.tmpDirs) > 0 || (v.zip && !v.ziphash)
}

// reportLeftovers adds one problem per leftover of v; fixed marks the paths
// removed.
func (sc *scanner) reportLeftovers(v *version, fixed map[string]bool) {
	mv := v.module + "@" + v.version
	noLock := ""
	if v.lock == nil {
		noLock = "; no lock file guards this version, so gofast cannot prove its writer is gone"
	}
	cleanFix := "gofast lockcheck --fix (removes it while holding the version lock)"
	if v.lock == nil {
		cleanFix = "rm " + "-r " + "<path> once no go command is running"
	}
	for _, p := range v.zipTemps {
		sc.problems = append(sc.problems, Problem{
			Kind: TempFile, Path: p, Fixed: fixed[p],
			Detail: "partial download of " + mv + " left by a go command that died" + noLock,
			Fix:    strings.Replace(cleanFix, "<path>", shellQuote(p), 1),
		})
	}
	for _, p := range v.otherTemps {
		sc.problems = append(sc.problems, Problem{
			Kind: TempFile, Path: p,
			Detail: "temporary .mod/.info file of " + mv + "; go writes these without the version lock, so no lock proves their writer is gone",
			Fix:    "rm " + shellQuote(p) + " once no go command is running",
		})
	}
	extract := v.extractDir(sc.root)
	if v.partial != "" {
		sc.problems = append(sc.problems, Problem{
			Kind: Partial, Path: extract, Fixed: fixed[v.partial],
			Detail: "extraction of " + mv + " was interrupted (" + filepath.Base(v.partial) + " marker); go ignores the directory and extracts again" + noLock,
			Fix:    strings.Replace(cleanFix, "<path>", shellQuote(extract)+" "+shellQuote(v.partial), 1),
		})
	}
	for _, p := range v.tmpDirs {
		sc.problems = append(sc.problems, Problem{
			Kind: Partial, Path: p, Fixed: fixed[p],
			Detail: "temporary extraction directory of " + mv + " left by a go command older than 1.16" + noLock,
			Fix:    strings.Replace(cleanFix, "<path>", shellQuote(p), 1),
		})
	}
	if v.zip && !v.ziphash {
		zip := filepath.Join(v.vdir, v.escVer+".zip")
		sc.problems = append(sc.problems, Problem{
			Kind: MissingZiphash, Path: zip,
			Detail: "the zip of " + mv + " has no .ziphash, so it was never checked against go.sum or the checksum database",
			Fix:    "go mod download " + shellQuote(mv) + " (go hashes the zip again and checks it)",
		})
	}
}

// fixVersion removes v's provable leftovers while holding v's lock, taken
// without waiting exactly as the go command takes it. If the lock is held,
// it returns nothing fixed: the files belong to a running writer. The
// directory is read again under the lock, since go may have cleaned up or
// started over in the meantime. busy reports that the lock was held.
func (sc *scanner) fixVersion(ctx context.Context, v *version) (fixed map[string]bool, busy bool, err error) {
	fixed = map[string]bool{}
	unlock, ok, err := tryLock(ctx, v.lock.Path, sc.opts.ProbeTimeout)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return fixed, false, nil // left as reported: not provably stale
	}
	if !ok {
		return fixed, true, nil
	}
	defer unlock()

	stillThere := map[string]bool{}
	if ents, err := os.ReadDir(v.vdir); err == nil {
		for _, e := range ents {
			stillThere[filepath.Join(v.vdir, e.Name())] = true
		}
	}
	for _, p := range v.zipTemps {
		if !stillThere[p] {
			fixed[p] = true // go removed it meanwhile
			continue
		}
		if err := os.Remove(p); err == nil || errors.Is(err, fs.ErrNotExist) {
			fixed[p] = true
		}
	}
	// Remove the directory before its marker: a directory without a marker
	// would be taken as complete.
	extract := v.extractDir(sc.root)
	if v.partial != "" {
		if _, err := os.Lstat(v.partial); errors.Is(err, fs.ErrNotExist) {
			fixed[v.partial] = true
		} else if removeAll(extract) == nil {
			if err := os.Remove(v.partial); err == nil || errors.Is(err, fs.ErrNotExist) {
				fixed[v.partial] = true
			}
		}
	}
	for _, p := range v.tmpDirs {
		if removeAll(p) == nil {
			fixed[p] = true
		}
	}
	return fixed, false, nil
}

// removeAll removes a directory tree written by the go command, read-only
// directories included (modcache.RemoveAll), naming it in the error.
func removeAll(dir string) error {
	if err := modcache.RemoveAll(dir); err != nil {
		return fmt.Errorf("removing %s: %w", dir, err)
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs quoting.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("/._-+@:=,~", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
