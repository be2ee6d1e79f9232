package prefetch

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
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
// database db: the URL GOSUMDB names, if it names one; else the proxy of
// the Fetcher's chain that mirrors.SumDBProxy picks, asking each its
// /sumdb/<name>/supported as go's modfetch dbClient.initBase does; else
// the database itself. The error go would report, when it treats the
// database as unavailable, is returned.
func (f *Fetcher) SumDBBase(ctx context.Context, db *goenv.SumDB) (mirrors.List, error) {
	if db.Explicit {
		return mirrors.List{{URL: db.URL, Kind: mirrors.Proxy}}, nil
	}
	chain, err := f.Chain(ctx)
	if err != nil {
		return nil, err
	}
	e, err := mirrors.SumDBProxy(chain, func(e mirrors.Entry) error {
		file, err := f.Get(ctx, mirrors.List{e}, Request{
			Label: "checksum database " + db.Name + " at " + e.Redacted(),
			Kind:  "supported", Rel: "sumdb/" + db.Name + "/supported", Limit: maxSumDBAnswer,
		})
		if err == nil {
			file.Close()
		}
		return err
	})
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	if err != nil {
		return nil, fmt.Errorf("checksum database %s: %w", db.Name, err)
	}
	if e != nil {
		return mirrors.List{{URL: strings.TrimSuffix(e.URL, "/") + "/sumdb/" + db.Name, Kind: mirrors.Proxy}}, nil
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
	var mu sync.Mutex
	files := map[string][]byte{}
	v := f.NewSumDBVerifier(ctx, db, key, SumDBVerifierOptions{
		Base: func() (mirrors.List, error) { return base, nil },
		OnRead: func(rel string, data []byte) {
			mu.Lock()
			files[rel] = data
			mu.Unlock()
		},
	})
	lines, err := v.Lookup(m)
	if err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	return &SumDBLookup{Lines: lines, Files: files}, nil
}

// SumDBVerifier looks module versions up in one checksum database with
// x/mod's sumdb client, the one go runs: every lookup record's signed tree
// head is checked with the database's key and the record proven in that
// tree through its tiles, so that a mirror relaying the database cannot
// make it say anything the database did not sign. One client serves every
// lookup, sharing the tiles and the tree it has seen. It is safe for
// concurrent use.
type SumDBVerifier struct {
	db     *goenv.SumDB
	client *sumdb.Client
	ops    *sumdbOps
}

// SumDBVerifierOptions configure NewSumDBVerifier.
type SumDBVerifierOptions struct {
	// Base returns the one-entry chain the database is read through
	// (SumDBBase), asked at the first remote read. Required.
	Base func() (mirrors.List, error)
	// ConfigDir is go's own checksum-database state ($GOPATH/pkg/sumdb),
	// read and never written: the verifier starts from the signed tree go
	// has seen, as go's client does, and so reads the tiles go would
	// read. "" starts from no state, as a fresh GOPATH.
	ConfigDir string
	// CacheDir is go's checksum-database cache
	// ($GOMODCACHE/cache/download/sumdb), read and never written: what go
	// would find there is not fetched. "" means none.
	CacheDir string
	// OnRead, when set, is told of every file read from the database, by
	// its path below /sumdb/<name>/ ("lookup/...", "tile/..."), once read
	// successfully.
	OnRead func(rel string, data []byte)
}

// NewSumDBVerifier returns a verifier of db's answers, checked with key
// (see goenv.Settings.SumDBKey), read through the Fetcher with ctx.
func (f *Fetcher) NewSumDBVerifier(ctx context.Context, db *goenv.SumDB, key string, o SumDBVerifierOptions) *SumDBVerifier {
	ops := &sumdbOps{ctx: ctx, f: f, base: o.Base, db: db, key: key, configDir: o.ConfigDir, cacheDir: o.CacheDir, onRead: o.OnRead}
	return &SumDBVerifier{db: db, client: sumdb.NewClient(ops), ops: ops}
}

// Lookup returns m's go.sum lines (its zip's and its go.mod's) as the
// database signed them. A security error (a forked or inconsistent tree)
// fails this lookup and every later one, as it stops go.
func (v *SumDBVerifier) Lookup(m module.Version) ([]string, error) {
	lines, err := v.client.Lookup(m.Path, m.Version)
	if err == nil {
		// The zip's line alone; the go.mod's comes from the same record.
		var mod []string
		mod, err = v.client.Lookup(m.Path, m.Version+"/go.mod")
		lines = append(lines, mod...)
	}
	if msg := v.ops.securityError(); msg != "" {
		return nil, fmt.Errorf("checksum database %s: SECURITY ERROR: %s", v.db.Name, msg)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up %s in checksum database %s: %w", m, v.db.Name, err)
	}
	return lines, nil
}

// sumdbOps is the sumdb.ClientOps of a SumDBVerifier: remote reads through
// the Fetcher; the key and the latest signed tree in memory, the tree
// starting from go's own state when there is one; go's cache read, never
// written (go writes it itself when it verifies).
type sumdbOps struct {
	ctx       context.Context
	f         *Fetcher
	base      func() (mirrors.List, error)
	db        *goenv.SumDB
	key       string
	configDir string
	cacheDir  string
	onRead    func(rel string, data []byte)

	mu         sync.Mutex
	latest     []byte
	readLatest bool
	security   string
}

func (o *sumdbOps) ReadRemote(path string) ([]byte, error) {
	rel := strings.TrimPrefix(path, "/")
	base, err := o.base()
	if err != nil {
		return nil, err
	}
	file, err := o.f.Get(o.ctx, base, Request{
		Label: "checksum database " + o.db.Name + " " + rel,
		Kind:  "sumdb", Rel: rel, Limit: maxSumDBAnswer,
	})
	if err != nil {
		return nil, err
	}
	defer file.Close()
	data := file.Bytes()
	if o.onRead != nil {
		o.onRead(rel, data)
	}
	return data, nil
}

func (o *sumdbOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.key), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if file != o.db.Name+"/latest" {
		return nil, fmt.Errorf("unknown checksum-database config file %s", file)
	}
	if !o.readLatest {
		o.readLatest = true
		if o.configDir != "" {
			// As go's own ReadConfig: a missing file is no state yet.
			if data, err := os.ReadFile(filepath.Join(o.configDir, filepath.FromSlash(file))); err == nil {
				o.latest = data
			}
		}
	}
	return o.latest, nil
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

// ReadCache reads go's cache as go's client does: an empty file (one go
// is still writing) is not there.
func (o *sumdbOps) ReadCache(file string) ([]byte, error) {
	if o.cacheDir == "" {
		return nil, fs.ErrNotExist
	}
	data, err := os.ReadFile(filepath.Join(o.cacheDir, filepath.FromSlash(file)))
	if err == nil && len(data) == 0 {
		err = fs.ErrNotExist
	}
	return data, err
}

func (o *sumdbOps) WriteCache(file string, data []byte) {}

func (o *sumdbOps) Log(msg string) {}

func (o *sumdbOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.security == "" {
		o.security = strings.TrimSpace(msg)
	}
}

func (o *sumdbOps) securityError() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.security
}
