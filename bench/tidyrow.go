package main

import (
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// defaultTidyImports are the tidy row's imports: packages of modules the
// cli corpus requires, none of them required by the fresh module, chosen
// so that the cli tree serves everything their go mod tidy needs (checked
// by running it against the tree; a module's newest release in the tree
// must be one whose requirements the tree also holds).
var defaultTidyImports = []string{
	"github.com/spf13/cobra",
	"gopkg.in/yaml.v3",
	"github.com/AlecAivazis/survey/v2",
	"github.com/gorilla/websocket",
	"github.com/hashicorp/go-version",
	"github.com/cenkalti/backoff/v4",
	"github.com/google/go-containerregistry/pkg/name",
	"github.com/MakeNowJust/heredoc",
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
// picks it from that list (the highest release, else the highest
// pre-release; pseudo-versions are not listed versions to go). Imports of
// one module give it once.
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
			return module.Version{}, fmt.Errorf("tidy import %s: module %s has no tagged version in the tree", imp, p)
		}
		if strings.HasSuffix(v, "+incompatible") {
			return module.Version{}, fmt.Errorf("tidy import %s: module %s's latest version in the tree is %s; choose an import of a module with a go.mod", imp, p, v)
		}
		return module.Version{Path: p, Version: v}, nil
	}
	return module.Version{}, fmt.Errorf("tidy import %s: no module providing it in the tree", imp)
}

// latestListed returns what go's "latest" query picks from a version list:
// the highest release, else the highest pre-release, ignoring
// pseudo-versions and lines that are not canonical versions; "" when none is left.
func latestListed(versions []string) string {
	var release, pre string
	for _, v := range versions {
		if c := semver.Canonical(v); !semver.IsValid(v) || (v != c && v != c+"+incompatible") || module.IsPseudoVersion(v) {
			continue
		}
		if semver.Prerelease(v) == "" {
			if release == "" || semver.Compare(v, release) > 0 {
				release = v
			}
		} else if pre == "" || semver.Compare(v, pre) > 0 {
			pre = v
		}
	}
	if release != "" {
		return release
	}
	return pre
}
