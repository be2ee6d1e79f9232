package lockcheck

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// Summary returns the report in one line, for example
// "312 lock files, 1 held by go (pid 123, 4m12s), 2 problems".
func (r *Report) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s", plural(len(r.Locks), "lock file", "lock files"))
	held := r.Held()
	switch {
	case len(held) == 0:
		b.WriteString(", none held")
	case !r.HoldersKnown:
		fmt.Fprintf(&b, ", %d held (holders cannot be named on this platform)", len(held))
	default:
		var who []string
		for _, l := range held {
			for _, h := range l.Holders {
				who = append(who, fmt.Sprintf("%s (pid %d, %s)", h.name(), h.PID, fmtAge(h.Age)))
			}
			if len(l.Holders) == 0 {
				who = append(who, "an invisible process")
			}
		}
		if len(who) > 3 {
			who = append(who[:3], fmt.Sprintf("%d more", len(who)-3))
		}
		fmt.Fprintf(&b, ", %d held by %s", len(held), strings.Join(who, ", "))
	}
	fixed := len(r.Problems) - len(r.Remaining())
	b.WriteString(", ")
	if len(r.Problems) == 0 {
		b.WriteString("no problems")
	} else {
		b.WriteString(plural(len(r.Problems), "problem", "problems"))
	}
	if fixed > 0 {
		fmt.Fprintf(&b, " (%d fixed)", fixed)
	}
	return b.String()
}

// WriteText writes the human report: one line per held lock, one line per
// problem with its fix (or what was done), then the summary line.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, l := range r.Held() {
		fmt.Fprintf(&b, "held: %s", l.Path)
		switch {
		case len(l.Holders) > 0:
			var hs []string
			for _, h := range l.Holders {
				hs = append(hs, h.describe())
			}
			fmt.Fprintf(&b, " by %s", strings.Join(hs, ", "))
		case r.HoldersKnown:
			b.WriteString(" by a process this user cannot see")
		default:
			b.WriteString(" (holder cannot be named on this platform)")
		}
		if len(l.Waiters) > 0 {
			var ws []string
			for _, h := range l.Waiters {
				ws = append(ws, fmt.Sprintf("pid %d (%s)", h.PID, shorten(h.Command, 60)))
			}
			fmt.Fprintf(&b, "; waiting: %s", strings.Join(ws, ", "))
		}
		b.WriteString("\n")
	}
	for _, p := range r.Problems {
		if p.Fixed {
			fmt.Fprintf(&b, "fixed %s: %s: %s\n", p.Kind, p.Path, p.Detail)
			continue
		}
		fmt.Fprintf(&b, "%s: %s: %s; fix: %s\n", p.Kind, p.Path, p.Detail, p.Fix)
	}
	b.WriteString(r.Summary())
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// Advice is one line saying who holds the lock, since when, and the command
// that frees it.
func (h Holder) Advice() string {
	lock := h.Lock
	if lock == "" {
		lock = "a module-cache lock"
	}
	if h.PID == 0 {
		return fmt.Sprintf("%s is held by a process this user cannot see (another user or PID namespace); it is released when that process exits", lock)
	}
	kill := ""
	if h.GoTool {
		kill = fmt.Sprintf(", or run `gofast lockcheck --kill-hung %s`", killHungArg(h.Age))
	}
	switch h.State {
	case stateStopped:
		return fmt.Sprintf("pid %d (%s) holds %s and is stopped, running %s: resume it with `kill -CONT %d`, or end it with `kill %d; kill -CONT %d`%s",
			h.PID, shorten(h.Command, 80), lock, fmtAge(h.Age), h.PID, h.PID, h.PID, kill)
	case stateDiskWait:
		return fmt.Sprintf("pid %d (%s) holds %s and is blocked in disk wait, running %s: its file system is not answering (a hung network mount?); it cannot be ended until the I/O returns",
			h.PID, shorten(h.Command, 80), lock, fmtAge(h.Age))
	}
	return fmt.Sprintf("pid %d (%s) has held %s for up to %s (%s); if it is hung, free the lock with `kill %d`%s",
		h.PID, shorten(h.Command, 80), lock, fmtAge(h.Age), h.State, h.PID, kill)
}

// describe is the holder in a "held:" line.
func (h Holder) describe() string {
	if h.PID == 0 {
		return "a process this user cannot see"
	}
	s := fmt.Sprintf("pid %d %s (%s, running %s)", h.PID, shorten(h.Command, 80), h.State, fmtAge(h.Age))
	if h.Signaled {
		s += " [sent SIGTERM]"
	}
	return s
}

// name is the program name of the holder's command, "go" for the go command.
func (h Holder) name() string {
	f := strings.Fields(h.Command)
	if len(f) == 0 {
		return "unknown"
	}
	return strings.TrimSuffix(filepath.Base(f[0]), ".exe")
}

// killHungArg is the --kill-hung value that covers a holder of age d: d
// rounded down to whole minutes, or seconds under a minute.
func killHungArg(d time.Duration) string {
	switch {
	case d >= time.Hour && d.Truncate(time.Hour) == d.Truncate(time.Minute):
		return fmt.Sprintf("%dh", int(d/time.Hour))
	case d >= time.Minute:
		return fmt.Sprintf("%dm", int(d/time.Minute))
	case d >= time.Second:
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return "1s"
}

// fmtAge formats an age to the second, as "4m12s".
func fmtAge(d time.Duration) string {
	if d < 0 {
		return "unknown time"
	}
	return d.Round(time.Second).String()
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
