package modset

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// ErrNoModule is returned outside a module and a workspace, where `go mod
// download` with no arguments has nothing to do but fail.
var ErrNoModule = errors.New("no main module or workspace (GOMOD and GOWORK are empty)")

// mainModule is one main module: the module of GOMOD, or one module used
// by a go.work file.
type mainModule struct {
	root  string // directory the module lives in
	gomod string // its go.mod file (or the -modfile replacement)
	file  *modfile.File
}

// mainSet is what go loads before any dependency: the main module or the
// workspace's modules, and the go.work file if there is one.
type mainSet struct {
	mods     []*mainModule
	workFile string // "" outside workspace mode
	work     *modfile.WorkFile
	flags    goFlags
}

func (ms *mainSet) workspace() bool { return ms.workFile != "" }

// sumFiles lists the go.sum files go reads, as modfetch does: go.work.sum
// and every workspace module's go.sum in workspace mode, else the go.sum
// next to the go.mod (or -modfile).
func (ms *mainSet) sumFiles() []string {
	var files []string
	for _, m := range ms.mods {
		files = append(files, strings.TrimSuffix(m.gomod, ".mod")+".sum")
	}
	if ms.workspace() {
		files = append([]string{ms.workFile + ".sum"}, files...)
	}
	return files
}

// goFlags are the GOFLAGS settings that change what go loads.
type goFlags struct {
	mod     string // -mod: "", "mod", "readonly" or "vendor"
	modfile string // -modfile
}

// parseGOFLAGS splits GOFLAGS as go does (white space, ” or "" quoting;
// -x=value, --x=value, -x for booleans; a later flag overrides an earlier
// one) and keeps the flags Compute needs.
func parseGOFLAGS(s string) (goFlags, error) {
	var fl goFlags
	for len(s) > 0 {
		s = strings.TrimLeft(s, " \t\n\r")
		if s == "" {
			break
		}
		var word string
		if q := s[0]; q == '"' || q == '\'' {
			i := strings.IndexByte(s[1:], q)
			if i < 0 {
				return fl, fmt.Errorf("parsing GOFLAGS: unterminated %c string", q)
			}
			word, s = s[1:1+i], s[2+i:]
		} else {
			i := strings.IndexAny(s, " \t\n\r")
			if i < 0 {
				i = len(s)
			}
			word, s = s[:i], s[i:]
		}
		name, value, _ := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(word, "-"), "-"), "=")
		switch name {
		case "mod":
			fl.mod = value
		case "modfile":
			fl.modfile = value
		}
	}
	return fl, nil
}

// loadMain reads go.work and the main go.mod files as modload.loadModFile
// does. Parse errors name the file and line.
func loadMain(opts Options) (*mainSet, error) {
	fl, err := parseGOFLAGS(opts.GOFLAGS)
	if err != nil {
		return nil, err
	}
	ms := &mainSet{flags: fl}
	if opts.GOWORK != "" && opts.GOWORK != "off" {
		return ms, ms.loadWork(abs(opts.Dir, opts.GOWORK))
	}
	if opts.GOMOD == "" || opts.GOMOD == os.DevNull {
		return nil, ErrNoModule
	}
	gomod := abs(opts.Dir, opts.GOMOD)
	root := filepath.Dir(gomod)
	if fl.modfile != "" {
		// With -modfile, GOMOD names the substitute file, but the module
		// root (for vendor/ and relative replacements) is still where a
		// go.mod was found.
		if r, ok := findModuleRoot(opts.Dir); ok {
			root = r
		}
	}
	m, err := readMainGoMod(root, gomod)
	if err != nil {
		return nil, err
	}
	ms.mods = []*mainModule{m}
	return ms, nil
}

func (ms *mainSet) loadWork(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading go.work: %w", err)
	}
	wf, err := modfile.ParseWork(path, data, nil)
	if err != nil {
		return oneLine(err)
	}
	ms.workFile, ms.work = path, wf
	dir := filepath.Dir(path)
	seenRoot := map[string]bool{}
	seenPath := map[string]string{}
	for _, u := range wf.Use {
		root := u.Path
		if !filepath.IsAbs(root) {
			root = filepath.Join(dir, root)
		}
		if seenRoot[root] {
			return fmt.Errorf("%s:%d: path %s appears multiple times in workspace", path, u.Syntax.Start.Line, root)
		}
		seenRoot[root] = true
		m, err := readMainGoMod(root, filepath.Join(root, "go.mod"))
		if err != nil {
			return fmt.Errorf("cannot load module %s listed in go.work file: %w", root, err)
		}
		mp := m.file.Module.Mod.Path
		if prev, dup := seenPath[mp]; dup {
			return fmt.Errorf("module %s appears multiple times in workspace: %s and %s", mp, prev, root)
		}
		seenPath[mp] = root
		ms.mods = append(ms.mods, m)
	}
	return nil
}

