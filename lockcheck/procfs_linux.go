package lockcheck

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// procRoot is where the proc file system is mounted.
const procRoot = "/proc"

// clockTicks is USER_HZ, the unit of the start time in /proc/<pid>/stat. The
// kernel fixes it at 100 for user space on every architecture Go supports
// (sysconf(_SC_CLK_TCK), which needs cgo to call, returns the same).
const clockTicks = 100

// fileID identifies a file the way /proc/locks does: the device of its file
// system's superblock and its inode number.
type fileID struct {
	major, minor uint32
	ino          uint64
}

// fileIDOf returns the identity of a file from its stat result.
func fileIDOf(fi fs.FileInfo) (fileID, bool) {
	if fi == nil {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	dev := uint64(st.Dev)
	return fileID{major: unix.Major(dev), minor: unix.Minor(dev), ino: st.Ino}, true
}

// procLock is one line of /proc/locks or one "lock:" line of
// /proc/<pid>/fdinfo/<fd>, for example
//
//	1: FLOCK  ADVISORY  WRITE 5733 fe:00:9979773 0 EOF
//	1: -> FLOCK  ADVISORY  WRITE 5790 fe:00:9979773 0 EOF
//
// The device is major:minor in hex, the inode in decimal; "->" marks a
// process blocked waiting for the lock above it.
type procLock struct {
	waiter bool
	kind   string // FLOCK, POSIX, OFDLCK, LEASE, ...
	access string // READ or WRITE
	pid    int    // as the kernel recorded it: 0 or -1 when it names no process
	file   fileID
}

// parseProcLocks parses the content of /proc/locks, skipping lines it does
// not understand.
func parseProcLocks(data []byte) []procLock {
	var out []procLock
	for line := range bytes.Lines(data) {
		if l, ok := parseLockLine(string(line)); ok {
			out = append(out, l)
		}
	}
	return out
}

// parseLockLine parses one lock line, with or without fdinfo's "lock:"
// prefix.
func parseLockLine(line string) (procLock, bool) {
	line = strings.TrimPrefix(strings.TrimSpace(line), "lock:")
	_, rest, ok := strings.Cut(line, ":")
	if !ok {
		return procLock{}, false
	}
	f := strings.Fields(rest)
	var l procLock
	if len(f) > 0 && f[0] == "->" {
		l.waiter = true
		f = f[1:]
	}
	if len(f) < 5 {
		return procLock{}, false
	}
	l.kind, l.access = f[0], f[2]
	pid, err := strconv.Atoi(f[3])
	if err != nil {
		return procLock{}, false
	}
	l.pid = pid
	id := strings.Split(f[4], ":")
	if len(id) != 3 {
		return procLock{}, false
	}
	maj, err1 := strconv.ParseUint(id[0], 16, 32)
	min, err2 := strconv.ParseUint(id[1], 16, 32)
	ino, err3 := strconv.ParseUint(id[2], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		return procLock{}, false
	}
	l.file = fileID{major: uint32(maj), minor: uint32(min), ino: ino}
	return l, true
}

// readProcLocks reads and parses /proc/locks.
func readProcLocks() ([]procLock, error) {
	data, err := os.ReadFile(filepath.Join(procRoot, "locks"))
	if err != nil {
		return nil, fmt.Errorf("reading lock table: %w", err)
	}
	return parseProcLocks(data), nil
}

// procInfo is what /proc says about one process.
type procInfo struct {
	pid     int
	command string
	comm    string
	state   string
	start   time.Time
	goTool  bool
}

// holder returns p as the Holder of lock at time now.
func (p procInfo) holder(lock string, now time.Time) Holder {
	age := max(now.Sub(p.start), 0) // btime has whole seconds only
	if p.start.IsZero() {
		age = -1
	}
	return Holder{PID: p.pid, Command: p.command, State: p.state, Age: age, Lock: lock, GoTool: p.goTool}
}

// bootTime reads the boot time (btime) from /proc/stat.
func bootTime() (time.Time, error) {
	data, err := os.ReadFile(filepath.Join(procRoot, "stat"))
	if err != nil {
		return time.Time{}, fmt.Errorf("reading boot time: %w", err)
	}
	return parseBootTime(data)
}

// parseBootTime finds the "btime <seconds>" line of /proc/stat.
func parseBootTime(data []byte) (time.Time, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "btime "); ok {
			s, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				return time.Time{}, fmt.Errorf("parsing btime in /proc/stat: %w", err)
			}
			return time.Unix(s, 0), nil
		}
	}
	return time.Time{}, errors.New("no btime in /proc/stat")
}

// readProc reads a process's command line, state and start time. boot is
// the boot time.
func readProc(pid int, boot time.Time) (procInfo, error) {
	dir := filepath.Join(procRoot, strconv.Itoa(pid))
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return procInfo{}, fmt.Errorf("reading process %d: %w", pid, err)
	}
	comm, state, ticks, err := parseStat(stat)
	if err != nil {
		return procInfo{}, fmt.Errorf("reading process %d: %w", pid, err)
	}
	p := procInfo{pid: pid, comm: comm, state: stateName(state)}
	if !boot.IsZero() {
		p.start = boot.Add(time.Duration(ticks) * time.Second / clockTicks)
	}
	var argv0 string
	if data, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil && len(data) > 0 {
		args := strings.Split(strings.TrimRight(string(data), "\x00"), "\x00")
		argv0 = args[0]
		p.command = strings.Join(args, " ")
	} else {
		p.command = "[" + comm + "]"
	}
	exe, _ := os.Readlink(filepath.Join(dir, "exe"))
	p.goTool = isGoTool(exe, argv0, comm)
	return p, nil
}

// parseStat extracts the command name (field 2), state (field 3) and start
// time in clock ticks since boot (field 22) from /proc/<pid>/stat. The
// command name may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseStat(data []byte) (comm string, state byte, startTicks uint64, err error) {
	s := string(data)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return "", 0, 0, errors.New("malformed stat")
	}
	comm = s[open+1 : close]
	f := strings.Fields(s[close+1:])
	if len(f) < 20 || len(f[0]) != 1 {
		return "", 0, 0, errors.New("malformed stat")
	}
	startTicks, err = strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return "", 0, 0, fmt.Errorf("malformed stat start time: %w", err)
	}
	return comm, f[0][0], startTicks, nil
}

// stateName names a /proc/<pid>/stat state letter.
func stateName(c byte) string {
	switch c {
	case 'R':
		return stateRunning
	case 'S':
		return stateSleeping
	case 'D':
		return stateDiskWait
	case 'T', 't':
		return stateStopped
	case 'Z':
		return stateZombie
	case 'I':
		return stateIdle
	case 'X', 'x':
		return stateDead
	}
	return stateUnknown
}

// isGoTool reports whether a process is the go command or a go toolchain
// binary, judging by its executable (when readable), its argv[0], or its
// command name: "go", a toolchain downloaded by GOTOOLCHAIN (…/bin/go), or
// a tool under $GOROOT/pkg/tool.
func isGoTool(exe, argv0, comm string) bool {
	for _, p := range []string{exe, argv0} {
		if p == "" {
			continue
		}
		p = strings.TrimSuffix(p, " (deleted)")
		if filepath.Base(p) == "go" {
			return true
		}
		if strings.Contains(filepath.ToSlash(p), "/pkg/tool/") {
			return true
		}
	}
	return exe == "" && argv0 == "" && comm == "go"
}
