//go:build unix

package wrap_test

import (
	"bufio"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const sigProg = `package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT)
	fmt.Println("ready", os.Getppid())
	<-c
	fmt.Println("got interrupt")
	os.Exit(7)
}
`

// TestSignalsAndPid checks that gofast becomes go (same pid, so the program
// go runs has gofast's pid as its parent) and that an interrupt sent to the
// process group reaches the program exactly as with plain go.
func TestSignalsAndPid(t *testing.T) {
	mod := writeModule(t, map[string]string{"go.mod": "module example.com/sig\n\ngo 1.21\n", "main.go": sigProg})
	env := append(baseEnv(t), "GOFAST_GO="+realGo)
	// Build once so both runs start equally fast.
	if out, err := exec.Command(realGo, "build", "-C", mod, "-o", os.DevNull, ".").CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	results := map[string]result{}
	for _, bin := range []string{realGo, gofastBin} {
		cmd := exec.Command(bin, "run", ".")
		cmd.Dir = mod
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		stdout, _ := cmd.StdoutPipe()
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() {
			cmd.Process.Kill()
			t.Fatalf("%s: no ready line; stderr %q", bin, stderr.String())
		}
		f := strings.Fields(sc.Text())
		if bin == gofastBin {
			ppid, _ := strconv.Atoi(f[len(f)-1])
			if ppid != cmd.Process.Pid {
				t.Errorf("program's parent is %d, gofast was %d: gofast did not exec go in place", ppid, cmd.Process.Pid)
			}
		}
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		var rest strings.Builder
		for sc.Scan() {
			rest.WriteString(sc.Text() + "\n")
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(60 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			t.Fatalf("%s did not exit after SIGINT", bin)
		}
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		results[bin] = result{rest.String(), stderr.String(), code}
	}
	same(t, "interrupted go run", results[realGo], results[gofastBin])
	if results[gofastBin].stdout != "got interrupt\n" {
		t.Errorf("program did not see the interrupt: %q", results[gofastBin].stdout)
	}
}
