package toolchain

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
)

// local is the toolchain the table pretends to run; TestDecideAgreesWithGo
// replaces it with the real go's.
const local = "go1.26.8"

// decideCase is one go invocation: a file tree, a working directory in it,
// an environment and go env files. In every string, $ROOT stands for the
// directory that holds the tree ($ROOT/tree), the fake GOROOT
// ($ROOT/goroot) and the user's go env file ($ROOT/user.env).
type decideCase struct {
	name  string
	files map[string]string // under $ROOT/tree
	dir   string            // under $ROOT/tree
	env   []string
	user  string  // the user's go env file; without it GOENV=off
	goenv *string // $GOROOT/go.env; nil means upstream's "GOTOOLCHAIN=auto"
	want  Decision
	err   string // a part of Decide's error
	// goFails marks a case where go, having made no switch, fails later
	// for a reason of its own (TestDecideAgreesWithGo).
	goFails bool
}

func gomod(lines ...string) map[string]string {
	return map[string]string{"go.mod": "module example.com/m\n" + strings.Join(lines, "\n") + "\n"}
}

func str(s string) *string { return &s }

var decideCases = []decideCase{
	// GOTOOLCHAIN=auto (go.env's default) and the go line.
	{name: "no module", want: Decision{}},
	{name: "auto go line newer", files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "auto go line older", files: gomod("go 1.25.0")},
	{name: "auto go line equal", files: gomod("go 1.26.8")},
	{name: "auto go line language version", files: gomod("go 1.27"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27"}},
	{name: "auto go line old language version", files: gomod("go 1.20")},
	{name: "auto go line rc", files: gomod("go 1.27rc1"),
		want: Decision{Target: "go1.27rc1", Reason: "go.mod requires go >= 1.27rc1"}},
	{name: "auto go line rc of local release", files: gomod("go 1.26rc2")},
	{name: "auto go line beta", files: gomod("go 1.30beta2"),
		want: Decision{Target: "go1.30beta2", Reason: "go.mod requires go >= 1.30beta2"}},
	{name: "auto go line malformed", files: gomod("go 1.27.0.1")},
	{name: "auto go line with suffix", files: gomod("go 1.27.0-x")},
	{name: "auto go line quoted", files: gomod(`go "1.27.0"`)},
	{name: "auto go line comment and CRLF", files: map[string]string{"go.mod": "module m\r\n\r\ngo 1.27.0 // needs iterators\r\n"},
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "auto go line tab", files: gomod("go\t1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "auto go line commented out", files: gomod("// go 1.27.0", "gopher 1.28.0")},
	{name: "auto first go line wins", files: gomod("go 1.25.0", "go 1.27.0")},
	{name: "auto go.mod above dir", files: gomod("go 1.27.0"), dir: "a/b",
		want: Decision{Target: "go1.27.0", Reason: "../../go.mod requires go >= 1.27.0"}},

	// The toolchain line.
	{name: "toolchain above go line", files: gomod("go 1.27.0", "toolchain go1.27.2"),
		want: Decision{Target: "go1.27.2", Reason: "toolchain go1.27.2 in go.mod"}},
	{name: "toolchain below go line", files: gomod("go 1.27.0", "toolchain go1.26.9"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "toolchain below local", files: gomod("go 1.24", "toolchain go1.25.0")},
	{name: "toolchain with suffix", files: gomod("go 1.22", "toolchain go1.27.0-bigcorp"),
		want: Decision{Target: "go1.27.0-bigcorp", Reason: "toolchain go1.27.0-bigcorp in go.mod"}},
	{name: "toolchain default", files: gomod("go 1.27.0", "toolchain default")},
	{name: "toolchain invalid", files: gomod("go 1.27.0", "toolchain 1.27.0"),
		err: `invalid toolchain "1.27.0" in go.mod`},
	{name: "toolchain invalid, not read when pinned", files: gomod("toolchain 1.27.0"),
		env: []string{"GOTOOLCHAIN=go1.25.0"}, want: Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0"}},

	// Every GOTOOLCHAIN form.
	{name: "local", files: gomod("go 1.27.0"), env: []string{"GOTOOLCHAIN=local"}},
	{name: "path", files: gomod("go 1.27.0"), env: []string{"GOTOOLCHAIN=path"},
		want: Decision{Target: "go1.27.0", Path: true, Reason: "go.mod requires go >= 1.27.0"}},
	{name: "path, nothing newer", files: gomod("go 1.21"), env: []string{"GOTOOLCHAIN=path"}},
	{name: "pinned ignores go.mod", files: gomod("go 1.28.0"), env: []string{"GOTOOLCHAIN=go1.27.0"},
		want: Decision{Target: "go1.27.0", Reason: "GOTOOLCHAIN=go1.27.0"}},
	{name: "pinned to local", files: gomod("go 1.28.0"), env: []string{"GOTOOLCHAIN=go1.26.8"}},
	{name: "pinned older", env: []string{"GOTOOLCHAIN=go1.25.0"},
		want: Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0"}},
	{name: "pinned language version", env: []string{"GOTOOLCHAIN=go1.27"},
		want: Decision{Target: "go1.27", Reason: "GOTOOLCHAIN=go1.27"}},
	{name: "pinned with suffix", env: []string{"GOTOOLCHAIN=go1.27.0-bigcorp"},
		want: Decision{Target: "go1.27.0-bigcorp", Reason: "GOTOOLCHAIN=go1.27.0-bigcorp"}},
	{name: "min+auto raised by go.mod", files: gomod("go 1.27.0"), env: []string{"GOTOOLCHAIN=go1.25.0+auto"},
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "min+auto above go.mod", files: gomod("go 1.22.0"), env: []string{"GOTOOLCHAIN=go1.30.0+auto"},
		want: Decision{Target: "go1.30.0", Reason: "GOTOOLCHAIN=go1.30.0+auto"}},
	{name: "min+auto with toolchain default", files: gomod("go 1.31.0", "toolchain default"), env: []string{"GOTOOLCHAIN=go1.30.0+auto"},
		want: Decision{Target: "go1.30.0", Reason: "GOTOOLCHAIN=go1.30.0+auto"}},
	{name: "min+auto toolchain line equal to min", files: gomod("go 1.21", "toolchain go1.27.0"), env: []string{"GOTOOLCHAIN=go1.27.0-bigcorp+auto"},
		want: Decision{Target: "go1.27.0-bigcorp", Reason: "GOTOOLCHAIN=go1.27.0-bigcorp+auto"}},
	{name: "min+path", files: gomod("go 1.24"), env: []string{"GOTOOLCHAIN=go1.25.0+path"},
		want: Decision{Target: "go1.25.0", Path: true, Reason: "GOTOOLCHAIN=go1.25.0+path"}},
	{name: "min+path raised", files: gomod("go 1.28.1"), env: []string{"GOTOOLCHAIN=go1.25.0+path"},
		want: Decision{Target: "go1.28.1", Path: true, Reason: "go.mod requires go >= 1.28.1"}},
	{name: "local+auto", files: gomod("go 1.27.0"), env: []string{"GOTOOLCHAIN=local+auto"},
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "local+path", files: gomod("go 1.27.0"), env: []string{"GOTOOLCHAIN=local+path"},
		want: Decision{Target: "go1.27.0", Path: true, Reason: "go.mod requires go >= 1.27.0"}},

	// Invalid settings: go's own messages.
	{name: "invalid name", env: []string{"GOTOOLCHAIN=bash"}, err: `invalid GOTOOLCHAIN "bash"`},
	{name: "invalid minimum", env: []string{"GOTOOLCHAIN=go1.x+auto"}, err: `invalid GOTOOLCHAIN "go1.x+auto": invalid minimum toolchain "go1.x"`},
	{name: "invalid suffix", env: []string{"GOTOOLCHAIN=go1.27.0+local"}, err: `invalid GOTOOLCHAIN "go1.27.0+local": only version suffixes are +auto and +path`},
	{name: "invalid auto+auto", env: []string{"GOTOOLCHAIN=auto+auto"}, err: `invalid GOTOOLCHAIN "auto+auto": invalid minimum toolchain "auto"`},
	{name: "invalid path separator", env: []string{"GOTOOLCHAIN=go1.27.0/x"}, err: `invalid GOTOOLCHAIN "go1.27.0/x"`},
	{name: "invalid go2", env: []string{"GOTOOLCHAIN=go2.0"}, err: `invalid GOTOOLCHAIN "go2.0"`},
	{name: "invalid but GOPATH mode", env: []string{"GOTOOLCHAIN=bash", "GO111MODULE=off"}},

	// go.work against go.mod.
	{name: "go.work wins", dir: "a", files: map[string]string{"go.work": "go 1.27.1\nuse ./a\n", "a/go.mod": "module a\ngo 1.22\n"},
		want: Decision{Target: "go1.27.1", Reason: "../go.work requires go >= 1.27.1"}},
	{name: "go.work older than go.mod", dir: "a", files: map[string]string{"go.work": "go 1.22\nuse ./a\n", "a/go.mod": "module a\ngo 1.27.0\n"}},
	{name: "go.work toolchain", files: map[string]string{"go.work": "go 1.22\ntoolchain go1.27.3\n", "go.mod": "module a\ngo 1.22\n"},
		want: Decision{Target: "go1.27.3", Reason: "toolchain go1.27.3 in go.work"}},
	{name: "GOWORK=off", dir: "a", env: []string{"GOWORK=off"}, files: map[string]string{"go.work": "go 1.27.1\n", "a/go.mod": "module a\ngo 1.22\n"}},
	{name: "GOWORK=auto", dir: "a", env: []string{"GOWORK=auto"}, files: map[string]string{"go.work": "go 1.27.1\n", "a/go.mod": "module a\ngo 1.22\n"},
		want: Decision{Target: "go1.27.1", Reason: "../go.work requires go >= 1.27.1"}},
	{name: "GOWORK names a file", env: []string{"GOWORK=$ROOT/tree/w/x.work"}, files: map[string]string{"w/x.work": "go 1.28.0\n", "go.mod": "module a\ngo 1.22\n"},
		want: Decision{Target: "go1.28.0", Reason: "w/x.work requires go >= 1.28.0"}},
	{name: "GOWORK names a missing file", env: []string{"GOWORK=$ROOT/tree/none.work"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "GOWORK relative", env: []string{"GOWORK=x.work"}, files: gomod("go 1.27.0"), err: "invalid GOWORK: not an absolute path"},
	{name: "GOWORK relative, not read when pinned", env: []string{"GOWORK=x.work", "GOTOOLCHAIN=local"}, files: gomod("go 1.27.0"), goFails: true},
	{name: "GOWORK=off from the user file", user: "GOWORK=off\n", dir: "a", files: map[string]string{"go.work": "go 1.27.1\n", "a/go.mod": "module a\ngo 1.22\n"}},

	// GO111MODULE.
	{name: "GO111MODULE=off", env: []string{"GO111MODULE=off"}, files: gomod("go 1.27.0")},
	{name: "GO111MODULE=on", env: []string{"GO111MODULE=on"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "GO111MODULE=auto in a module", env: []string{"GO111MODULE=auto"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "GO111MODULE=auto without one", env: []string{"GO111MODULE=auto", "GOTOOLCHAIN=go1.25.0"}},
	{name: "GO111MODULE=on pinned without module", env: []string{"GO111MODULE=on", "GOTOOLCHAIN=go1.25.0"},
		want: Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0"}},
	{name: "GO111MODULE invalid", env: []string{"GO111MODULE=bogus"}, files: gomod("go 1.27.0"), goFails: true},
	{name: "GO111MODULE=off from the user file", user: "GO111MODULE=off\n", files: gomod("go 1.27.0")},

	// Where GOTOOLCHAIN comes from.
	{name: "user file over go.env", user: "GOTOOLCHAIN=local\n", files: gomod("go 1.27.0")},
	{name: "environment over user file", user: "GOTOOLCHAIN=local\n", env: []string{"GOTOOLCHAIN=auto"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "empty variable falls through", user: "GOTOOLCHAIN=local\n", env: []string{"GOTOOLCHAIN="}, files: gomod("go 1.27.0")},
	{name: "GOENV=off skips the user file", user: "GOTOOLCHAIN=local\n", env: []string{"GOENV=off"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "user file in XDG_CONFIG_HOME", env: []string{"GOENV=", "XDG_CONFIG_HOME=$ROOT/config"},
		files: map[string]string{"../config/go/env": "GOTOOLCHAIN=go1.25.0+auto\n"},
		want:  Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0+auto"}},
	{name: "user file in HOME/.config", env: []string{"GOENV="},
		files: map[string]string{"../home/.config/go/env": "GOTOOLCHAIN=go1.25.0+auto\n"},
		want:  Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0+auto"}},
	{name: "user file comments and junk", user: "# GOTOOLCHAIN=local\n\ngotoolchain=local\nGOTOOLCHAIN\n", files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "user file value verbatim", user: "GOTOOLCHAIN=local \n", files: gomod("go 1.27.0"), err: `invalid GOTOOLCHAIN "local "`},
	{name: "go.env says local", goenv: str("GOTOOLCHAIN=local\n"), files: gomod("go 1.27.0")},
	{name: "go.env silent", goenv: str("GOPROXY=off\n"), files: gomod("go 1.27.0")},
	{name: "go.env of the user file's GOROOT", user: "GOROOT=$ROOT/other\n", goenv: str("GOTOOLCHAIN=auto\n"),
		files: map[string]string{"../other/go.env": "GOTOOLCHAIN=go1.25.0\n"}, want: Decision{Target: "go1.25.0", Reason: "GOTOOLCHAIN=go1.25.0"}},

	// A go run by a go that switched.
	{name: "switched child runs", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_VERSION=go1.26.8", "GOTOOLCHAIN_INTERNAL_SWITCH_COUNT=1"}, files: gomod("go 1.27.0")},
	{name: "switched child is the wrong go", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_VERSION=go1.27.0"}, files: gomod("go 1.27.0"),
		err: "toolchain go1.26.8 invoked to provide go1.27.0"},
	{name: "switched child checks after GOTOOLCHAIN", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_VERSION=go1.27.0", "GOTOOLCHAIN=bash"},
		err: `invalid GOTOOLCHAIN "bash"`},
	{name: "switch loop", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_COUNT=100"}, files: gomod("go 1.27.0"), err: "too many toolchain switches"},
	{name: "switch count below the limit", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_COUNT=99"}, files: gomod("go 1.27.0"),
		want: Decision{Target: "go1.27.0", Reason: "go.mod requires go >= 1.27.0"}},
	{name: "switch count without a switch", env: []string{"GOTOOLCHAIN_INTERNAL_SWITCH_COUNT=100"}, files: gomod("go 1.22")},
}

// setup lays out tc's files under a new $ROOT and returns go's environment
// and working directory for it. The GOROOT is $ROOT/goroot, holding only
// go.env, unless realRoot names a real one: then $ROOT/goroot also links
// to everything else in realRoot, and env sets GOROOT to it, so that the
// real go reads the case's go.env.
func setup(t *testing.T, tc decideCase, realRoot string) (env environ.Environ, dir, root string) {
	t.Helper()
	root = t.TempDir()
	expand := func(s string) string { return strings.ReplaceAll(s, "$ROOT", root) }
	write := func(name, data string) {
		t.Helper()
		name = filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(expand(data)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range tc.files {
		write("tree/"+name, data)
	}
	goenv := "# upstream's default\nGOTOOLCHAIN=auto\n"
	if tc.goenv != nil {
		goenv = *tc.goenv
	}
	write("goroot/go.env", goenv)
	if realRoot != "" {
		entries, err := os.ReadDir(realRoot)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Name() != "go.env" {
				if err := os.Symlink(filepath.Join(realRoot, e.Name()), filepath.Join(root, "goroot", e.Name())); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	dir = filepath.Join(root, "tree", filepath.FromSlash(tc.dir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	env = environ.Environ{"HOME=" + filepath.Join(root, "home"), "PATH=", "GOENV=off"}
	if tc.user != "" {
		write("user.env", tc.user)
		env = env.With("GOENV", filepath.Join(root, "user.env"))
	}
	if realRoot != "" {
		env = append(env, "GOROOT="+filepath.Join(root, "goroot"))
		// With telemetry on, the real go may leave a child behind that
		// still writes below HOME while the test removes it.
		write("home/.config/go/telemetry/mode", "off")
		write("config/go/telemetry/mode", "off")
	}
	for _, kv := range tc.env {
		env = append(env, expand(kv))
	}
	return env, dir, root
}

func TestDecide(t *testing.T) {
	for _, tc := range decideCases {
		t.Run(tc.name, func(t *testing.T) {
			env, dir, root := setup(t, tc, "")
			got, err := Decide(env, dir, filepath.Join(root, "goroot"), local)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Decide = %+v, %v; want error %q", got, err, tc.err)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("Decide = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestDecideCurrentDirectory(t *testing.T) {
	env, dir, root := setup(t, decideCase{files: gomod("go 1.27.0"), dir: "a"}, "")
	t.Chdir(dir)
	got, err := Decide(env, "", filepath.Join(root, "goroot"), local)
	if want := (Decision{Target: "go1.27.0", Reason: "../go.mod requires go >= 1.27.0"}); err != nil || got != want {
		t.Fatalf("Decide = %+v, %v; want %+v", got, err, want)
	}
	got, err = Decide(env, "..", filepath.Join(root, "goroot"), local)
	if err != nil || got.Target != "go1.27.0" || got.Reason != "go.mod requires go >= 1.27.0" {
		t.Fatalf("Decide(-C ..) = %+v, %v", got, err)
	}
}

func TestDecideUnreadableFile(t *testing.T) {
	env, dir, root := setup(t, decideCase{}, "")
	// A go.mod that is a dangling symlink is found by neither go nor Decide;
	// one that is a directory neither. A go.work named by GOWORK that
	// cannot be read is an error for both.
	work := filepath.Join(root, "w.work")
	if err := os.Mkdir(work, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Decide(env.With("GOWORK", work), dir, filepath.Join(root, "goroot"), local)
	var pe *os.PathError
	if !errors.As(err, &pe) {
		t.Fatalf("Decide with an unreadable go.work: %v, want a *PathError", err)
	}
}

func TestDecideLocalNotAToolchain(t *testing.T) {
	env, dir, root := setup(t, decideCase{}, "")
	if _, err := Decide(env, dir, filepath.Join(root, "goroot"), "devel"); err == nil {
		t.Fatal("Decide accepted local toolchain \"devel\"")
	}
}

// TestDecideAgreesWithGo runs every case of the table with the real go,
// which tells what it decided by the toolchain it then fails to download
// (GOPROXY=off, an empty module cache, an empty PATH), or by running. When
// the real go is the table's local version, both must also give the
// table's answer.
func TestDecideAgreesWithGo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go once per case")
	}
	if runtime.GOOS == "windows" {
		t.Skip("links a GOROOT together with symbolic links")
	}
	goroot, goTool := realGo(t)
	realLocal, err := LocalVersion(goroot)
	if err != nil {
		t.Fatal(err)
	}
	switched := regexp.MustCompile(`go: downloading (\S+) \(|go: cannot find "(\S+)" in PATH`)
	for _, tc := range decideCases {
		t.Run(tc.name, func(t *testing.T) {
			env, dir, root := setup(t, tc, goroot)
			env = append(env, "GOPROXY=off", "GOSUMDB=off", "GOFLAGS=", "GOMODCACHE="+filepath.Join(root, "modcache"),
				"GOCACHE="+filepath.Join(root, "gocache"), "GOTELEMETRY=off")
			// The table's local version is go1.26.8; keep the cases about
			// the child's check meaningful for another real go.
			for i, kv := range env {
				if k, v, _ := strings.Cut(kv, "="); k == targetEnvVar && v == local {
					env[i] = k + "=" + realLocal
				}
			}
			want, werr := Decide(env, dir, goroot, realLocal)
			if realLocal == local {
				if (werr != nil) != (tc.err != "") || werr == nil && want != tc.want {
					t.Errorf("with the real GOROOT, Decide = %+v, %v; the table says %+v, %q", want, werr, tc.want, tc.err)
				}
			}

			cmd := exec.Command(goTool, "env", "GOVERSION")
			cmd.Dir, cmd.Env = dir, env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			var got Decision
			if m := switched.FindStringSubmatch(stderr.String()); m != nil {
				got = Decision{Target: m[1] + m[2], Path: m[2] != ""}
			}
			want.Reason = ""
			switch {
			case werr != nil:
				if err == nil || !strings.Contains(stderr.String(), werr.Error()) {
					t.Fatalf("Decide: %v; go: %v, %s", werr, err, stderr.String())
				}
			case want.Target != "":
				if got != want {
					t.Fatalf("Decide = %+v; go: %+v (%s)", want, got, stderr.String())
				}
			case err != nil:
				if !tc.goFails || got.Target != "" {
					t.Fatalf("Decide made no switch; go: %v, %s", err, stderr.String())
				}
			default:
				if v := strings.TrimSpace(string(out)); v != realLocal {
					t.Fatalf("Decide made no switch; go ran as %s", v)
				}
			}
		})
	}
}

// realGo returns the GOROOT and go binary of the go on PATH, asked
// without letting it switch.
func realGo(t *testing.T) (goroot, goTool string) {
	t.Helper()
	path, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go on PATH")
	}
	cmd := exec.Command(path, "env", "GOROOT")
	cmd.Env = append(os.Environ(), "GOTOOLCHAIN=local")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	goroot = strings.TrimSpace(string(out))
	return goroot, filepath.Join(goroot, "bin", "go")
}
