package prefetch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/modcache"
	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/internal/toolchain"
	"golang.org/x/mod/module"
)

// ToolchainBundle adds to a GOPROXY tree (Options.OutputDir) what a go
// with no network needs to switch to one toolchain: the module
// golang.org/toolchain at Version (its .info, .mod and .zip) and the
// checksum-database files go reads through GOPROXY to verify it, since go
// looks every toolchain up in the database whatever go.sum says:
// sumdb/<name>/supported, the lookup record and every tile a go with no
// database state of its own reads (SumDBLookup.Files). Nothing is written
// that does not match the database's signed answer.
type ToolchainBundle struct {
	// Fetcher reads the database, and any toolchain file the module cache
	// does not hold. Required.
	Fetcher *Fetcher
	// Settings give GOMODCACHE (where go put the zip it downloaded and
	// verified), GOSUMDB and GOROOT (the database and its key, see
	// goenv.Settings.SumDBKey). Required.
	Settings *goenv.Settings
	// Version is the golang.org/toolchain version, such as
	// "v0.0.1-go1.27.0.linux-amd64". Required.
	Version string
	// OutputDir is the GOPROXY tree written to. Required.
	OutputDir string
}

// Write looks the toolchain up in the checksum database, checks the zip
// (from the module cache, else fetched) and the go.mod against the hashes
// it gives, and writes them and the database files into the tree, each
// through a temporary file and a rename.
func (b *ToolchainBundle) Write(ctx context.Context) error {
	m := module.Version{Path: toolchain.Module, Version: b.Version}
	if err := module.Check(m.Path, m.Version); err != nil {
		return err
	}
	db, err := b.Settings.SumDB()
	if err != nil {
		return err
	}
	key, err := b.Settings.SumDBKey(db)
	if err != nil {
		return fmt.Errorf("%s not bundled: go verifies every toolchain against the checksum database: %w", m, err)
	}
	lk, err := b.Fetcher.LookupSumDB(ctx, db, key, m)
	if err != nil {
		return err
	}
	zipHash, modHash := lk.Hash(m, "zip"), lk.Hash(m, "mod")
	if zipHash == "" {
		return fmt.Errorf("%s: checksum database %s has no hash for its zip", m, db.Name)
	}
	cache := &modcache.Cache{Root: b.Settings.GOMODCACHE}

	zip, release, err := b.zip(ctx, cache, m, zipHash)
	if err != nil {
		return err
	}
	defer release()
	rel, err := relPath(m, "")
	if err != nil {
		return err
	}
	out := func(name string) string { return filepath.Join(b.OutputDir, filepath.FromSlash(name)) }
	if err := copyFile(zip, out(rel+"zip")); err != nil {
		return fmt.Errorf("writing %s: %w", out(rel+"zip"), err)
	}
	// go reads only the zip for a switch; .info and .mod make the tree a
	// whole proxy entry (go mod download of the module asks for them).
	if mod, err := b.small(ctx, cache, m, KindMod); err == nil {
		if modHash != "" {
			if err := CheckHash(KindMod, m, []string{modHash}, mod, ""); err != nil {
				return err
			}
		}
		if err := writeBytes(out(rel+"mod"), mod); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if info, err := b.small(ctx, cache, m, KindInfo); err == nil {
		if err := writeBytes(out(rel+"info"), info); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	dbDir := "sumdb/" + db.Name + "/"
	if err := writeBytes(out(dbDir+"supported"), nil); err != nil {
		return err
	}
	for name, data := range lk.Files {
		if !fs.ValidPath(name) {
			return fmt.Errorf("checksum database %s: unexpected path %q", db.Name, name)
		}
		if err := writeBytes(out(dbDir+name), data); err != nil {
			return err
		}
	}
	return nil
}

// zip returns the path of the toolchain zip, checked against want: the
// module cache's, when go downloaded it there, else one fetched into a
// temporary file that release removes.
func (b *ToolchainBundle) zip(ctx context.Context, cache *modcache.Cache, m module.Version, want string) (file string, release func(), err error) {
	if cache.HasZip(m) {
		file, err := cache.File(m, "zip")
		if err != nil {
			return "", nil, err
		}
		got, err := modsum.Zip(file)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", file, err)
		}
		if err := checkSum(KindZip, m, []string{want}, got); err != nil {
			return "", nil, err
		}
		return file, func() {}, nil
	}
	spool, err := os.MkdirTemp("", "gofast-toolchain-")
	if err != nil {
		return "", nil, err
	}
	removeSpool := func() { os.RemoveAll(spool) }
	release = removeSpool
	rel, err := relPath(m, "zip")
	if err != nil {
		release()
		return "", nil, err
	}
	list, err := b.Fetcher.Chain(ctx)
	if err != nil {
		release()
		return "", nil, err
	}
	f, err := b.Fetcher.Get(ctx, list, Request{Module: m, Kind: KindZip, Rel: rel, SpoolDir: spool,
		Check: func(_ []byte, file string) error {
			if err := CheckAnswer(KindZip, m, nil, file); err != nil {
				return err
			}
			return CheckHash(KindZip, m, []string{want}, nil, file)
		}})
	if err != nil {
		release()
		return "", nil, err
	}
	// The spooled file stays until release; Close would remove it.
	return f.file.Name(), func() { f.Close(); removeSpool() }, nil
}

// small returns the toolchain's .mod or .info: the module cache's copy,
// else the chain's answer (form-checked; the caller checks the go.mod's
// hash). A file no mirror has is fs.ErrNotExist.
func (b *ToolchainBundle) small(ctx context.Context, cache *modcache.Cache, m module.Version, kind Kind) ([]byte, error) {
	if file, err := cache.File(m, string(kind)); err == nil {
		if data, err := os.ReadFile(file); err == nil {
			return data, nil
		}
	}
	rel, err := relPath(m, string(kind))
	if err != nil {
		return nil, err
	}
	list, err := b.Fetcher.Chain(ctx)
	if err != nil {
		return nil, err
	}
	f, err := b.Fetcher.Get(ctx, list, Request{Module: m, Kind: kind, Rel: rel,
		Check: func(data []byte, _ string) error { return CheckAnswer(kind, m, data, "") }})
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Bytes(), nil
}

// writeBytes writes data to dst through a temporary file and a rename, as
// copyFile does.
func writeBytes(dst string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+"*.tmp")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dst)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", dst, err)
	}
	return nil
}
