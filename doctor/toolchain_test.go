package doctor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/toolchain"
	"github.com/gofastdev/gofast/mirrors"
)

// TestToolchainCheck runs the check in a real module, with GOTOOLCHAIN set
// in a go env file (as go env -w leaves it) unless the case sets it in the
// environment, and $GOROOT/go.env saying auto unless the case says more.
func TestToolchainCheck(t *testing.T) {
	pathDir := t.TempDir()
	exe := "go1.99.1"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if err := os.WriteFile(filepath.Join(pathDir, exe), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	auto := "GOTOOLCHAIN=auto\n"
	tests := []struct {
		name        string
		goenv       *string // $GOROOT/go.env; nil means "GOTOOLCHAIN=auto"
		gotoolchain string  // in the go env file, unless ""
		gomod       string  // "" means no go.mod
		gowork      bool    // the go.mod text is a go.work's
		env         goenv.Environ
		status      Status
		detail      string
		fix         string
	}{
		{name: "no module", gotoolchain: "auto", status: Pass, detail: "go1.26.0 runs here"},
		{name: "older go line", gotoolchain: "local", gomod: "go 1.21", status: Pass, detail: "asks for go >= 1.21"},
		{name: "local refuses newer", gotoolchain: "local", gomod: "go 1.99.0", status: Fail,
			detail: "go.mod requires go >= 1.99.0, but GOTOOLCHAIN=local runs go1.26.0", fix: "go env -w GOTOOLCHAIN='auto'"},
		{name: "local refuses newer, env", env: goenv.Environ{"GOTOOLCHAIN=local"}, gomod: "go 1.99.0",
			status: Fail, fix: "export GOTOOLCHAIN='auto'"},
		{name: "auto downloads", gotoolchain: "auto", gomod: "go 1.99.0", status: Pass,
			detail: "go switches to go1.99.0, downloading it as module golang.org/toolchain (v0.0.1-go1.99.0.linux-amd64) through GOPROXY"},
		{name: "toolchain line", gotoolchain: "auto", gomod: "go 1.21\ntoolchain go1.98.2", status: Pass, detail: "switches to go1.98.2"},
		{name: "go.work", gotoolchain: "auto", gomod: "go 1.99.0", gowork: true, status: Pass, detail: "switches to go1.99.0"},
		{name: "auto but GOPROXY off", gotoolchain: "auto", env: goenv.Environ{"GOPROXY=off"}, gomod: "go 1.99.0", status: Fail, detail: "GOPROXY=off"},
		{name: "pinned", gotoolchain: "go1.98.0", status: Pass, detail: "switches to go1.98.0"},
		{name: "pinned older than go.mod", gotoolchain: "go1.27.0", gomod: "go 1.99.0", status: Fail, detail: "forbids switching"},
		{name: "minimum plus auto", gotoolchain: "go1.98.0+auto", gomod: "go 1.21", status: Pass, detail: "switches to go1.98.0"},
		{name: "path missing", gotoolchain: "path", env: goenv.Environ{"PATH=" + t.TempDir()}, gomod: "go 1.99.1", status: Fail,
			detail: "only looks in PATH", fix: "go install golang.org/dl/go1.99.1@latest && go1.99.1 download"},
		{name: "path found", gotoolchain: "path", env: goenv.Environ{"PATH=" + pathDir}, gomod: "go 1.99.1", status: Pass, detail: "found in PATH"},
		{name: "invalid", gotoolchain: "go1.x", status: Fail, detail: "go refuses to run", fix: "go env -u GOTOOLCHAIN"},
		{name: "bad suffix", gotoolchain: "go1.27.0+never", status: Fail, detail: "only version suffixes are +auto and +path"},

		// Where doctor's own copy of the decision disagreed with go (and
		// with internal/toolchain.Decide, whose tests run the real go).
		// GOTOOLCHAIN set nowhere: go never switches; doctor took it for auto.
		{name: "unset", goenv: str("GOPROXY=off\n"), gomod: "go 1.99.0", status: Fail,
			detail: "go.mod requires go >= 1.99.0, but GOTOOLCHAIN unset (even in $GOROOT/go.env) runs go1.26.0"},
		// local+auto is valid: the local go as the minimum, switching up.
		{name: "local plus auto", gotoolchain: "local+auto", gomod: "go 1.99.0", status: Pass, detail: "go switches to go1.99.0, downloading"},
		// go takes go.env's values verbatim: "auto\r" is no setting it knows.
		{name: "CRLF go.env", goenv: str("GOTOOLCHAIN=auto\r\n"), gomod: "go 1.99.0", status: Fail, detail: `invalid GOTOOLCHAIN "auto\r"`},
		// From Go 1.21 on, go switches to a language version's first
		// release, not to its latest.
		{name: "language version", gotoolchain: "auto", gomod: "go 1.99", status: Pass, detail: "go switches to go1.99.0, downloading"},
		// go runs a toolchain it finds in PATH before it would download one.
		{name: "auto finds PATH", gotoolchain: "auto", env: goenv.Environ{"PATH=" + pathDir}, gomod: "go 1.99.1", status: Pass, detail: "go switches to go1.99.1, found in PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			goroot, dir, user := filepath.Join(root, "goroot"), filepath.Join(root, "m"), filepath.Join(root, "env")
			for _, d := range []string{goroot, dir} {
				if err := os.Mkdir(d, 0o755); err != nil {
					t.Fatal(err)
				}
			}
			write := func(name, data string) {
				t.Helper()
				if err := os.WriteFile(name, []byte(data), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if tt.goenv == nil {
				write(filepath.Join(goroot, "go.env"), auto)
			} else {
				write(filepath.Join(goroot, "go.env"), *tt.goenv)
			}
			env := append(goenv.Environ{"GOENV=" + user, "PATH=" + t.TempDir()}, tt.env...)
			if tt.gotoolchain != "" {
				write(user, "GOTOOLCHAIN="+tt.gotoolchain+"\n")
			}
			s := &goenv.Settings{GOVERSION: "go1.26.0", GOOS: "windows", GOARCH: "386", GOROOT: goroot,
				GOTOOLCHAIN: toolchain.Setting(env, goroot), Raw: map[string]string{"GOHOSTOS": "linux", "GOHOSTARCH": "amd64"}}
			switch {
			case tt.gowork:
				write(filepath.Join(dir, "go.work"), tt.gomod+"\n")
				s.GOWORK = filepath.Join(dir, "go.work")
			case tt.gomod != "":
				write(filepath.Join(dir, "go.mod"), "module example.com/m\n\n"+tt.gomod+"\n")
				s.GOMOD = filepath.Join(dir, "go.mod")
			default:
				s.GOMOD = os.DevNull
			}
			m, err := readMainFile(s, dir)
			if err != nil {
				t.Fatal(err)
			}
			chain, err := mirrors.ParseList(orDefault(env.Get("GOPROXY"), "https://m.example,direct"))
			if err != nil {
				t.Fatal(err)
			}
			c := toolchainCheck(s, env, dir, "go1.26.0", m, chain)
			if c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) || tt.fix != "" && c.Fix != tt.fix {
				t.Errorf("got %s %q fix %q; want %s containing %q fix %q", c.Status, c.Detail, c.Fix, tt.status, tt.detail, tt.fix)
			}
		})
	}
}

func str(s string) *string { return &s }

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func TestCheckGoReadsGoMod(t *testing.T) {
	dir := t.TempDir()
	gomod := "module example.com/app\n\ngo 1.99.0\n\nrequire (\n\tgit.team.internal/lib v1.0.0\n\tgithub.com/pub/lib v1.2.3\n\tgoproxy-creds.example/x v0.1.0\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod), 0o666); err != nil {
		t.Fatal(err)
	}
	s := &goenv.Settings{GOVERSION: "go1.26.0", GOTOOLCHAIN: "local", GOMOD: filepath.Join(dir, "go.mod"), GOPRIVATE: "example.com/private"}
	checks := checkGo(Options{Settings: s}, nil, []string{"goproxy-creds.example"}, nil)
	var toolchain, private *Check
	for i, c := range checks {
		switch c.Target {
		case "GOTOOLCHAIN":
			toolchain = &checks[i]
		case "GOPRIVATE":
			private = &checks[i]
		}
	}
	if toolchain == nil || toolchain.Status != Fail || !strings.Contains(toolchain.Detail, "requires go >= 1.99.0") {
		t.Errorf("toolchain check = %+v", toolchain)
	}
	if private == nil || private.Status != Warn ||
		!strings.Contains(private.Detail, "git.team.internal/lib (an internal host name)") ||
		!strings.Contains(private.Detail, "goproxy-creds.example/x (a host the netrc file has credentials for)") ||
		strings.Contains(private.Detail, "github.com/pub") ||
		private.Fix != "go env -w GOPRIVATE='example.com/private,git.team.internal,goproxy-creds.example'" {
		t.Errorf("GOPRIVATE check = %+v", private)
	}

	// Covered by GOPRIVATE: nothing to suggest.
	s.GOPRIVATE = "*.internal,goproxy-creds.example"
	for _, c := range checkGo(Options{Settings: s}, nil, []string{"goproxy-creds.example"}, nil) {
		if c.Target == "GOPRIVATE" {
			t.Errorf("covered modules reported: %+v", c)
		}
	}

	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module x\ngo 1.21\nrequire (\n"), 0o666); err != nil {
		t.Fatal(err)
	}
	checks = checkGo(Options{Settings: s}, nil, nil, nil)
	if last := checks[len(checks)-1]; last.Status != Fail || !strings.Contains(last.Detail, "parsing go.mod") {
		t.Errorf("malformed go.mod: %+v", last)
	}
}
