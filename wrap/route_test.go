package wrap

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofastdev/gofast/internal/environ"
	"github.com/gofastdev/gofast/internal/warmstamp"
)

// TestRoutePlan: Route's plan carries every decision the launcher and the
// full program follow (GOFAST_OFF, a toolchain download first, a warm-up
// record), so neither reads them again.
func TestRoutePlan(t *testing.T) {
	goroot := t.TempDir()
	goTool := filepath.Join(goroot, "bin", "go")
	os.MkdirAll(filepath.Dir(goTool), 0o777)
	os.WriteFile(goTool, []byte("#!/bin/sh\n"), 0o755)
	os.WriteFile(filepath.Join(goroot, "VERSION"), []byte("go1.26.0\ntime 2026-01-01T00:00:00Z\n"), 0o666)
	mod := t.TempDir()
	os.WriteFile(filepath.Join(mod, "go.mod"), []byte("module example.com/m\n\ngo 1.21\n"), 0o666)
	newer := t.TempDir()
	os.WriteFile(filepath.Join(newer, "go.mod"), []byte("module example.com/n\n\ngo 1.99.0\n"), 0o666)
	cold := t.TempDir()
	os.WriteFile(filepath.Join(cold, "go.mod"), []byte("module example.com/c\n\ngo 1.21\n"), 0o666)
	env := environ.Environ{"HOME=" + t.TempDir(), "XDG_CACHE_HOME=" + t.TempDir(), "GOENV=off",
		"GOMODCACHE=" + t.TempDir(), "GOTOOLCHAIN=auto"}
	cached := filepath.Join(t.TempDir(), "v1.0.0.zip")
	os.WriteFile(cached, nil, 0o444)
	record := warmstamp.Path(env, mod, goTool)
	if record == "" {
		t.Fatal("no warm-up record path for the module")
	}
	if err := warmstamp.Write(record, []string{cached}); err != nil {
		t.Fatal(err)
	}
	noGo := errors.New("go not found")

	for _, tc := range []struct {
		name    string
		env     environ.Environ
		args    []string
		missing bool // the go tool cannot be located
		want    Plan
	}{
		{name: "off", env: env.With("GOFAST_OFF", "1"), args: []string{"-C", newer, "build"},
			want: Plan{Action: PlanGo, Off: true, GoTool: goTool, GoAlone: true}},
		{name: "off own command", env: env.With("GOFAST_OFF", "1"), args: []string{"mirrors"},
			want: Plan{Action: PlanGo, Off: true, GoTool: goTool, GoAlone: true}},
		{name: "own command", env: env, args: []string{"doctor"},
			want: Plan{Action: PlanOwn}},
		{name: "never fetches", env: env, args: []string{"-C", mod, "version"},
			want: Plan{Action: PlanGo, GoTool: goTool, GoAlone: true}},
		{name: "toolchain switch, never fetches", env: env, args: []string{"-C", newer, "version"},
			want: Plan{Action: PlanGo, GoTool: goTool, ToolchainFirst: true}},
		{name: "toolchain switch, fetches", env: env, args: []string{"-C", newer, "build"},
			want: Plan{Action: PlanFetch, GoTool: goTool, ToolchainFirst: true, Record: warmstamp.Path(env, newer, goTool)}},
		{name: "toolchain switch, local", env: env.With("GOTOOLCHAIN", "local"), args: []string{"-C", newer, "version"},
			want: Plan{Action: PlanGo, GoTool: goTool, GoAlone: true}},
		{name: "valid warm record", env: env, args: []string{"-C", mod, "build", "./..."},
			want: Plan{Action: PlanFetch, GoTool: goTool, Record: record, Warm: true, GoAlone: true}},
		{name: "valid warm record, resolves", env: env, args: []string{"-C", mod, "get", "example.com/a@v1.0.0"},
			want: Plan{Action: PlanFetch, GoTool: goTool, Record: record, Warm: true}},
		{name: "valid warm record, mod download", env: env, args: []string{"-C", mod, "mod", "download"},
			want: Plan{Action: PlanFetch, GoTool: goTool}},
		{name: "cold cache", env: env, args: []string{"-C", cold, "build", "./..."},
			want: Plan{Action: PlanFetch, GoTool: goTool, Record: warmstamp.Path(env, cold, goTool)}},
		{name: "no go tool, never fetches", env: env, args: []string{"version"}, missing: true,
			want: Plan{Action: PlanGo, GoErr: noGo, GoAlone: true}},
		{name: "no go tool, fetches", env: env, args: []string{"-C", mod, "build"}, missing: true,
			want: Plan{Action: PlanFetch, GoErr: noGo}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			calls := 0
			locate := func() (string, error) {
				calls++
				if tc.missing {
					return "", noGo
				}
				return goTool, nil
			}
			got, _ := Route(tc.env, tc.args, locate)
			if got != tc.want {
				t.Errorf("Route(%q) =\n\t%+v\nwant\n\t%+v", tc.args, got, tc.want)
			}
			if want := 1; tc.want.Action == PlanOwn && calls != 0 || tc.want.Action != PlanOwn && calls != want {
				t.Errorf("Route(%q) located go %d times", tc.args, calls)
			}
		})
	}
	if p := warmstamp.Path(env, cold, goTool); p == "" || p == record {
		t.Fatalf("the cold module's record path %q must differ from the warm one's", p)
	}
}
