package toolchain

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
)

func TestModuleVersion(t *testing.T) {
	if got := ModuleVersion("go1.27.0", "linux", "amd64"); got != "v0.0.1-go1.27.0.linux-amd64" {
		t.Errorf("ModuleVersion = %q", got)
	}
}

func TestCached(t *testing.T) {
	const target, goos, goarch = "go1.27.0", "linux", "amd64"
	mkfile := func(t *testing.T, name string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, nil, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name  string
		files []string // under the module cache
		want  bool
	}{
		{"extracted", []string{"golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/bin/go", "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.ziphash"}, true},
		{"empty cache", nil, false},
		{"still extracting", []string{"golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/bin/go", "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.ziphash",
			"cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.partial"}, false},
		{"no ziphash", []string{"golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/bin/go"}, false},
		{"no bin/go", []string{"golang.org/toolchain@v0.0.1-go1.27.0.linux-amd64/VERSION", "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.ziphash"}, false},
		{"only the zip", []string{"cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.zip", "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.linux-amd64.ziphash"}, false},
		{"another platform", []string{"golang.org/toolchain@v0.0.1-go1.27.0.darwin-arm64/bin/go", "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0.darwin-arm64.ziphash"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cache := t.TempDir()
			for _, f := range tc.files {
				mkfile(t, filepath.Join(cache, filepath.FromSlash(f)))
			}
			if got := Cached(cache, target, goos, goarch); got != tc.want {
				t.Errorf("Cached = %v, want %v", got, tc.want)
			}
		})
	}
	if Cached("", target, goos, goarch) || Cached(t.TempDir(), "", goos, goarch) {
		t.Error("Cached without a cache or a target")
	}
	// A suffix with upper case is escaped in the cache, as go escapes it.
	cache := t.TempDir()
	mkfile(t, filepath.Join(cache, "golang.org/toolchain@v0.0.1-go1.27.0-!big!corp.linux-amd64/bin/go"))
	mkfile(t, filepath.Join(cache, "cache/download/golang.org/toolchain/@v/v0.0.1-go1.27.0-!big!corp.linux-amd64.ziphash"))
	if !Cached(cache, "go1.27.0-BigCorp", goos, goarch) {
		t.Error("Cached missed an escaped version")
	}
}

