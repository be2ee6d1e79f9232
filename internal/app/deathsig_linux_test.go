package app

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGoDiesWithGofast: gofast killed outright (SIGKILL to gofast alone,
// not its process group) takes the go it runs with it, rather than
// leaving go running with a GOPROXY port any local user may bind next.
// go is kept busy by something other than the proxy (go run waiting for
// its program, which waits for stdin), so that only the parent-death
// signal can end it. The program also says what GOPROXY it inherited:
// the bare loopback address, no secret.
func TestGoDiesWithGofast(t *testing.T) {
	w := newE2E(t)
	cache := w.cache("deathsig")
	main := "package main\n\nimport (\n\t\"fmt\"\n\t\"io\"\n\t\"os\"\n\n\t_ \"example.com/Upper\"\n\t_ \"example.com/other/v2\"\n)\n\n" +
		"func main() {\n\tfmt.Println(\"ready\", os.Getenv(\"GOPROXY\"))\n\tio.ReadAll(os.Stdin)\n}\n"
	if err := os.WriteFile(filepath.Join(w.dir, "main.go"), []byte(main), 0o666); err != nil {
		t.Fatal(err)
	}
	stdinR, stdinW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	// Closing stdin ends the program, go's child, whatever happened.
	defer stdinW.Close()
	cmd := exec.Command(gofastBinary(t), "run", ".")
	cmd.Dir = w.dir
	cmd.Env = w.env(cache)
	cmd.Stdin = stdinR
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// A file, not a pipe: go's program inherits stderr and outlives
	// gofast, and Wait would wait for a pipe's copy to end.
	stderr, err := os.CreateTemp(t.TempDir(), "stderr")
	if err != nil {
		t.Fatal(err)
	}
	defer stderr.Close()
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stdinR.Close()
	killed := false
	defer func() {
		if !killed {
			cmd.Process.Kill()
			cmd.Wait()
		}
	}()
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		goproxy, ok := strings.CutPrefix(strings.TrimSpace(line), "ready ")
		if ok && !regexp.MustCompile(`^http://127\.0\.0\.1:[0-9]+(,|\||$)`).MatchString(goproxy) {
			// go run's program inherits go's environment: on Linux
			// the loopback URL there carries no secret either.
			t.Errorf("the program inherited GOPROXY=%s, not the bare loopback address", goproxy)
		}
		if !ok {
			cmd.Wait()
			killed = true
			t.Fatalf("the program did not start:\n%s", readFile(stderr.Name()))
		}
	case <-time.After(2 * time.Minute):
		t.Fatalf("the program did not start within 2 minutes:\n%s", readFile(stderr.Name()))
	}
	goPid := childNamed(t, cmd.Process.Pid, "go")
	if goPid == 0 {
		t.Fatalf("gofast runs no go child")
	}
	defer syscall.Kill(goPid, syscall.SIGKILL) // on failure, go outlived gofast
	if err := syscall.Kill(cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	killed = true
	deadline := time.Now().Add(2 * time.Second)
	for alive(goPid) {
		if time.Now().After(deadline) {
			t.Fatalf("go (pid %d) still runs 2 s after gofast was killed", goPid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// childNamed returns the pid of a child of pid whose executable is named
// name, 0 if none.
func childNamed(t *testing.T, pid int, name string) int {
	t.Helper()
	tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range tasks {
		data, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(data)) {
			exe, err := os.Readlink("/proc/" + c + "/exe")
			if err == nil && filepath.Base(exe) == name {
				n, _ := strconv.Atoi(c)
				return n
			}
		}
	}
	return 0
}

// alive reports whether pid runs: it exists and is not a zombie waiting
// for a reaper.
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z' && s[i+2] != 'X'
}

func readFile(name string) string {
	data, _ := os.ReadFile(name)
	return string(data)
}
