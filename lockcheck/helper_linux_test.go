package lockcheck

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// helperEnv selects the helper process's mode; helperPathEnv names its file.
const (
	helperEnv     = "GOFAST_LOCKCHECK_HELPER"
	helperPathEnv = "GOFAST_LOCKCHECK_HELPER_PATH"
)

// TestHelperProcess is not a test: it is the child process that the holder
// tests start from the test binary, to hold real flock locks the way the go
// command does. Every mode runs until its stdin is closed, so a child never
// outlives the test that started it.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("only runs as a helper process")
	}
	if err := runHelper(mode, os.Getenv(helperPathEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		os.Exit(2)
	}
	os.Exit(0)
}

func runHelper(mode, path string) error {
	switch mode {
	case "keep":
		// Hold descriptor 3, inherited from the parent, until stdin closes.
		_, err := io.Copy(io.Discard, os.Stdin)
		return err
	}
	// Open as lockedfile.MutexAt does.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	switch mode {
	case "hold":
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			return err
		}
		fmt.Println("locked")
	case "open":
		fmt.Println("opened")
	case "wait":
		fmt.Println("waiting")
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			return err
		}
		fmt.Println("locked")
	case "inherit":
		// Take the lock, hand the descriptor to a child, and exit without
		// unlocking: the child now holds the lock alone.
		if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
			return err
		}
		cmd := helperCommand("keep", "")
		cmd.ExtraFiles = []*os.File{f}
		cmd.Stdin = os.Stdin
		if err := cmd.Start(); err != nil {
			return err
		}
		fmt.Printf("child %d\n", cmd.Process.Pid)
		return nil
	default:
		return fmt.Errorf("unknown mode %q", mode)
	}
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

func helperCommand(mode, path string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperPathEnv+"="+path)
	cmd.Stderr = os.Stderr
	return cmd
}

// helper is a running helper process.
type helper struct {
	t     *testing.T
	cmd   *exec.Cmd
	pid   int
	stdin io.WriteCloser
	out   *bufio.Reader
	first string // the first line the helper wrote
}

// startHelper starts a helper in mode on path and reads its first line,
// which must be want; the helper is ended when the test ends.
func startHelper(t *testing.T, mode, path, want string) *helper {
	t.Helper()
	cmd := helperCommand(mode, path)
	// A plain pipe rather than StdinPipe: Wait must not close the write end,
	// which a grandchild may still be reading.
	r, stdin, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdin = r
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.Close()
	h := &helper{t: t, cmd: cmd, pid: cmd.Process.Pid, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(h.stop)
	h.first = h.expect(want)
	return h
}

// expect reads the helper's next line and checks its first word.
func (h *helper) expect(word string) string {
	h.t.Helper()
	line, err := h.out.ReadString('\n')
	if err != nil {
		h.t.Fatalf("helper %d: reading %q: %v", h.pid, word, err)
	}
	line = strings.TrimSpace(line)
	if f := strings.Fields(line); len(f) == 0 || f[0] != word {
		h.t.Fatalf("helper %d said %q, want %q", h.pid, line, word)
	}
	return line
}

// stop ends the helper: a stopped one is continued, stdin is closed, and
// the process is killed if it does not exit by itself.
func (h *helper) stop() {
	syscall.Kill(h.pid, syscall.SIGCONT)
	h.stdin.Close()
	done := make(chan struct{})
	go func() { h.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		h.cmd.Process.Kill()
		<-done
	}
}

// waitStopped blocks until pid, a child of this process, has stopped.
func waitStopped(t *testing.T, pid int) {
	t.Helper()
	var info unix.Siginfo
	if err := unix.Waitid(unix.P_PID, pid, &info, unix.WSTOPPED|unix.WNOWAIT, nil); err != nil {
		t.Fatalf("waiting for pid %d to stop: %v", pid, err)
	}
}

// waitLockTable blocks until /proc/locks has a line for which match is true.
// The kernel offers no notification of lock waits, so this polls, yielding
// between reads, for at most ten seconds.
func waitLockTable(t *testing.T, match func(procLock) bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		table, err := readProcLocks()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range table {
			if match(l) {
				return
			}
		}
		runtime.Gosched()
	}
	t.Fatal("lock table never showed the expected entry")
}

// becomeSubreaper makes this process adopt orphaned descendants, so that a
// grandchild whose parent exits can be reaped here, and reaps pid when the
// test ends.
func becomeSubreaper(t *testing.T) {
	t.Helper()
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		t.Skipf("cannot become a child subreaper: %v", err)
	}
}

func reapLater(t *testing.T, pid int, stdin io.Closer) {
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() {
			var ws unix.WaitStatus
			unix.Wait4(pid, &ws, 0, nil)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(pid, syscall.SIGKILL)
			<-done
		}
	})
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
