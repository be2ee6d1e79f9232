package prefetch

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
	"github.com/gofastdev/gofast/mirrors"
)

func TestFetchPublishesWhatGoWrites(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	cache := newCache(t)
	var chainCalls atomic.Int32
	opts := Options{
		Settings: settings(cache, srv.URL),
		Compute:  fixedSet(tree, testMods),
		Extract:  true,
		Chain: func(ctx context.Context) (mirrors.List, error) {
			chainCalls.Add(1)
			return mirrors.ParseList(srv.URL)
		},
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := rep.Err(); err != nil {
		t.Fatalf("report errors: %v", err)
	}
	if rep.Fetched != len(testMods) {
		t.Errorf("fetched %d modules, want %d: %+v", rep.Fetched, len(testMods), rep.Modules)
	}
	for _, m := range testMods {
		want := tree.FS[treeFile(m, "mod")].Data
		got, err := os.ReadFile(cacheFile(t, cache, m, "mod"))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s .mod = %q, %v; want %q", m.Path, got, err, want)
		}
		if m.ModOnly {
			if _, err := os.Stat(cacheFile(t, cache, m, "zip")); err == nil {
				t.Errorf("%s: zip fetched for a mod-only module", m.Path)
			}
			continue
		}
		zh, err := os.ReadFile(cacheFile(t, cache, m, "ziphash"))
		if err != nil || string(zh) != tree.Sum[m.Path+" "+m.Version] {
			t.Errorf("%s .ziphash = %q, %v; want %q", m.Path, zh, err, tree.Sum[m.Path+" "+m.Version])
		}
		info, err := os.ReadFile(cacheFile(t, cache, m, "info"))
		if err != nil || !strings.Contains(string(info), `"Version":"`+m.Version+`"`) {
			t.Errorf("%s .info = %q, %v", m.Path, info, err)
		}
	}
	list, _ := os.ReadFile(strings.TrimSuffix(cacheFile(t, cache, testMods[0], "mod"), "v1.0.0.mod") + "list")
	if string(list) != "v1.0.0\n" {
		t.Errorf("@v/list = %q", list)
	}
	if chainCalls.Load() != 1 {
		t.Errorf("chain asked %d times, want 1", chainCalls.Load())
	}

	// A second run finds everything and never asks for the chain.
	before := len(srv.Requests())
	rep, err = Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Fetched != 0 || len(srv.Requests()) != before || chainCalls.Load() != 1 {
		t.Errorf("warm run fetched %d, made %d requests, asked chain %d times", rep.Fetched, len(srv.Requests())-before, chainCalls.Load())
	}
}

func TestProgressAndSummary(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	for _, terminal := range []bool{false, true} {
		var out, js bytes.Buffer
		_, err := Run(context.Background(), Options{
			Settings: settings(newCache(t), srv.URL), Compute: fixedSet(tree, testMods),
			Progress: &out, Terminal: terminal, JSON: &js,
		})
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		last := lines[len(lines)-1]
		if !strings.Contains(last, "gofast: prefetched 4 modules") || !strings.Contains(last, srv.URL) {
			t.Errorf("terminal=%v: summary line %q", terminal, last)
		}
		if !terminal && len(lines) != 1 {
			t.Errorf("not a terminal: want only the summary, got %q", out.String())
		}
		var rep Report
		if err := json.Unmarshal(js.Bytes(), &rep); err != nil || len(rep.Modules) != len(testMods) {
			t.Errorf("JSON report: %v, %d modules", err, len(rep.Modules))
		}
	}
}
