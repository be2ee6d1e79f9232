package prefetch

import (
	"context"
	"crypto/rand"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/proxytest"
)

// sumdbRouteCases are GOPROXY lists over mirrors A, B and C, each mirror's
// answer to /sumdb/<name>/supported, and where go then reads the checksum
// database: through a mirror ("A", "B", "C"), "direct", or "error" (go
// treats the database as unavailable). "stall" never answers: go would
// wait for ever, so the real go sees the stall end with the connection
// dropped, and SumDBBase sees its request deadline; both are a failure
// that is not a "not found".
var sumdbRouteCases = []struct {
	goproxy string
	answers string // A's, B's and C's, space-separated
	want    string
}{
	{"A", "200", "A"},
	{"A", "404", "direct"},
	{"A", "410", "direct"},
	{"A", "500", "error"},
	{"A,B", "404 200", "B"},
	{"A,B", "410 500", "error"},
	{"A,B", "500 200", "error"},
	{"A,B", "stall 200", "error"},
	{"A|B", "500 200", "B"},
	{"A|B", "stall 200", "B"},
	{"A|B", "500 404", "error"},
	{"A|B", "stall 410", "error"},
	{"A|B,direct", "500 404", "direct"},
	{"A|B,off", "500 404", "error"},
	{"A,off", "404", "direct"},
	{"A|direct", "500", "direct"},
	{"A|B|C", "500 404 500", "error"},
	{"A|B|C", "500 500 200", "C"},
	{"A,B|C", "404 500 404", "error"},
	{"A,B|C,direct", "404 500 404", "direct"},
}

// TestSumDBBaseMatchesGo runs the real go for each case, with GOSUMDB
// naming a database go would reach directly at a loopback listener, and
// observes which server go asks for a checksum-database lookup after it
// asked the mirrors for /sumdb/<name>/supported; SumDBBase must choose
// the same.
func TestSumDBBaseMatchesGo(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	tree := proxytest.MustBuild(proxytest.Module{Path: "example.com/dep", Version: "v1.0.0"})

	// The database's direct address: a listener that counts connections
	// and closes them, so that go, choosing direct, fails after reaching it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var directConns atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			directConns.Add(1)
			c.Close()
		}
	}()
	name := ln.Addr().String()
	_, vkey, err := note.GenerateKey(rand.Reader, name)
	if err != nil {
		t.Fatal(err)
	}
	db := &goenv.SumDB{Name: name, URL: "https://" + name}
	supported := "/sumdb/" + name + "/supported"

	for _, c := range sumdbRouteCases {
		t.Run(c.goproxy+"="+strings.ReplaceAll(c.answers, " ", ","), func(t *testing.T) {
			answers := strings.Fields(c.answers)
			// start serves the module at every mirror, and each mirror's
			// answer to supported; real is true for go's run, whose stall
			// ends with a dropped connection.
			start := func(real bool) (map[string]*proxytest.Server, string) {
				servers := map[string]*proxytest.Server{}
				goproxy := c.goproxy
				for i, a := range answers {
					letter := string(rune('A' + i))
					s := proxytest.New(t, proxytest.Options{FS: tree.FS, Fault: func(r *http.Request) proxytest.Fault {
						switch {
						case r.URL.Path != supported:
							if strings.HasPrefix(r.URL.Path, "/sumdb/") {
								return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusNotFound}
							}
							return proxytest.Fault{}
						case a == "200":
							return proxytest.Fault{Kind: proxytest.Status, Status: http.StatusOK}
						case a == "stall" && real:
							return proxytest.Fault{Kind: proxytest.Drop}
						case a == "stall":
							return proxytest.Fault{Kind: proxytest.StallHeaders}
						}
						code := map[string]int{"404": 404, "410": 410, "500": 500}[a]
						return proxytest.Fault{Kind: proxytest.Status, Status: code}
					}})
					servers[letter] = s
					goproxy = strings.ReplaceAll(goproxy, letter, s.URL)
				}
				return servers, goproxy
			}

			// go's choice.
			servers, goproxy := start(true)
			dir, modcache := t.TempDir(), t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/main\n\ngo 1.21\n"), 0o666); err != nil {
				t.Fatal(err)
			}
			env := append(proxytest.GoEnv(os.Environ(), nil, modcache),
				"GOPROXY="+goproxy, "GOSUMDB="+vkey, "GOPATH="+t.TempDir(), "GOCACHE="+t.TempDir())
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, goTool, "mod", "download", "example.com/dep@v1.0.0")
			cmd.Dir, cmd.Env, cmd.WaitDelay = dir, env, time.Second
			before := directConns.Load()
			out, _ := cmd.CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("go mod download did not end: %s", out)
			}
			var chosen []string
			for letter, s := range servers {
				for _, p := range s.Requests() {
					if strings.HasPrefix(p, "/sumdb/") && p != supported {
						chosen = append(chosen, letter)
						break
					}
				}
			}
			if directConns.Load() > before {
				chosen = append(chosen, "direct")
			}
			goChoice := "error"
			switch len(chosen) {
			case 0:
				if !strings.Contains(string(out), "verifying") {
					t.Fatalf("go asked no checksum database and did not fail verifying:\n%s", out)
				}
			case 1:
				goChoice = chosen[0]
			default:
				t.Fatalf("go read the checksum database from %v:\n%s", chosen, out)
			}
			if goChoice != c.want {
				t.Errorf("real go chose %s, the table says %s:\n%s", goChoice, c.want, out)
			}

			// SumDBBase's choice, with a short deadline to end the stall.
			servers, goproxy = start(false)
			f, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), goproxy), RequestTimeout: time.Second, IdleTimeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			base, err := f.SumDBBase(context.Background(), db)
			ours := "error"
			if err == nil {
				ours = "?" + base[0].URL
				if base[0].URL == db.URL {
					ours = "direct"
				}
				for letter, s := range servers {
					if base[0].URL == s.URL+"/sumdb/"+name {
						ours = letter
					}
				}
			}
			if ours != goChoice {
				t.Errorf("SumDBBase chose %s (%v), go chose %s", ours, err, goChoice)
			}
		})
	}
}
