package prefetch

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// writeOutput copies every verified file of the report's modules from the
// module cache into OutputDir as a GOPROXY tree, then writes the @v/list
// files. Each file is written to a temporary name and renamed, so a server
// already serving the directory never serves half a file.
func (e *engine) writeOutput(ctx context.Context, rep *Report) error {
	out := e.opts.OutputDir
	listDirs := map[string]bool{}
	for _, r := range rep.Modules {
		if err := ctx.Err(); err != nil {
			return err
		}
		m := module.Version{Path: r.Path, Version: r.Version}
		if r.Status == LeftToGo || r.Status == Failed {
			continue
		}
		rel, err := relPath(m, "")
		if err != nil {
			continue
		}
		for _, ext := range []string{"info", "mod", "zip"} {
			src, err := e.cache.File(m, ext)
			if err != nil {
				return err
			}
			if ext == "zip" && !e.cache.HasZip(m) {
				continue
			}
			dst := filepath.Join(out, filepath.FromSlash(rel+ext))
			if err := copyFile(src, dst); err != nil {
				if os.IsNotExist(err) && src != "" {
					if _, serr := os.Stat(src); os.IsNotExist(serr) {
						continue
					}
				}
				return fmt.Errorf("writing %s: %w", dst, err)
			}
			if ext == "mod" {
				listDirs[filepath.Dir(dst)] = true
			}
		}
	}
	for dir := range listDirs {
		if err := writeList(dir); err != nil {
			return err
		}
	}
	return nil
}

// copyFile copies src to dst through a temporary file and a rename.
func copyFile(src, dst string) (err error) {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), filepath.Base(dst)+"*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, in); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), dst)
}

// writeList writes dir/list: every version with a .mod file in dir, in
// semver order, as a proxy serves it.
func writeList(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var list []string
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".mod"); ok {
			if uv, err := module.UnescapeVersion(v); err == nil && module.CanonicalVersion(uv) == uv {
				list = append(list, uv)
			}
		}
	}
	semver.Sort(list)
	data := strings.Join(list, "\n")
	if data != "" {
		data += "\n"
	}
	tmp := filepath.Join(dir, "list.tmp")
	if err := os.WriteFile(tmp, []byte(data), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, "list"))
}
