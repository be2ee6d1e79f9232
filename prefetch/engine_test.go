package prefetch

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
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

// TestQuietLeavesNothing: a quiet prefetch (the warm-up before a go
// command) writes nothing where stderr is not a terminal, and on a
// terminal only a progress bar that it erases: no newline, and every
// character drawn on the line is overwritten with blanks before the end.
func TestQuietLeavesNothing(t *testing.T) {
	tree := proxytest.MustBuild(testMods...)
	srv := proxytest.New(t, proxytest.Options{FS: tree.FS})
	for _, terminal := range []bool{false, true} {
		var out bytes.Buffer
		rep, err := Run(context.Background(), Options{
			Settings: settings(newCache(t), srv.URL), Compute: fixedSet(tree, testMods),
			Progress: &out, Terminal: terminal, Quiet: true,
		})
		if err != nil || rep.Fetched != len(testMods) {
			t.Fatalf("terminal=%v: %v, fetched %v", terminal, err, rep)
		}
		if !terminal && out.Len() != 0 {
			t.Errorf("not a terminal: quiet prefetch wrote %q", out.String())
		}
		if strings.Contains(out.String(), "\n") {
			t.Errorf("terminal=%v: quiet prefetch wrote a line: %q", terminal, out.String())
		}
		if shown := screenLine(out.String()); strings.TrimSpace(shown) != "" {
			t.Errorf("terminal=%v: the line still shows %q after the prefetch (written: %q)", terminal, shown, out.String())
		}
	}
}

// screenLine is what a terminal shows on the cursor's line after s is
// written to it: each character at the column it lands on, \r moving back
// to column 0, ANSI "erase line" (ESC [2K) blanking it.
func screenLine(s string) string {
	var line []rune
	col := 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "\x1b[2K") {
			line, i = line[:0], i+4
			continue
		}
		r := []rune(s[i:])[0]
		i += len(string(r))
		if r == '\r' {
			col = 0
			continue
		}
		if col < len(line) {
			line[col] = r
		} else {
			line = append(line, r)
		}
		col++
	}
	return string(line)
}

// TestWidthWriterBlanksWhatWasDrawn: the bar's line is blanked column for
// column, a multi-byte block counting as one column (more blanks than the
// line had would wrap onto the next).
func TestWidthWriterBlanksWhatWasDrawn(t *testing.T) {
	var buf bytes.Buffer
	ww := &widthWriter{w: &buf}
	io.WriteString(ww, "\rgofast: ██ 1/2\r")
	io.WriteString(ww, "\rgofast: █")
	buf.Reset()
	ww.erase()
	if want := "\r" + strings.Repeat(" ", len("gofast: xx 1/2")) + "\r"; buf.String() != want {
		t.Errorf("erase wrote %q, want %q", buf.String(), want)
	}
	buf.Reset()
	ww.erase()
	if buf.Len() != 0 {
		t.Errorf("a second erase wrote %q", buf.String())
	}
}
