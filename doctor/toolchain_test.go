package doctor

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

func TestToolchainCheck(t *testing.T) {
	pathDir := t.TempDir()
	exe := "go1.99.1"
	if runtime.GOOS == "windows" {
		exe += ".exe"
	}
	if err := os.WriteFile(filepath.Join(pathDir, exe), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		gotoolchain string
		goproxy     string
		gomod       *mainFile
		env         goenv.Environ
		status      Status
		detail      string
		fix         string
	}{
		{name: "no module", gotoolchain: "auto", status: Pass, detail: "go1.26.0 runs here"},
		{name: "older go line", gotoolchain: "local", gomod: &mainFile{path: "go.mod", goVersion: "1.21"}, status: Pass, detail: "asks for go >= 1.21"},
		{name: "local refuses newer", gotoolchain: "local", gomod: &mainFile{path: "go.mod", goVersion: "1.99.0"}, status: Fail,
			detail: "go.mod requires go >= 1.99.0, but GOTOOLCHAIN=local runs go1.26.0", fix: "go env -w GOTOOLCHAIN='auto'"},
		{name: "local refuses newer, env", gotoolchain: "local", env: goenv.Environ{"GOTOOLCHAIN=local"}, gomod: &mainFile{path: "go.mod", goVersion: "1.99.0"},
			status: Fail, fix: "export GOTOOLCHAIN='auto'"},
		{name: "auto downloads", gotoolchain: "auto", gomod: &mainFile{path: "go.mod", goVersion: "1.99.0"}, status: Pass,
			detail: "go switches to go1.99.0, downloading it as module golang.org/toolchain (v0.0.1-go1.99.0.linux-amd64) through GOPROXY"},
		{name: "auto language version", gotoolchain: "auto", gomod: &mainFile{path: "go.mod", goVersion: "1.99"}, status: Pass, detail: "the latest go1.99.x"},
		{name: "toolchain line", gotoolchain: "auto", gomod: &mainFile{path: "go.mod", goVersion: "1.21", toolchain: "go1.98.2"}, status: Pass, detail: "switches to go1.98.2"},
		{name: "go.work", gotoolchain: "auto", gomod: &mainFile{path: "/w/go.work", goVersion: "1.99.0"}, status: Pass, detail: "switches to go1.99.0"},
		{name: "auto but GOPROXY off", gotoolchain: "auto", goproxy: "off", gomod: &mainFile{path: "go.mod", goVersion: "1.99.0"}, status: Fail, detail: "GOPROXY=off"},
		{name: "pinned", gotoolchain: "go1.98.0", status: Pass, detail: "switches to go1.98.0"},
		{name: "pinned older than go.mod", gotoolchain: "go1.27.0", gomod: &mainFile{path: "go.mod", goVersion: "1.99.0"}, status: Fail, detail: "forbids switching"},
		{name: "minimum plus auto", gotoolchain: "go1.98.0+auto", gomod: &mainFile{path: "go.mod", goVersion: "1.21"}, status: Pass, detail: "switches to go1.98.0"},
		{name: "path missing", gotoolchain: "path", env: goenv.Environ{"PATH=" + t.TempDir()}, gomod: &mainFile{path: "go.mod", goVersion: "1.99.1"}, status: Fail,
			detail: "only looks in PATH", fix: "go install golang.org/dl/go1.99.1@latest && go1.99.1 download"},
		{name: "path found", gotoolchain: "path", env: goenv.Environ{"PATH=" + pathDir}, gomod: &mainFile{path: "go.mod", goVersion: "1.99.1"}, status: Pass, detail: "found in PATH"},
		{name: "invalid", gotoolchain: "go1.x", status: Fail, detail: "go refuses to run", fix: "go env -u GOTOOLCHAIN"},
		{name: "bad suffix", gotoolchain: "go1.27.0+never", status: Fail, detail: "+auto or +path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &goenv.Settings{GOVERSION: "go1.26.0", GOTOOLCHAIN: tt.gotoolchain, GOOS: "linux", GOARCH: "amd64"}
			goproxy := tt.goproxy
			if goproxy == "" {
				goproxy = "https://m.example,direct"
			}
			chain, err := mirrors.ParseList(goproxy)
			if err != nil {
				t.Fatal(err)
			}
			c := toolchainCheck(s, tt.env, "go1.26.0", tt.gomod, chain)
			if c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) || tt.fix != "" && c.Fix != tt.fix {
				t.Errorf("got %s %q fix %q; want %s containing %q fix %q", c.Status, c.Detail, c.Fix, tt.status, tt.detail, tt.fix)
			}
		})
	}
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