// readMainGoMod parses a main module's go.mod strictly, as go does.
func readMainGoMod(root, gomod string) (*mainModule, error) {
	data, err := os.ReadFile(gomod)
	if err != nil {
		return nil, fmt.Errorf("reading go.mod: %w", err)
	}
	f, err := modfile.Parse(gomod, data, nil)
	if err != nil {
		return nil, oneLine(err)
	}
	if f.Module == nil {
		return nil, fmt.Errorf("%s: missing module declaration", gomod)
	}
	// go refuses a main module whose path is not a valid import path
	// (modload.loadModFile): nothing is downloaded for it.
	if err := module.CheckImportPath(f.Module.Mod.Path); err != nil {
		if pathErr, ok := err.(*module.InvalidPathError); ok {
			pathErr.Kind = "module"
		}
		return nil, fmt.Errorf("%s: %w", gomod, err)
	}
	return &mainModule{root: root, gomod: gomod, file: f}, nil
}

// findModuleRoot walks up from dir to the first directory holding a go.mod.
func findModuleRoot(dir string) (string, bool) {
	dir = filepath.Clean(dir)
	for {
		if fi, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil && !fi.IsDir() {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

// vendorMode reports whether go (for a command that takes -mod) runs in
// vendor mode, as modload.setDefaultBuildMod decides: an explicit -mod
// wins; otherwise a vendor directory next to go.mod (or go.work) turns it
// on when the go version is at least 1.14 and vendor/modules.txt was made
// for the same mode (workspace or not).
func (ms *mainSet) vendorMode() (bool, error) {
	if ms.flags.mod != "" {
		return ms.flags.mod == "vendor", nil
	}
	var goVersion, vendorDir string
	if ms.workspace() {
		if ms.work.Go != nil {
			goVersion = ms.work.Go.Version
		}
		vendorDir = filepath.Join(filepath.Dir(ms.workFile), "vendor")
	} else {
		if f := ms.mods[0].file; f.Go != nil {
			goVersion = f.Go.Version
		}
		vendorDir = filepath.Join(ms.mods[0].root, "vendor")
	}
	if fi, err := os.Stat(vendorDir); err != nil || !fi.IsDir() {
		return false, nil
	}
	if goVersion == "" || compareGo(goVersion, "1.14") < 0 {
		return false, nil
	}
	forWorkspace, err := modulesTextIsForWorkspace(vendorDir)
	if err != nil {
		return false, err
	}
	return forWorkspace == ms.workspace(), nil
}

// modulesTextIsForWorkspace reports whether vendor/modules.txt was written
// for a workspace: its first line carries a "## workspace" annotation. A
// missing modules.txt counts as a module's vendor directory, as in go.
func modulesTextIsForWorkspace(vendorDir string) (bool, error) {
	f, err := os.Open(filepath.Join(vendorDir, "modules.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading vendor/modules.txt: %w", err)
	}
	defer f.Close()
	var buf [512]byte
	n, err := f.Read(buf[:])
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("reading vendor/modules.txt: %w", err)
	}
	line, _, _ := strings.Cut(string(buf[:n]), "\n")
	if annotations, ok := strings.CutPrefix(line, "## "); ok {
		for _, entry := range strings.Split(annotations, ";") {
			if strings.TrimSpace(entry) == "workspace" {
				return true, nil
			}
		}
	}
	return false, nil
}

// abs resolves p against dir when it is relative.
func abs(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(dir, p)
}

// oneLine joins a multi-line error (modfile.ErrorList) into one line, each
// part still starting with file:line.
func oneLine(err error) error {
	if !strings.Contains(err.Error(), "\n") {
		return err
	}
	return &oneLineError{err}
}

type oneLineError struct{ err error }

func (e *oneLineError) Error() string {
	msg := strings.TrimSpace(e.err.Error())
	return strings.ReplaceAll(strings.ReplaceAll(msg, "\n\t", " "), "\n", "; ")
}

func (e *oneLineError) Unwrap() error { return e.err }
