// Command coldbench measures a cold `gofast mod download` against a cold
// `go mod download` on one corpus project, both through the same
// in-process mirror (proxytest) with an emulated round-trip time and link
// bandwidth, each into its own empty module cache, and checks that both
// leave the same files in cache/download. It is a hand-run measurement,
// not a test:
//
//	go build -o /tmp/gofast . &&
//	go run ./prefetch/internal/coldbench -gofast /tmp/gofast \
//	    -corpus /work/shared/corpus/prometheus \
//	    -proxy ~/.cache/gofast-corpus/prometheus/cache/download \
//	    -latency 100ms -bandwidth 25e6
//
// -rounds N repeats the runs (alternating, in -order) and prints medians;
// -base names an older gofast binary to compare with ("base" in -order);
// -verify runs go mod verify on what gofast left.
// Nothing is removed between runs (see run).
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/proxytest"
)

func main() {
	gofast := flag.String("gofast", "", "gofast binary")
	base := flag.String("base", "", `another gofast binary to compare with, named "base" in -order`)
	corpus := flag.String("corpus", "", "corpus project directory (go.mod, go.sum)")
	proxyDir := flag.String("proxy", "", "GOPROXY tree to serve")
	latency := flag.Duration("latency", 100*time.Millisecond, "emulated round-trip time")
	bandwidth := flag.Float64("bandwidth", 25e6, "emulated bandwidth, bytes/s (0 = unlimited)")
	order := flag.String("order", "go,gofast", "which runs, in order")
	rounds := flag.Int("rounds", 1, "repeat the runs this many times (alternating) and print medians")
	verify := flag.Bool("verify", false, "run go mod verify (offline) on every cache gofast filled")
	flag.Parse()
	tools := map[string]string{"go": "go", "gofast": *gofast, "base": *base}
	if err := run(tools, *corpus, *proxyDir, *latency, int64(*bandwidth), strings.Split(*order, ","), *rounds, *verify); err != nil {
		fmt.Fprintln(os.Stderr, "coldbench:", err)
		os.Exit(1)
	}
}

func run(tools map[string]string, corpus, proxyDir string, latency time.Duration, bandwidth int64, order []string, rounds int, verify bool) error {
	for _, who := range order {
		if tools[who] == "" {
			return fmt.Errorf("-order names %q, but no binary is given for it", who)
		}
	}
	sums, err := readSums(filepath.Join(corpus, "go.sum"))
	if err != nil {
		return err
	}
	srv, err := proxytest.Start(proxytest.Options{
		FS: os.DirFS(proxyDir), Latency: latency, Bandwidth: bandwidth,
		SumDB: "sum.bench", Lookup: func(path, version string) ([]byte, error) {
			lines, ok := sums[path+" "+version]
			if !ok {
				return nil, fs.ErrNotExist
			}
			return []byte(lines), nil
		},
	})
	if err != nil {
		return err
	}
	defer srv.Close()
	tmp, err := os.MkdirTemp("", "coldbench")
	if err != nil {
		return err
	}
	// Everything is removed at the end only: on file systems without a
	// journal, ext4 skips recently freed inodes when it allocates new
	// ones, so a removal between runs would slow down the run after it.
	defer modcache.RemoveAll(tmp)
	times := map[string][]float64{}
	for round := range max(rounds, 1) {
		sets := map[string][]string{}
		for _, who := range order {
			base := filepath.Join(tmp, fmt.Sprintf("%s-%d", who, round))
			work := filepath.Join(base, "work")
			cache := filepath.Join(base, "modcache")
			if err := copyDir(corpus, work); err != nil {
				return err
			}
			env := append(proxytest.GoEnv(os.Environ(), srv, cache), "XDG_CACHE_HOME="+filepath.Join(base, "xdg"))
			cmd := exec.CommandContext(context.Background(), tools[who], "mod", "download")
			cmd.Dir, cmd.Env = work, env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			// Write back what earlier runs left dirty, so that no run pays
			// for the one before it.
			syncDisks()
			sent := srv.BytesSent()
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			if err != nil {
				return fmt.Errorf("%s mod download: %v\n%s", who, err, stderr.String())
			}
			fmt.Printf("%-7s mod download: %6.2fs  (%d MB sent)  %s\n", who, elapsed.Seconds(), (srv.BytesSent()-sent)>>20, strings.TrimSpace(lastLine(stderr.String())))
			times[who] = append(times[who], elapsed.Seconds())
			sets[who], err = fileSet(filepath.Join(cache, "cache", "download"))
			if err != nil {
				return err
			}
			if verify && who != "go" {
				// What was left must pass go's own check, offline.
				cmd := exec.CommandContext(context.Background(), "go", "mod", "verify")
				cmd.Dir, cmd.Env = work, append(env, "GOPROXY=off")
				if out, err := cmd.CombinedOutput(); err != nil {
					return fmt.Errorf("%s: go mod verify: %v\n%s", who, err, out)
				}
				fmt.Printf("%-7s go mod verify: all modules verified\n", who)
			}
		}
		for _, who := range order {
			a, b := sets["go"], sets[who]
			if who == "go" || a == nil {
				continue
			}
			if strings.Join(a, "\n") != strings.Join(b, "\n") {
				return fmt.Errorf("cache/download differs: go has %d files, %s %d", len(a), who, len(b))
			}
			fmt.Printf("cache/download file sets of go and %s equal (%d files)\n", who, len(a))
		}
	}
	if rounds > 1 {
		for _, who := range order {
			ts := times[who]
			sort.Float64s(ts)
			fmt.Printf("%-7s median %6.2fs  min %6.2fs  max %6.2fs  (%d runs)\n", who, ts[len(ts)/2], ts[0], ts[len(ts)-1], len(ts))
		}
	}
	return nil
}

// readSums indexes go.sum lines by "path version" for the checksum database.
func readSums(file string) (map[string]string, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 3 {
			continue
		}
		key := f[0] + " " + strings.TrimSuffix(f[1], "/go.mod")
		out[key] += sc.Text() + "\n"
	}
	return out, sc.Err()
}

// fileSet lists the .info, .mod, .zip and .ziphash files below dir.
func fileSet(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch filepath.Ext(p) {
		case ".info", ".mod", ".zip", ".ziphash":
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
		}
		return nil
	})
	sort.Strings(out)
	return out, err
}

func copyDir(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o777)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o666)
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
