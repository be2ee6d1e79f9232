package main

import (
	"bytes"
	"cmp"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// defaultTidyImports are the tidy row's imports: packages of 24 modules
// the cli corpus requires, none of them required by the fresh module.
// go mod tidy needs the zips of every module providing a package of the
// imports' closure and of those packages' tests, so the set is closed
// under what the cli tree holds: alone, most of these pull older
// requirements (or test-only modules such as gopkg.in/check.v1, through
// yaml.v3's tests) whose zips go mod download of cli never fetched; each
// module here at its newest version in the tree raises the others' to
// versions the tree holds. Checked by running go mod tidy against the tree.
var defaultTidyImports = []string{
	"github.com/spf13/cobra",
	"github.com/gorilla/websocket",
	"github.com/hashicorp/go-version",
	"github.com/cenkalti/backoff/v4",
	"github.com/google/go-containerregistry/pkg/name",
	"github.com/MakeNowJust/heredoc",
	"github.com/joho/godotenv",
	"golang.org/x/text/language",
	"github.com/gabriel-vasile/mimetype",
	"golang.org/x/sys/unix",
	"github.com/mattn/go-isatty",
	"github.com/briandowns/spinner",
	"github.com/hashicorp/errwrap",
	"github.com/hashicorp/go-multierror",
	"github.com/cli/browser",
	"github.com/cli/oauth",
	"github.com/rivo/uniseg",
	"github.com/rivo/tview",
	"github.com/gdamore/tcell/v2",
	"github.com/mattn/go-runewidth",
	"github.com/gdamore/encoding",
	"github.com/lucasb-eyer/go-colorful",
	"github.com/fatih/color",
	"github.com/mattn/go-colorable",
}

// tidyMain is the tidy row's main.go: a main package importing every
// path for its side effects only, so that it builds whatever they hold.
func tidyMain(imports []string) []byte {
	var b bytes.Buffer
	b.WriteString("// Package main imports packages of modules go.mod does not require yet,\n// for go mod tidy to add.\npackage main\n\nimport (\n")
	for _, p := range imports {
		fmt.Fprintf(&b, "\t_ %s\n", strconv.Quote(p))
	}
	b.WriteString(")\n\nfunc main() {}\n")
	return b.Bytes()
}

// tidyRequires returns, for each import path, the module version go mod
// tidy must add for it against tree (a GOPROXY tree whose mirrors list the
// versions whose zips it holds, as listingFS does): the longest path prefix
// that is a module there, at its latest version as go's "latest" query
// picks it from that list (latestListed). Imports of one module give it
// once.
func tidyRequires(tree fs.FS, imports []string) ([]module.Version, error) {
	var out []module.Version
	for _, imp := range imports {
		m, err := providingModule(tree, imp)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, m) {
			out = append(out, m)
		}
	}
	return out, nil
}

// providingModule finds the module of import path imp in tree.
func providingModule(tree fs.FS, imp string) (module.Version, error) {
	for p := imp; p != "." && p != "/"; p = path.Dir(p) {
		ep, err := module.EscapePath(p)
		if err != nil {
			continue
		}
		list, err := zipVersions(tree, ep+"/@v")
		if err != nil {
			continue
		}
		v := latestListed(strings.Fields(string(list)))
		if v == "" {
			return module.Version{}, fmt.Errorf("tidy import %s: module %s has no version in the tree", imp, p)
		}
		if strings.HasSuffix(v, "+incompatible") {
			return module.Version{}, fmt.Errorf("tidy import %s: module %s's latest version in the tree is %s; choose an import of a module with a go.mod", imp, p, v)
		}
		return module.Version{Path: p, Version: v}, nil
	}
	return module.Version{}, fmt.Errorf("tidy import %s: no module providing it in the tree", imp)
}

// latestListed returns what go's "latest" query picks from a version list
// (modfetch's proxyRepo): the highest release, else the highest
// pre-release, else the pseudo-version of the newest commit; lines that are
// not canonical versions are ignored; "" when none is left.
func latestListed(versions []string) string {
	var release, pre, pseudo string
	var pseudoTime time.Time
	for _, v := range versions {
		if c := semver.Canonical(v); !semver.IsValid(v) || (v != c && v != c+"+incompatible") {
			continue
		}
		switch {
		case module.IsPseudoVersion(v):
			if t, err := module.PseudoVersionTime(v); err == nil && t.After(pseudoTime) {
				pseudo, pseudoTime = v, t
			}
		case semver.Prerelease(v) == "":
			if release == "" || semver.Compare(v, release) > 0 {
				release = v
			}
		case pre == "" || semver.Compare(v, pre) > 0:
			pre = v
		}
	}
	return cmp.Or(release, pre, pseudo)
}
