package app

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// doctorEnv is an environment in which `gofast doctor` only ever reaches
// srvURL: a plain-http loopback mirror serving doctor's default probe
// module, no checksum database, no proxy variables.
func doctorEnv(t *testing.T, goproxy string) []string {
	t.Helper()
	env := proxytest.GoEnv(os.Environ(), nil, t.TempDir())
	env = append(env, "GOPROXY="+goproxy, "HOME="+t.TempDir(), "GOTOOLCHAIN=local")
	return env
}

func runDoctor(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go not on PATH")
	}
	var out, errb bytes.Buffer
	err := Run(context.Background(), Options{
		Args: append([]string{"gofast", "doctor"}, args...), Env: env,
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
	})
	code = ExitCode(err, &errb)
	return out.String(), errb.String(), code
}

func TestDoctorHealthyExitsZero(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	out, errOut, code := runDoctor(t, doctorEnv(t, srv.URL+",direct"), "--json")
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var rep struct {
		Checks []struct {
			Layer, Target, Detail string
			OK                    bool
			MS                    *float64
		}
		Verdict []struct{ Severity, Message string }
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output does not parse: %v\n%s", err, out)
	}
	var sawProxy bool
	for _, c := range rep.Checks {
		if c.MS == nil {
			t.Errorf("check without ms: %+v", c)
		}
		if c.Target == srv.URL && c.Layer == "proxy" {
			sawProxy = c.OK
		}
	}
	if !sawProxy {
		t.Errorf("mirror's proxy layer not ok:\n%s", out)
	}
	if srv.Count("/golang.org/x/text/@v/v0.3.8.info") != 1 {
		t.Errorf("mirror requests: %v", srv.Requests())
	}
}

func TestDoctorBrokenMirrorExitsOne(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()
	out, errOut, code := runDoctor(t, doctorEnv(t, refused))
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "connection refused") || !strings.Contains(out, "verdict:") || !strings.Contains(out, "ERROR downloads fail: "+refused) {
		t.Errorf("report:\n%s", out)
	}
}

func TestDoctorDiagnosesSettingsGoEnvRejects(t *testing.T) {
	tree := proxytest.MustBuild(proxytest.Module{Path: "golang.org/x/text", Version: "v0.3.8"})
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	env := append(doctorEnv(t, srv.URL), "GO111MODULE=sometimes")
	out, errOut, code := runDoctor(t, env)
	if code != 1 || !strings.Contains(out, `GO111MODULE: "sometimes" is not on, off or auto`) || !strings.Contains(errOut, "gofast: ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}
