package lockcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"
)

// probe learns who holds and who waits for each lock from the kernel: the
// lock table (/proc/locks) names the locked files by device and inode, and
// the descriptors of every process (/proc/<pid>/fd and fdinfo) confirm the
// holders. The table alone is not enough: it records the process that took a
// lock, which may have exited while a child that inherited the descriptor
// still holds it. Without /proc it falls back to try-locks.
func (sc *scanner) probe(ctx context.Context) error {
	table, err := readProcLocks()
	if err != nil {
		return sc.probeTryLock(ctx)
	}
	sc.holdersKnown = true
	sc.boot, _ = bootTime() // without it ages are unknown, nothing worse
	byIno := map[uint64][]procLock{}
	for _, l := range table {
		byIno[l.file.ino] = append(byIno[l.file.ino], l)
	}
	type match struct {
		ls      *lockState
		id      fileID
		entries []procLock
		exact   bool
	}
	var matched []match
	targets := map[string]uint64{}
	for _, ls := range sc.locks {
		id, ok := fileIDOf(ls.info)
		if !ok {
			ls.unknown = true
			continue
		}
		var m match
		for _, l := range byIno[id.ino] {
			if l.file == id {
				m.entries, m.exact = append(m.entries, l), true
			}
		}
		if !m.exact {
			// Some file systems (btrfs subvolumes, some overlays) report
			// another device in stat than in the lock table: such a match
			// counts only once a descriptor confirms it.
			m.entries = byIno[id.ino]
		}
		if len(m.entries) == 0 {
			continue
		}
		m.ls, m.id = ls, id
		matched = append(matched, m)
		targets[ls.Path] = id.ino
	}
	if len(matched) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	fds, err := scanFDs(targets)
	if err != nil {
		return fmt.Errorf("reading the process table: %w", err)
	}
	for _, m := range matched {
		sc.fillHolders(m.ls, m.id, m.entries, m.exact, fds)
	}
	return nil
}

// fillHolders sets Held, Holders, Waiters and openBy of one lock from its
// lock-table entries and the descriptors that name it.
func (sc *scanner) fillHolders(ls *lockState, id fileID, entries []procLock, exact bool, fds *fdTable) {
	uses := fds.uses[ls.Path]
	hasFD := map[int]bool{}
	for _, u := range uses {
		hasFD[u.pid] = true
	}
	hidden := map[int]bool{}
	for _, pid := range fds.hidden {
		hidden[pid] = true
	}
	waiting := map[int]bool{}
	var waiters []int
	for _, e := range entries {
		if e.waiter && e.pid > 0 && !waiting[e.pid] && (exact || hasFD[e.pid]) {
			waiting[e.pid] = true
			waiters = append(waiters, e.pid)
		}
	}
	holding := map[int]bool{}
	for _, e := range entries {
		if !e.waiter && exact {
			ls.Held = true
		}
	}
	for _, u := range uses {
		switch {
		case u.locked:
			ls.Held = true
			holding[u.pid] = true
		case !waiting[u.pid]:
			ls.openBy = append(ls.openBy, u.pid)
		}
	}
	// A process whose descriptors this user cannot read is named on the
	// lock table's word alone; one whose descriptors show no such file is
	// not a holder (it exited and its PID was reused, or it passed the
	// descriptor on).
	for _, e := range entries {
		if e.waiter || !exact || e.pid <= 0 || holding[e.pid] {
			continue
		}
		if hidden[e.pid] {
			holding[e.pid] = true
		} else if !hasFD[e.pid] {
			if _, locked := procHolds(e.pid, id); locked {
				holding[e.pid] = true
			}
		}
	}
	for _, pid := range sortedKeys(holding) {
		if p, err := readProc(pid, sc.boot); err == nil {
			ls.Holders = append(ls.Holders, p.holder(ls.Path, sc.now))
		}
	}
	for _, pid := range waiters {
		if p, err := readProc(pid, sc.boot); err == nil {
			ls.Waiters = append(ls.Waiters, p.holder(ls.Path, sc.now))
		}
	}
}

// killHung sends SIGTERM to each hung go process holding a lock, once, after
// checking that its PID still names the same process. A stopped process also
// gets SIGCONT, without which the SIGTERM would wait.
func (sc *scanner) killHung() {
	done := map[int]bool{}
	self := os.Getpid()
	for _, ls := range sc.locks {
		for i := range ls.Holders {
			h := &ls.Holders[i]
			if !sc.hung(*h) || h.PID == self {
				continue
			}
			ok, seen := done[h.PID]
			if !seen {
				ok = sc.signal(*h)
				done[h.PID] = ok
			}
			h.Signaled = ok
		}
	}
}

// signal sends SIGTERM (and SIGCONT if stopped) to h's process if it is
// still the process that was inspected.
func (sc *scanner) signal(h Holder) bool {
	p, err := readProc(h.PID, sc.boot)
	if err != nil || p.holder(h.Lock, sc.now).Age != h.Age {
		return false
	}
	if err := syscall.Kill(h.PID, syscall.SIGTERM); err != nil {
		return false
	}
	if h.State == stateStopped {
		syscall.Kill(h.PID, syscall.SIGCONT)
	}
	return true
}

