// Package lockcheck inspects the lock files of a Go module cache without ever
// breaking the go command's own locking.
//
// The go command guards every module version it downloads or extracts with an
// advisory flock on $GOMODCACHE/cache/download/<module>/@v/<version>.lock
// (LockFileEx on Windows), and a few other operations with cache/lock and
// cache/vcs/<hash>.lock. The kernel releases such a lock when its holder
// dies, so a lock file's existence means nothing, and deleting a lock file
// that another process has open silently breaks mutual exclusion. lockcheck
// therefore never decides anything from a lock file's name or age: it asks
// the kernel who holds each lock (/proc/locks and /proc/<pid>/fdinfo on
// Linux, a non-blocking try-lock elsewhere), and it removes a leftover of a
// crashed writer only while holding that version's lock itself, exactly as
// the go command does before it cleans up.
//
// Scan is the full check behind `gofast lockcheck`; StuckHolders is the cheap
// check the wrapper runs before it hands over to go.
package lockcheck

import (
	"encoding/json"
	"io/fs"
	"time"
)

// Options configure Scan. Only Root is required.
type Options struct {
	// Root is the module cache (GOMODCACHE).
	Root string
	// Fix removes what is provably stale: leftovers of crashed writers
	// (temporary zip files, partial extractions), each only while holding
	// its version's lock, and lock files that no live process holds or has
	// open and that the current user cannot use. False only reports.
	Fix bool
	// KillHung, when positive, sends SIGTERM to go processes that hold a
	// module-cache lock and are stopped or have been running longer than
	// KillHung. Zero never signals anything. Only where holders can be
	// named (Linux); elsewhere it has no effect.
	KillHung time.Duration
	// StuckAfter is how long a process may have been running while it holds
	// a lock before the lock is reported as possibly hung. Zero means five
	// minutes; a negative value reports only stopped holders.
	StuckAfter time.Duration
	// Now is the clock used for ages. Nil means time.Now.
	Now func() time.Time
	// ProbeTimeout bounds each try-lock probe, whose open can hang on a
	// network file system. Zero means two seconds.
	ProbeTimeout time.Duration
	// Access reports whether the current user can use path the way the go
	// command does: open a lock file for reading and writing, or create
	// files in a directory. It returns an error wrapping fs.ErrPermission
	// when it cannot. Nil means the real check: a file is opened read-write
	// (never created) and closed at once, and a directory is checked with
	// access(2) on Unix. Tests inject it because they run as root, who can
	// open anything.
	Access func(path string, info fs.FileInfo) error
}

// defaults returns o with its zero values replaced by the documented
// defaults.
func (o Options) defaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StuckAfter == 0 {
		o.StuckAfter = 5 * time.Minute
	}
	if o.ProbeTimeout <= 0 {
		o.ProbeTimeout = 2 * time.Second
	}
	if o.Access == nil {
		o.Access = defaultAccess
	}
	return o
}

// Report is the result of Scan.
type Report struct {
	// Root is the module cache that was scanned.
	Root string `json:"root"`
	// HoldersKnown is true when holders were identified through the kernel
	// (Linux); elsewhere a lock is only known to be held or free.
	HoldersKnown bool `json:"holders_known"`
	// Locks lists every lock file found, held or not, in path order.
	Locks []Lock `json:"locks"`
	// Problems lists what is wrong, including what Scan fixed.
	Problems []Problem `json:"problems"`
}

// Lock is one lock file and what the kernel says about it.
type Lock struct {
	// Path is the lock file's path.
	Path string `json:"path"`
	// Module and Version name the module version a version lock guards;
	// both are empty for the cache's other locks (cache/lock, cache/vcs).
	Module  string `json:"module,omitempty"`
	Version string `json:"version,omitempty"`
	// Held reports whether some process holds the lock now.
	Held bool `json:"held"`
	// Holders are the processes holding the lock: the one that took it and
	// any that inherited its descriptor. Empty when not held or when the
	// holders cannot be known on this platform.
	Holders []Holder `json:"holders"`
	// Waiters are the processes blocked waiting for the lock.
	Waiters []Holder `json:"waiters"`
	// Removed is true when Scan deleted this lock file as stale.
	Removed bool `json:"removed"`
	// Err says why the lock's state could not be determined, if it could not.
	Err string `json:"error,omitempty"`
}

