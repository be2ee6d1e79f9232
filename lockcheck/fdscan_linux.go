package lockcheck

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// fdUse is one open descriptor of a lock file in some process.
type fdUse struct {
	pid int
	// locked is true when the descriptor's open file holds a lock on the
	// file (a "lock:" line in its fdinfo). A child that inherited the
	// descriptor shares the open file, and so the lock, with its parent.
	locked bool
}

// fdTable is which processes have which lock files open.
type fdTable struct {
	uses map[string][]fdUse // by path
	// hidden are the processes whose descriptors this user may not read.
	hidden []int
}

// scanFDs finds the processes that have any of targets (path to inode
// number) open, by reading every /proc/<pid>/fd link and, for links naming a
// target, the descriptor's fdinfo: its inode confirms that the link names
// the same file (not a newer file at the same path) and its "lock:" lines
// say whether it holds the lock. The calling process is left out.
func scanFDs(targets map[string]uint64) (*fdTable, error) {
	t := &fdTable{uses: map[string][]fdUse{}}
	procs, err := os.ReadDir(procRoot)
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	for _, pe := range procs {
		pid, err := strconv.Atoi(pe.Name())
		if err != nil || pid == self {
			continue
		}
		if procFDs(pid, targets, t) != nil {
			t.hidden = append(t.hidden, pid)
		}
	}
	return t, nil
}

// procFDs adds to t the descriptors of process pid that name a target. It
// returns an error only when this user may not read the descriptors; a
// process that exits meanwhile simply has none.
func procFDs(pid int, targets map[string]uint64, t *fdTable) error {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		if errors.Is(err, fs.ErrPermission) {
			return err
		}
		return nil
	}
	for _, fe := range fds {
		link, err := os.Readlink(filepath.Join(dir, "fd", fe.Name()))
		if err != nil {
			continue
		}
		ino, ok := targets[link]
		if !ok {
			continue
		}
		info, err := os.ReadFile(filepath.Join(dir, "fdinfo", fe.Name()))
		if err != nil {
			continue
		}
		fdIno, locked := parseFDInfo(info)
		if fdIno != ino {
			continue
		}
		t.uses[link] = append(t.uses[link], fdUse{pid: pid, locked: locked})
	}
	return nil
}

// procHolds reports whether process pid has the file want open under any
// name, and whether that descriptor holds a lock, by stat of each
// descriptor. It serves when the lock table names a process whose
// descriptors show no path of the lock file: the file may have been opened
// through another name (a bind mount, another mount namespace). Stat can
// block on a hung network file system where readlink cannot, so this is
// done only for that one process.
func procHolds(pid int, want fileID) (open, locked bool) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	fds, err := os.ReadDir(filepath.Join(dir, "fd"))
	if err != nil {
		return false, false
	}
	for _, fe := range fds {
		fi, err := os.Stat(filepath.Join(dir, "fd", fe.Name()))
		if id, ok := fileIDOf(fi); err != nil || !ok || id != want {
			continue
		}
		open = true
		if info, err := os.ReadFile(filepath.Join(dir, "fdinfo", fe.Name())); err == nil {
			if _, l := parseFDInfo(info); l {
				return true, true
			}
		}
	}
	return open, false
}

// parseFDInfo returns the inode number of a /proc/<pid>/fdinfo/<fd> file and
// whether the descriptor holds a lock.
func parseFDInfo(data []byte) (ino uint64, locked bool) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "ino:"):
			ino, _ = strconv.ParseUint(strings.TrimSpace(strings.TrimPrefix(line, "ino:")), 10, 64)
		case strings.HasPrefix(line, "lock:"):
			if l, ok := parseLockLine(line); ok && !l.waiter {
				locked = true
			}
		}
	}
	return ino, locked
}

// hiddenGoTools returns the hidden processes that could be a go command,
// judged by what /proc shows of every process: its command line and name.
func (t *fdTable) hiddenGoTools() []int {
	var out []int
	for _, pid := range t.hidden {
		p, err := readProc(pid, time.Time{})
		if err != nil {
			continue
		}
		argv0, _, _ := strings.Cut(p.command, " ")
		if p.goTool || strings.HasPrefix(p.comm, "go") || strings.HasPrefix(filepath.Base(argv0), "go") {
			out = append(out, pid)
		}
	}
	return out
}
