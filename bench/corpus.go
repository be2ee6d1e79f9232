package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Corpus is one real project's module graph: its go.mod and go.sum files
// and a GOPROXY tree holding every file go mod download fetches for it.
type Corpus struct {
	// Name is the corpus folder's name ("prometheus").
	Name string
	// Src is the folder with go.mod, go.sum and, for etcd, the local
	// sub-modules the root module replaces. It is never written to: runs
	// work on copies, since go may rewrite go.mod and go.sum.
	Src string
	// Cache is the module cache filled once from the real proxy; its
	// cache/download subtree is the tree the emulated mirrors serve.
	Cache string
	// Want is what go mod download fetched when the tree was filled: the
	// reference a run's own downloads are checked against.
	Want fileSet
}

// Tree returns the GOPROXY tree: the filled cache's cache/download.
func (c *Corpus) Tree() string { return filepath.Join(c.Cache, "cache", "download") }

// CopySrc copies the corpus folder to dir for one run.
func (c *Corpus) CopySrc(dir string) error {
	if err := copyDir(c.Src, dir, nil); err != nil {
		return fmt.Errorf("copying corpus %s: %w", c.Name, err)
	}
	return nil
}

// stampName is the file in a filled cache that records which go.sum
// contents it was filled for, so that an updated corpus is filled again.
const stampName = "gofast-bench.stamp"

// openCorpus returns the named corpus from srcRoot with its tree under
// proxyRoot. A missing tree, or one filled for other go.sum contents, is
// filled with the real go tool when fill is true and is an error otherwise.
// A tree without a stamp (filled by hand with the corpus README's command)
// is used as it is.
func openCorpus(ctx context.Context, srcRoot, proxyRoot, name, goTool string, base []string, fill bool, logf func(string, ...any)) (*Corpus, error) {
	c := &Corpus{Name: name, Src: filepath.Join(srcRoot, name), Cache: filepath.Join(proxyRoot, name)}
	if _, err := os.Stat(filepath.Join(c.Src, "go.mod")); err != nil {
		return nil, fmt.Errorf("corpus %s: %w", name, err)
	}
	sum, err := sumDigest(c.Src)
	if err != nil {
		return nil, fmt.Errorf("corpus %s: %w", name, err)
	}
	stamp, stampErr := os.ReadFile(filepath.Join(c.Cache, stampName))
	_, treeErr := os.Stat(c.Tree())
	stale := stampErr == nil && strings.TrimSpace(string(stamp)) != sum
	if treeErr != nil || stale {
		if !fill {
			return nil, fmt.Errorf("corpus %s: no GOPROXY tree at %s (run the harness outside -isolate to fill it)", name, c.Tree())
		}
		why := "missing"
		if stale {
			why = "filled for another go.sum"
		}
		logf("filling the %s tree (%s) with the real go tool from the real proxy into %s", name, why, c.Cache)
		if err := fillCache(ctx, goTool, c.Src, c.Cache, sum, base); err != nil {
			return nil, fmt.Errorf("corpus %s: %w", name, err)
		}
	}
	if c.Want, err = scanDownloads(c.Tree()); err != nil {
		return nil, fmt.Errorf("corpus %s: %w", name, err)
	}
	if c.Want.Count(".zip") == 0 {
		return nil, fmt.Errorf("corpus %s: %s holds no zips; remove %s to fill it again", name, c.Tree(), c.Cache)
	}
	return c, nil
}

// fillCache runs the real go mod download, with the user's own proxy
// settings, in a copy of src with a scratch module cache, then moves that
// cache to dest. This is the harness's only use of the network. The cache
// appears at dest only when complete.
func fillCache(ctx context.Context, goTool, src, dest, sum string, base []string) error {
	work, err := fillScratch(dest)
	if err != nil {
		return err
	}
	defer removeTree(work)
	dir, cache := filepath.Join(work, "src"), filepath.Join(work, "modcache")
	if err := copyDir(src, dir, nil); err != nil {
		return fmt.Errorf("copying corpus: %w", err)
	}
	var env []string
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if k != "GOMODCACHE" && k != "GOFLAGS" && k != "GOTOOLCHAIN" && k != "GOWORK" {
			env = append(env, kv)
		}
	}
	env = append(env, "GOMODCACHE="+cache, "GOFLAGS=-mod=mod", "GOTOOLCHAIN=local", "GOWORK=off")
	cmd := exec.CommandContext(ctx, goTool, "mod", "download")
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go mod download: %w: %s", err, lastLine(string(out), 200))
	}
	return placeFilled(cache, dest, sum)
}

// fillScratch makes the scratch folder a fill of dest works in, next to
// dest so that moving the result into place is a rename.
func fillScratch(dest string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return "", err
	}
	return os.MkdirTemp(filepath.Dir(dest), ".fill-")
}

// placeFilled stamps the filled folder src with stamp and moves it to
// dest, replacing what was there: the tree appears at dest only complete.
func placeFilled(src, dest, stamp string) error {
	if err := os.WriteFile(filepath.Join(src, stampName), []byte(stamp+"\n"), 0o644); err != nil {
		return err
	}
	if err := removeTree(dest); err != nil {
		return err
	}
	if err := os.Rename(src, dest); err != nil {
		return fmt.Errorf("moving the filled tree into place: %w", err)
	}
	return nil
}

// sumDigest returns a digest of every go.mod and go.sum under dir, so that
// a tree is known to match the corpus it was filled for.
func sumDigest(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if n := d.Name(); !d.IsDir() && (n == "go.mod" || n == "go.sum") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	slices.Sort(files)
	h := sha256.New()
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return "", err
		}
		rel, _ := filepath.Rel(dir, f)
		fmt.Fprintf(h, "%s %d\n", filepath.ToSlash(rel), len(data))
		h.Write(data)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errNoCorpus is returned when no corpus folder can be found.
var errNoCorpus = errors.New("no corpus folder found (pass -corpus DIR or set GOFAST_CORPUS)")

// findCorpusRoot returns the corpus folder: flagValue, else $GOFAST_CORPUS,
// else bench/testdata/corpus in the repository, else ../shared/corpus next
// to the repository.
func findCorpusRoot(flagValue, envValue, repo string) (string, error) {
	for _, dir := range []string{flagValue, envValue,
		filepath.Join(repo, "bench", "testdata", "corpus"),
		filepath.Join(repo, "..", "shared", "corpus")} {
		if dir == "" {
			continue
		}
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			return filepath.Abs(dir)
		}
		if dir == flagValue || dir == envValue {
			return "", fmt.Errorf("corpus folder %s: not a directory", dir)
		}
	}
	return "", errNoCorpus
}
