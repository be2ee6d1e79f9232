package modproxy

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// tree returns modules example.com/rt/m<i> v1.0.0 forming a tree in which
// the module at each depth requires fanout[depth] others, with go lines of
// goVersion: a synthetic module graph for go to walk.
func tree(goVersion string, fanout ...int) []proxytest.Module {
	var mods []proxytest.Module
	n := 0
	var add func(depth int) string
	add = func(depth int) string {
		p := fmt.Sprintf("example.com/rt/m%d", n)
		n++
		var req []string
		if depth < len(fanout) {
			for range fanout[depth] {
				req = append(req, "\t"+add(depth+1)+" v1.0.0\n")
			}
		}
		gomod := "module " + p + "\n\ngo " + goVersion + "\n"
		if len(req) > 0 {
			gomod += "\nrequire (\n" + strings.Join(req, "") + ")\n"
		}
		mods = append(mods, proxytest.Module{Path: p, Version: "v1.0.0", GoMod: gomod})
		return p
	}
	add(0)
	return mods
}

// BenchmarkReadAhead runs `go get` of the root of a 31-module graph
// (fanout 3, 3, 2) through the proxy over a mirror 75 ms away, with
// read-ahead off and on, cold each time, and reports the bytes read ahead
// that go used and did not. It measures; it does not pass or fail. Run it
// by hand:
//
//	go test -run '^$' -bench ReadAhead -benchtime 3x ./modproxy/
func BenchmarkReadAhead(b *testing.B) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		b.Skip("go not on PATH")
	}
	for _, graph := range []struct {
		name, goVersion string
	}{{"unpruned", "1.16"}, {"pruned", "1.21"}} {
		mods := tree(graph.goVersion, 3, 3, 2)
		tr := proxytest.MustBuild(mods...)
		mirror := proxytest.New(b, proxytest.Options{FS: tr.FS, SumDB: "sum.test", Lookup: tr.Lookup, Latency: 75 * time.Millisecond})
		root := mods[len(mods)-1].Path
		for _, mode := range []struct {
			name string
			jobs int
		}{{"off", -1}, {"on", 0}} {
			b.Run(graph.name+"/"+mode.name, func(b *testing.B) {
				var used, unused int64
				var goTime time.Duration
				for b.Loop() {
					cache := b.TempDir()
					st := &goenv.Settings{GOMODCACHE: cache, GOSUMDB: mirror.GOSUMDB}
					h := &Handler{ReadAheadJobs: mode.jobs}
					lb := startWith(b, mirror.URL, st, 10*time.Second, h)
					dir := b.TempDir()
					os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666)
					env := proxytest.GoEnv(os.Environ(), mirror, cache)
					env = append(env, "GOPROXY="+lb.URL, "GOFLAGS=-modcacherw")
					cmd := exec.Command(goTool, "get", root+"@v1.0.0")
					cmd.Dir, cmd.Env = dir, env
					t0 := time.Now()
					if out, err := cmd.CombinedOutput(); err != nil {
						b.Fatalf("go get: %v\n%s", err, out)
					}
					goTime += time.Since(t0)
					lb.Close()
					u, un := h.ReadAhead()
					used, unused = used+u, unused+un
				}
				b.ReportMetric(float64(goTime.Milliseconds())/float64(b.N), "go-ms/op")
				b.ReportMetric(float64(used)/float64(b.N), "used-B/op")
				b.ReportMetric(float64(unused)/float64(b.N), "unused-B/op")
			})
		}
	}
}