// Holder is a process that holds (or waits for) a module-cache lock.
type Holder struct {
	// PID is the process ID; 0 when the kernel names no live process.
	PID int `json:"pid"`
	// Command is the process's command line, arguments joined by spaces.
	Command string `json:"command"`
	// State is the scheduler state: running, sleeping, disk wait, stopped,
	// zombie, idle, dead, or unknown.
	State string `json:"state"`
	// Age is how long the process has been running: an upper bound on how
	// long it has held the lock, which the kernel does not record.
	Age time.Duration `json:"-"`
	// Lock is the lock file held.
	Lock string `json:"-"`
	// GoTool is true when the process is the go command or a go toolchain
	// binary, the only processes --kill-hung ever signals.
	GoTool bool `json:"go_tool"`
	// Signaled is true when Scan sent the process SIGTERM (KillHung).
	Signaled bool `json:"signaled,omitempty"`
}

// The scheduler states a Holder can be in, as /proc/<pid>/stat names them.
const (
	stateRunning  = "running"
	stateSleeping = "sleeping"
	stateDiskWait = "disk wait"
	stateStopped  = "stopped"
	stateZombie   = "zombie"
	stateIdle     = "idle"
	stateDead     = "dead"
	stateUnknown  = "unknown"
)

// MarshalJSON adds age_s (seconds) and advice to the exported fields.
func (h Holder) MarshalJSON() ([]byte, error) {
	type plain Holder
	return json.Marshal(struct {
		plain
		AgeSeconds float64 `json:"age_s"`
		Advice     string  `json:"advice"`
	}{plain(h), float64(h.Age.Round(time.Millisecond)) / float64(time.Second), h.Advice()})
}

// Kind classifies a Problem.
type Kind string

// The kinds of problem Scan reports.
const (
	// Permission: a lock file or cache directory the current user cannot
	// use, typically left root-owned by `sudo go`.
	Permission Kind = "permission"
	// Filesystem: the cache is on a network or FUSE file system, where
	// flock is emulated, local-only or slow.
	Filesystem Kind = "filesystem"
	// TempFile: a temporary file left by a crashed writer.
	TempFile Kind = "leftover-temp"
	// Partial: a partially extracted module directory (.partial marker).
	Partial Kind = "partial-extraction"
	// MissingZiphash: a .zip without its .ziphash, never verified.
	MissingZiphash Kind = "missing-ziphash"
	// StaleLock: a lock file nobody holds that the current user cannot use.
	StaleLock Kind = "stale-lock"
	// HungHolder: a lock held by a stopped process or one running longer
	// than Options.StuckAfter.
	HungHolder Kind = "hung-holder"
	// Unknown: a lock whose state could not be determined.
	Unknown Kind = "unknown-state"
)

// Problem is one thing wrong in the module cache, with the fix.
type Problem struct {
	Kind Kind `json:"kind"`
	// Path is the file or directory concerned.
	Path string `json:"path"`
	// Detail says what is wrong, in one line.
	Detail string `json:"detail"`
	// Fix is the command or action that fixes it.
	Fix string `json:"fix"`
	// Fixed is true when Scan fixed it (Options.Fix or KillHung).
	Fixed bool `json:"fixed"`
}

// Remaining returns the problems Scan did not fix.
func (r *Report) Remaining() []Problem {
	var out []Problem
	for _, p := range r.Problems {
		if !p.Fixed {
			out = append(out, p)
		}
	}
	return out
}

// Held returns the locks that are held now.
func (r *Report) Held() []Lock {
	var out []Lock
	for _, l := range r.Locks {
		if l.Held {
			out = append(out, l)
		}
	}
	return out
}
