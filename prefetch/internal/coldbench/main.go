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

	"github.com/gofastdev/gofast/internal/proxytest"
)

func main() {
	gofast := flag.String("gofast", "", "gofast binary")
	corpus := flag.String("corpus", "", "corpus project directory (go.mod, go.sum)")
	proxyDir := flag.String("proxy", "", "GOPROXY tree to serve")
	latency := flag.Duration("latency", 100*time.Millisecond, "emulated round-trip time")
	bandwidth := flag.Float64("bandwidth", 25e6, "emulated bandwidth, bytes/s (0 = unlimited)")
	order := flag.String("order", "go,gofast", "which runs, in order")
	flag.Parse()
	if err := run(*gofast, *corpus, *proxyDir, *latency, int64(*bandwidth), strings.Split(*order, ",")); err != nil {
		fmt.Fprintln(os.Stderr, "coldbench:", err)
		os.Exit(1)
	}
}

func run(gofast, corpus, proxyDir string, latency time.Duration, bandwidth int64, order []string) error {
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
	defer func() { chmodAll(tmp); os.RemoveAll(tmp) }()
	sets := map[string][]string{}
	for _, who := range order {
		work := filepath.Join(tmp, who, "work")
		cache := filepath.Join(tmp, who, "modcache")
		if err := copyDir(corpus, work); err != nil {
			return err
		}
		env := append(proxytest.GoEnv(os.Environ(), srv, cache), "XDG_CACHE_HOME="+filepath.Join(tmp, who, "xdg"))
		tool := "go"
		if who == "gofast" {
			tool = gofast
		}
		cmd := exec.CommandContext(context.Background(), tool, "mod", "download")
		cmd.Dir, cmd.Env = work, env
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		sent := srv.BytesSent()
		start := time.Now()
		err := cmd.Run()
		elapsed := time.Since(start)
		if err != nil {
			return fmt.Errorf("%s mod download: %v\n%s", who, err, stderr.String())
		}
		fmt.Printf("%-7s mod download: %6.2fs  (%d MB sent)  %s\n", who, elapsed.Seconds(), (srv.BytesSent()-sent)>>20, strings.TrimSpace(lastLine(stderr.String())))
		sets[who], err = fileSet(filepath.Join(cache, "cache", "download"))
		if err != nil {
			return err
		}
	}
	if a, b := sets["go"], sets["gofast"]; a != nil && b != nil {
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			return fmt.Errorf("cache/download differs: go has %d files, gofast %d", len(a), len(b))
		}
		fmt.Printf("cache/download file sets equal (%d files)\n", len(a))
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

func chmodAll(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o777)
		}
		return nil
	})
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
