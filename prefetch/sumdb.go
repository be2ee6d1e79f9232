package prefetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
)

// maxSumDBAnswer bounds one checksum-database answer (a lookup record or
// a tile, each a few kilobytes), as the loopback proxy bounds them.
const maxSumDBAnswer = 16 << 20

// SumDBBase returns the one-entry chain through which go reads the checksum
// database db, found as go's modfetch dbClient.initBase finds it: the URL
// GOSUMDB names, if it names one; else the first proxy of the Fetcher's
// chain that answers /sumdb/<name>/supported, walking past a not-found
// answer (and past any failure after '|'); else the database itself. Any
// other failure is the database being unavailable, as for go.
func (f *Fetcher) SumDBBase(ctx context.Context, db *goenv.SumDB) (mirrors.List, error) {
	if db.Explicit {
		return mirrors.List{{URL: db.URL, Kind: mirrors.Proxy}}, nil
	}
	chain, err := f.Chain(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range chain {
		if e.Kind != mirrors.Proxy {
			// direct and off: go connects to the database itself.
			break
		}
		_, err := f.Get(ctx, mirrors.List{e}, Request{
			Module: module.Version{Path: "checksum database " + db.Name + " at " + e.Redacted()},
			Kind:   "supported", Rel: "sumdb/" + db.Name + "/supported", Limit: maxSumDBAnswer,
		})
		if err == nil {
			return mirrors.List{{URL: strings.TrimSuffix(e.URL, "/") + "/sumdb/" + db.Name, Kind: mirrors.Proxy}}, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if errors.Is(err, fs.ErrNotExist) || e.FallbackOnError {
			continue
		}
		return nil, fmt.Errorf("checksum database %s: %w", db.Name, err)
	}
	return mirrors.List{{URL: db.URL, Kind: mirrors.Proxy}}, nil
}

// SumDBLookup is a verified checksum-database answer for one module
// version.
type SumDBLookup struct {
	// Lines are the module version's go.sum lines ("path version h1:..."
	// and "path version/go.mod h1:..."), verified against the signed tree.
	Lines []string
	// Files are what the database served to verify them, by path below
	// /sumdb/<name>/ ("supported" is not among them): the lookup record
	// and every tile read, each only once it was read successfully. A go
	// with no checksum-database state of its own (a fresh GOPATH) reads
	// exactly these paths for the same lookup.
	Files map[string][]byte
}

// Hash returns the h1 hash Lines give for the module's zip (kind "zip")
// or go.mod (kind "mod"), or "".
func (l *SumDBLookup) Hash(m module.Version, kind string) string {
	want := m.Path + " " + m.Version + " "
	if kind == "mod" {
		want = m.Path + " " + m.Version + "/go.mod "
	}
	for _, line := range l.Lines {
		if h, ok := strings.CutPrefix(line, want); ok {
			return h
		}
	}
	return ""
}

// LookupSumDB looks m up in the checksum database db with x/mod's sumdb
// client, the one go runs, checking every signed answer with key (see
// goenv.Settings.SumDBKey), starting from no saved tree state as a fresh
// GOPATH does, and reading through the Fetcher (SumDBBase, deadlines,
// retries). A security error (a forked or inconsistent tree, a bad
// signature) fails the lookup.
func (f *Fetcher) LookupSumDB(ctx context.Context, db *goenv.SumDB, key string, m module.Version) (*SumDBLookup, error) {
	base, err := f.SumDBBase(ctx, db)
	if err != nil {
		return nil, err
	}
	ops := &sumdbOps{ctx: ctx, f: f, base: base, db: db, key: key, files: map[string][]byte{}}
	c := sumdb.NewClient(ops)
	lines, err := c.Lookup(m.Path, m.Version)
	if err == nil {
		// The zip's line alone; the go.mod's comes from the same record.
		var mod []string
		mod, err = c.Lookup(m.Path, m.Version+"/go.mod")
		lines = append(lines, mod...)
	}
	ops.mu.Lock()
	defer ops.mu.Unlock()
	if ops.security != "" {
		return nil, fmt.Errorf("checksum database %s: SECURITY ERROR: %s", db.Name, ops.security)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s in checksum database %s: %w", m, db.Name, err)
	}
	return &SumDBLookup{Lines: lines, Files: ops.files}, nil
}

// sumdbOps is the sumdb.ClientOps of LookupSumDB: remote reads through the
// Fetcher, recorded; configuration (the key, the latest signed tree) in
// memory; no cache, so that every file the lookup needs is read and
// recorded.
type sumdbOps struct {
	ctx  context.Context
	f    *Fetcher
	base mirrors.List
	db   *goenv.SumDB
	key  string

	mu       sync.Mutex
	latest   []byte
	files    map[string][]byte
	security string
}

func (o *sumdbOps) ReadRemote(path string) ([]byte, error) {
	rel := strings.TrimPrefix(path, "/")
	file, err := o.f.Get(o.ctx, o.base, Request{
		Module: module.Version{Path: "checksum database " + o.db.Name + " " + rel},
		Kind:   "sumdb", Rel: rel, Limit: maxSumDBAnswer,
	})
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data := file.Bytes()
	o.mu.Lock()
	o.files[rel] = data
	o.mu.Unlock()
	return data, nil
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.key), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if file == o.db.Name+"/latest" {
		return o.latest, nil
	}
	return nil, fmt.Errorf("unknown checksum-database config file %s", file)
}

func (o *sumdbOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if file != o.db.Name+"/latest" {
		return fmt.Errorf("cannot write checksum-database config file %s", file)
	}
	if len(o.latest) > 0 && string(o.latest) != string(old) {
		return sumdb.ErrWriteConflict
	}
	o.latest = append([]byte(nil), new...)
	return nil
}

func (o *sumdbOps) ReadCache(file string) ([]byte, error) { return nil, fs.ErrNotExist }

func (o *sumdbOps) WriteCache(file string, data []byte) {}

func (o *sumdbOps) Log(msg string) {}

func (o *sumdbOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.security == "" {
		o.security = strings.TrimSpace(msg)
	}
}
