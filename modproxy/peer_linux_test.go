package modproxy

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
)

// fromAnotherUser: a connection the socket table says another user
// opened gets a bare 404. A new connection is checked anew.
func fromAnotherUser(t *testing.T, lb *Loopback) {
	t.Helper()
	own := lb.uid.Load()
	lb.uid.Store(own + 1)
	defer lb.uid.Store(own)
	http.DefaultClient.CloseIdleConnections()
	defer http.DefaultClient.CloseIdleConnections()
	code, body := get(t, lb.URL+"/example.com/a/@v/list")
	if code != http.StatusNotFound || strings.Contains(body, "example.com") {
		t.Errorf("from another user: %d %q", code, body)
	}
}

// TestLoopbackRefusesAnotherUser: a request from a process of another
// user (this test binary run again as nobody, when the test runs as root)
// gets a bare 404, and the handler never runs.
func TestLoopbackRefusesAnotherUser(t *testing.T) {
	if u := os.Getenv("GOFAST_TEST_GET"); u != "" {
		// The other user's side: print the status and body.
		resp, err := http.Get(u)
		if err != nil {
			fmt.Println("error", err)
			return
		}
		body, _ := io.ReadAll(resp.Body)
		fmt.Printf("status %d %s\n", resp.StatusCode, body)
		return
	}
	if os.Geteuid() != 0 {
		t.Skip("needs root to run a client as another user")
	}
	var calls atomic.Int32
	lb, err := Listen(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.WriteString(w, "served "+r.URL.Path)
	}))
	if err != nil {
		t.Fatal(err)
	}
	defer lb.Close()
	// The test binary, where nobody can run it.
	dir, err := os.MkdirTemp("", "gofast-peer")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	self, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "client")
	if err := os.WriteFile(bin, self, 0o755); err != nil {
		t.Fatal(err)
	}
	os.Chmod(dir, 0o755)
	run := func(cred *syscall.Credential) string {
		cmd := exec.Command(bin, "-test.run=^TestLoopbackRefusesAnotherUser$")
		cmd.Env = append(os.Environ(), "GOFAST_TEST_GET="+lb.URL+"/example.com/a/@v/list")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("client: %v\n%s", err, out)
		}
		return string(out)
	}
	if out := run(&syscall.Credential{Uid: 65534, Gid: 65534}); !strings.Contains(out, "status 404") || strings.Contains(out, "served") {
		t.Errorf("as nobody: %s", out)
	}
	if n := calls.Load(); n != 0 {
		t.Errorf("the handler ran %d times for another user", n)
	}
	if out := run(nil); !strings.Contains(out, "status 200 served /example.com/a/@v/list") {
		t.Errorf("as this user: %s", out)
	}
}