func TestLocalVersion(t *testing.T) {
	for _, tc := range []struct {
		name, file, data, want string
	}{
		{"release", "VERSION", "go1.26.8\ntime 2026-08-28T16:20:06Z\n", "go1.26.8"},
		{"release CRLF", "VERSION", "go1.26.8\r\n", "go1.26.8"},
		{"rc", "VERSION", "go1.27rc1\n", "go1.27rc1"},
		{"development", "VERSION.cache", "devel go1.27-4b4d6e0 Tue Jun 2 10:00:00 2026 +0000", "go1.27"},
		{"garbage", "VERSION", "weekly.2011-01-01\n", ""},
		{"missing", "README", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			if err := os.WriteFile(filepath.Join(root, tc.file), []byte(tc.data), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := LocalVersion(root)
			if got != tc.want || (err != nil) != (tc.want == "") {
				t.Errorf("LocalVersion = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestSetting(t *testing.T) {
	root := t.TempDir()
	goroot, user := filepath.Join(root, "goroot"), filepath.Join(root, "env")
	os.Mkdir(goroot, 0o755)
	os.WriteFile(filepath.Join(goroot, "go.env"), []byte("GOTOOLCHAIN=auto\n"), 0o644)
	os.WriteFile(user, []byte("GOTOOLCHAIN=go1.25.0+auto\n"), 0o644)
	for _, tc := range []struct {
		name string
		env  environ.Environ
		want string
	}{
		{"go.env", environ.Environ{"GOENV=off"}, "auto"},
		{"user file", environ.Environ{"GOENV=" + user}, "go1.25.0+auto"},
		{"environment", environ.Environ{"GOENV=" + user, "GOTOOLCHAIN=local"}, "local"},
		{"empty environment", environ.Environ{"GOENV=" + user, "GOTOOLCHAIN="}, "go1.25.0+auto"},
		{"GOROOT in the environment", environ.Environ{"GOENV=off", "GOROOT=" + root}, ""},
	} {
		if got := Setting(tc.env, goroot); got != tc.want {
			t.Errorf("%s: Setting = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestModCache(t *testing.T) {
	root := t.TempDir()
	user := filepath.Join(root, "env")
	os.WriteFile(user, []byte("GOPATH="+filepath.Join(root, "userpath")+"\n"), 0o644)
	home, goroot := filepath.Join(root, "home"), filepath.Join(root, "goroot")
	sep := string(filepath.ListSeparator)
	homeKey := map[string]string{"windows": "USERPROFILE", "plan9": "home"}[runtime.GOOS]
	if homeKey == "" {
		homeKey = "HOME"
	}
	for _, tc := range []struct {
		name string
		env  environ.Environ
		want string
	}{
		{"GOMODCACHE", environ.Environ{"GOENV=off", "GOMODCACHE=" + filepath.Join(root, "mc")}, filepath.Join(root, "mc")},
		{"GOPATH", environ.Environ{"GOENV=off", "GOPATH=" + filepath.Join(root, "a") + sep + filepath.Join(root, "b")}, filepath.Join(root, "a", "pkg", "mod")},
		{"GOPATH from the user file", environ.Environ{"GOENV=" + user}, filepath.Join(root, "userpath", "pkg", "mod")},
		{"default GOPATH", environ.Environ{"GOENV=off", homeKey + "=" + home}, filepath.Join(home, "go", "pkg", "mod")},
		{"no home", environ.Environ{"GOENV=off"}, ""},
		{"relative", environ.Environ{"GOENV=off", "GOMODCACHE=mc"}, ""},
		{"empty first GOPATH entry", environ.Environ{"GOENV=off", "GOPATH=" + sep + filepath.Join(root, "b")}, ""},
	} {
		if got := ModCache(tc.env, goroot); got != tc.want {
			t.Errorf("%s: ModCache = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := ModCache(environ.Environ{"GOENV=off", homeKey + "=" + root}, filepath.Join(root, "go")); got != "" {
		t.Errorf("with GOROOT at $HOME/go: ModCache = %q, want none", got)
	}
}

func TestHandledLocally(t *testing.T) {
	for _, tc := range []struct {
		args string
		want bool
	}{
		{"env GOTOOLCHAIN", true},
		{"env GOMOD", true},
		{"env GOWORK", true},
		{"env -w GOTOOLCHAIN=local", true},
		{"env -json GOTOOLCHAIN", false},
		{"env GOTOOLCHAIN GOMOD", false},
		{"env -w GOPROXY=off", false},
		{"env", false},
		{"build", false},
	} {
		if got := HandledLocally(strings.Fields(tc.args)); got != tc.want {
			t.Errorf("HandledLocally(%q) = %v, want %v", tc.args, got, tc.want)
		}
	}
}

// TestLeanDependencies keeps the package fit for gofast's lean launcher
// (see cmd/gofast-front's test of the same name), and keeps it from
// importing goenv, which imports it.
func TestLeanDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		switch dep {
		case "net/http", "crypto/tls", "net", "github.com/urfave/cli/v2", "encoding/json",
			"github.com/gofastdev/gofast/internal/goenv":
			t.Errorf("internal/toolchain links %s", dep)
		}
	}
}

func TestHostPlatform(t *testing.T) {
	mkroot := func(t *testing.T, dirs ...string) string {
		t.Helper()
		root := t.TempDir()
		for _, d := range dirs {
			if err := os.MkdirAll(filepath.Join(root, "pkg", "tool", d), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	own := runtime.GOOS + "_" + runtime.GOARCH
	other := "plan9_arm"
	if own == other {
		other = "aix_ppc64"
	}
	otherOS, otherArch, _ := strings.Cut(other, "_")
	for _, tc := range []struct {
		name             string
		goroot           string
		hostOS, hostArch string
		wantOS, wantArch string
	}{
		{"go env", mkroot(t, own), "plan9", "386", "plan9", "386"},
		{"half of go env", mkroot(t, other), "plan9", "", otherOS, otherArch},
		{"tool directory", mkroot(t, other), "", "", otherOS, otherArch},
		{"own among several", mkroot(t, other, own), "", "", runtime.GOOS, runtime.GOARCH},
		{"several, none own", mkroot(t, other, "js_wasm"), "", "", runtime.GOOS, runtime.GOARCH},
		{"no tool directory", t.TempDir(), "", "", runtime.GOOS, runtime.GOARCH},
		{"no GOROOT", "", "", "", runtime.GOOS, runtime.GOARCH},
	} {
		goos, goarch := HostPlatform(tc.goroot, tc.hostOS, tc.hostArch)
		if goos != tc.wantOS || goarch != tc.wantArch {
			t.Errorf("%s: HostPlatform = %s/%s, want %s/%s", tc.name, goos, goarch, tc.wantOS, tc.wantArch)
		}
	}
}
