package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
)

// denied is a file or directory the current user cannot use as go does.
type denied struct {
	path       string
	dir        bool
	owner      int
	ownerKnown bool
}

// checkAccess reports lock files and cache directories the current user
// cannot use (typically left root-owned by `sudo go`), and handles lock
// files that nobody holds and this user cannot open: with Fix they are
// removed once removeStaleLock proves no process holds or has them open,
// so that go can create them again.
func (sc *scanner) checkAccess(ctx context.Context) error {
	var bad []denied
	add := func(path string, fi fs.FileInfo) {
		d := denied{path: path, dir: fi == nil || fi.IsDir()}
		if fi == nil {
			fi, _ = os.Lstat(path)
		}
		if fi != nil {
			d.owner, d.ownerKnown = fileOwner(fi)
		}
		bad = append(bad, d)
	}
	cache := filepath.Join(sc.root, "cache")
	dirs := append([]string{sc.root, cache, filepath.Join(cache, "download"), filepath.Join(cache, "vcs")}, sc.lockDirs...)
	dirOK := map[string]bool{}
	for _, dir := range dirs {
		fi, err := os.Stat(dir)
		if err != nil {
			continue
		}
		err = sc.opts.Access(dir, fi)
		dirOK[dir] = err == nil
		if errors.Is(err, fs.ErrPermission) {
			add(dir, fi)
		}
	}
	for _, dir := range sc.unreadable {
		add(dir, nil)
	}
	var candidates []*lockState
	for _, ls := range sc.locks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if ls.info == nil || sc.stalled {
			continue
		}
		if err := sc.opts.Access(ls.Path, ls.info); !errors.Is(err, fs.ErrPermission) {
			continue
		}
		if ls.Held || ls.unknown || !dirOK[filepath.Dir(ls.Path)] {
			add(ls.Path, ls.info)
			continue
		}
		candidates = append(candidates, ls)
	}
	// A lock nobody holds may still be open in a process about to lock it.
	if err := sc.findOpeners(candidates); err != nil {
		return err
	}
	for _, ls := range candidates {
		if len(ls.openBy) > 0 {
			add(ls.Path, ls.info)
			continue
		}
		sc.staleLock(ctx, ls)
	}
	sc.reportDenied(bad)
	return nil
}

// staleLock reports (and with Fix removes) a lock file that nobody holds and
// the current user cannot open, in a directory where the user may create
// it again.
func (sc *scanner) staleLock(ctx context.Context, ls *lockState) {
	p := Problem{
		Kind:   StaleLock,
		Path:   ls.Path,
		Detail: fmt.Sprintf("lock file nobody holds that you cannot open (%s), so go fails with \"permission denied\"", describeMode(ls.info)),
		Fix:    "gofast lockcheck --fix (removes it once no process holds it or has it open)",
	}
	if !canProveUnopened() {
		p.Fix = "rm " + shellQuote(ls.Path) + " once no go command is running (this platform cannot show which processes have it open)"
	}
	if sc.opts.Fix && canProveUnopened() {
		removed, why := sc.removeStaleLock(ctx, ls)
		if removed {
			ls.Removed = true
			p.Fixed = true
			p.Detail = "removed a lock file nobody held or had open and you could not open (" + describeMode(ls.info) + "); go creates it again"
		} else {
			p.Detail += "; not removed: " + why
		}
	}
	sc.problems = append(sc.problems, p)
}

// reportDenied turns access failures into problems: those owned by another
// user grouped under the highest directory owned by that user, with the
// chown that gives them back; the current user's own files one by one,
// with the chmod that fixes them.
func (sc *scanner) reportDenied(bad []denied) {
	uid := currentUID()
	groups := map[string][]denied{}
	var order []string
	for _, d := range bad {
		if d.ownerKnown && d.owner == uid {
			fix := "chmod u+rw " + shellQuote(d.path)
			if d.dir {
				fix = "chmod u+rwx " + shellQuote(d.path)
			}
			sc.problems = append(sc.problems, Problem{
				Kind: Permission, Path: d.path,
				Detail: fmt.Sprintf("you own it but cannot use it (%s)", describePath(d.path)),
				Fix:    fix,
			})
			continue
		}
		top := d.path
		if d.ownerKnown {
			top = sc.ownedTop(d.path, d.owner)
		}
		if _, ok := groups[top]; !ok {
			order = append(order, top)
		}
		groups[top] = append(groups[top], d)
	}
	sort.Strings(order)
	for _, top := range order {
		ds := groups[top]
		who := "another user"
		if ds[0].ownerKnown {
			who = fmt.Sprintf("uid %d", ds[0].owner)
		}
		detail := fmt.Sprintf("%s owned by %s that you cannot use (%s), so go fails with \"permission denied\"",
			plural(len(ds), "lock file or directory", "lock files and directories"), who, describePath(ds[0].path))
		sc.problems = append(sc.problems, Problem{Kind: Permission, Path: top, Detail: detail, Fix: chownFix(top)})
	}
}

// ownedTop returns the highest directory at or above path, within the
// module cache, that is owned by owner: chown -R of it fixes path and
// everything else that user wrote in the same run.
func (sc *scanner) ownedTop(path string, owner int) string {
	top := path
	for p := filepath.Dir(path); strings.HasPrefix(p, sc.root); p = filepath.Dir(p) {
		fi, err := os.Lstat(p)
		if err != nil {
			break
		}
		if o, ok := fileOwner(fi); !ok || o != owner {
			break
		}
		top = p
		if p == sc.root {
			break
		}
	}
	return top
}

// chownFix is the command that gives path back to the current user.
func chownFix(path string) string {
	if runtime.GOOS == "windows" {
		return fmt.Sprintf(`icacls "%s" /grant "%%USERNAME%%":(OI)(CI)F /T`, path)
	}
	return "sudo chown -R $(id -u):$(id -g) " + shellQuote(path)
}

// describePath says who owns path and its mode, for a problem's detail.
func describePath(path string) string {
	fi, err := os.Lstat(path)
	if err != nil {
		return path
	}
	return path + ": " + describeMode(fi)
}

// describeMode is "owner uid 0, mode -rw-r--r--".
func describeMode(fi fs.FileInfo) string {
	if uid, ok := fileOwner(fi); ok {
		return fmt.Sprintf("owner uid %d, mode %s", uid, fi.Mode())
	}
	return "mode " + fi.Mode().String()
}