// removeStaleLock deletes a lock file that the current user cannot use,
// after proving that no other process holds it, waits for it or has it
// open. If the file can be opened at all, its lock is held across the proof
// and the unlink, so a go command that opens it meanwhile waits and then
// finds the lock file gone from the directory. A go command of another user
// whose descriptors cannot be read blocks the removal.
func (sc *scanner) removeStaleLock(ctx context.Context, ls *lockState) (removed bool, why string) {
	unlock, ok, err := tryLock(ctx, ls.Path, sc.opts.ProbeTimeout)
	switch {
	case err == nil && !ok:
		return false, "a process took the lock meanwhile"
	case ok:
		defer unlock()
	case ctx.Err() != nil:
		return false, ctx.Err().Error()
	case errors.Is(err, errProbeTimeout):
		return false, err.Error()
	}
	// Otherwise the file could not even be opened for reading: the proof
	// rests on the kernel's tables alone.
	want, ok1 := fileIDOf(ls.info)
	fi, err := os.Lstat(ls.Path)
	got, ok2 := fileIDOf(fi)
	if err != nil || !ok1 || !ok2 || got != want {
		return false, "the file changed since the scan"
	}
	table, err := readProcLocks()
	if err != nil {
		return false, err.Error()
	}
	self := os.Getpid()
	for _, l := range table {
		if l.file.ino == want.ino && l.pid != self {
			return false, fmt.Sprintf("the lock table names pid %d for it", l.pid)
		}
	}
	fds, err := scanFDs(map[string]uint64{ls.Path: want.ino})
	if err != nil {
		return false, err.Error()
	}
	if uses := fds.uses[ls.Path]; len(uses) > 0 {
		return false, fmt.Sprintf("pid %d has it open", uses[0].pid)
	}
	if g := fds.hiddenGoTools(); len(g) > 0 {
		return false, fmt.Sprintf("pid %d may be a go command of another user, whose open files this user cannot see", g[0])
	}
	if err := os.Remove(ls.Path); err != nil {
		return false, err.Error()
	}
	return true, ""
}

// findOpeners sets openBy of locks nobody holds from one scan of every
// process's descriptors.
func (sc *scanner) findOpeners(locks []*lockState) error {
	if len(locks) == 0 || !sc.holdersKnown {
		return nil
	}
	targets := map[string]uint64{}
	for _, ls := range locks {
		if id, ok := fileIDOf(ls.info); ok {
			targets[ls.Path] = id.ino
		}
	}
	fds, err := scanFDs(targets)
	if err != nil {
		return fmt.Errorf("reading the process table: %w", err)
	}
	for _, ls := range locks {
		for _, u := range fds.uses[ls.Path] {
			ls.openBy = append(ls.openBy, u.pid)
		}
	}
	return nil
}

// canProveUnopened reports whether removeStaleLock can work here.
func canProveUnopened() bool { return true }

func anyLocked(uses []fdUse) bool {
	for _, u := range uses {
		if u.locked {
			return true
		}
	}
	return false
}

func sortedKeys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}

// stuckHolders is StuckHolders on Linux: the lock table plus a stat of each
// lock file; descriptors are read only for a lock that is actually held.
func stuckHolders(ctx context.Context, paths []string, minAge time.Duration, now time.Time) ([]Holder, error) {
	table, err := readProcLocks()
	if err != nil {
		return nil, fmt.Errorf("lockcheck: %w", err)
	}
	byIno := map[uint64][]procLock{}
	for _, l := range table {
		if !l.waiter {
			byIno[l.file.ino] = append(byIno[l.file.ino], l)
		}
	}
	var out []Holder
	var boot time.Time
	seen := map[string]bool{}
	for _, path := range paths {
		if len(byIno) == 0 {
			break
		}
		fi, err := os.Stat(path)
		id, ok := fileIDOf(fi)
		if err != nil || !ok || len(byIno[id.ino]) == 0 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if boot.IsZero() {
			boot, _ = bootTime()
		}
		// The PID in the table is usually the holder: check only its
		// descriptors, and read every process's only when it is not (it
		// exited and a child inherited the descriptor).
		targets := map[string]uint64{path: id.ino}
		fds := &fdTable{uses: map[string][]fdUse{}}
		for _, e := range byIno[id.ino] {
			if e.pid > 0 {
				procFDs(e.pid, targets, fds)
			}
		}
		if !anyLocked(fds.uses[path]) {
			if fds, err = scanFDs(targets); err != nil {
				return nil, fmt.Errorf("lockcheck: reading the process table: %w", err)
			}
		}
		pids := map[int]bool{}
		for _, u := range fds.uses[path] {
			if u.locked {
				pids[u.pid] = true
			}
		}
		for _, pid := range sortedKeys(pids) {
			p, err := readProc(pid, boot)
			if err != nil {
				continue
			}
			h := p.holder(path, now)
			key := fmt.Sprint(pid, path)
			if h.Age >= minAge && !seen[key] {
				seen[key] = true
				out = append(out, h)
			}
		}
	}
	return out, nil
}
