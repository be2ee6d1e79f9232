package modproxy

import (
	"archive/zip"
	"bufio"
	"bytes"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/modsum"
	"golang.org/x/mod/modfile"
	"golang.org/x/mod/module"
)

// toolAhead remembers the tool modules whose zips have been read for
// their build (Handler.Tools).
//
// go install pkg@version and go run pkg@version build pkg as if its module
// were the main module: go loads the graph its go.mod roots, one go.mod per
// request and GOMAXPROCS at a time, looks each one up in the checksum
// database (there is no go.sum of the user's), then downloads the zip of
// every module that provides a package of the build, again GOMAXPROCS at a
// time. All of that is decided by the tool module's own go.mod and go.sum,
// which sit in its zip, the first thing go downloads (toolPlan). So as soon
// as the proxy has the tool's zip it starts all of them at once, each with
// its checksum-database lookup, and go finds its requests answered or under
// way.
type toolAhead struct {
	mu   sync.Mutex
	read map[module.Version]bool
}

// providesTool reports whether the module at path can provide one of
// h.Tools: it is the package path or one of its prefixes.
func (h *Handler) providesTool(path string) bool {
	for _, pkg := range h.Tools {
		if pkg == path || strings.HasPrefix(pkg, path+"/") {
			return true
		}
	}
	return false
}

// toolZipAhead is called with every zip of m the proxy has for go (fetched
// for go, read ahead, or in the module cache). When m can provide one of
// h.Tools, it reads m's go.mod and go.sum from the zip, once per version,
// and starts reading ahead what they say the build needs (toolPlan): the
// go.mod files, and the zips with their .info files (go stamps the binary
// with each module of the build and reads its .info for that).
func (h *Handler) toolZipAhead(m module.Version, r io.ReaderAt, size int64) {
	if len(h.Tools) == 0 || h.ReadAheadJobs < 0 || !h.providesTool(m.Path) {
		return
	}
	h.tool.mu.Lock()
	if h.tool.read[m] {
		h.tool.mu.Unlock()
		return
	}
	if h.tool.read == nil {
		h.tool.read = map[module.Version]bool{}
	}
	h.tool.read[m] = true
	h.tool.mu.Unlock()
	gomod, gosum, err := toolFiles(m, r, size)
	if err != nil {
		return // go reports a bad zip in its own words
	}
	mods, zips := toolPlan(m, gomod, gosum)
	for _, v := range mods {
		h.modAhead(v)
	}
	for _, v := range zips {
		h.zipAhead(v)
		h.infoAhead(v)
	}
}

// toolFiles returns the go.mod and go.sum at the root of m's zip (nil for
// a file the zip does not hold).
func toolFiles(m module.Version, r io.ReaderAt, size int64) (gomod, gosum []byte, err error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, err
	}
	prefix := m.Path + "@" + m.Version + "/"
	for _, f := range zr.File {
		var dst *[]byte
		switch f.Name {
		case prefix + "go.mod":
			dst = &gomod
		case prefix + "go.sum":
			dst = &gosum
		default:
			continue
		}
		if f.UncompressedSize64 > modsum.MaxGoMod {
			return nil, nil, io.ErrUnexpectedEOF
		}
		rc, err := f.Open()
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(io.LimitReader(rc, modsum.MaxGoMod))
		rc.Close()
		if err != nil {
			return nil, nil, err
		}
		*dst = data
	}
	return gomod, gosum, nil
}

// toolPlan returns what go will fetch to build a package of tool module m
// with go.mod gomod and go.sum gosum. At go 1.17 and later (a pruned
// graph, loaded lazily) that is the go.mod of each requirement and the
// zip of each one go.sum has a zip hash for at the required version: go
// reads the go.mod and zip of every module that provides a package of the
// build, all of them listed there. Below go 1.17 go walks the whole graph
// first: the go.mod of every version go.sum has a go.mod hash for (what
// the walk read when go mod tidy wrote it), and no zip, since go.mod does
// not list every module of the build. A go.mod with replace or exclude
// directives, or one that does not parse, gets nothing: go refuses to
// install such a module before it fetches anything more.
func toolPlan(m module.Version, gomod, gosum []byte) (mods, zips []module.Version) {
	// Parse, not ParseLax, which drops replace and exclude directives.
	f, err := modfile.Parse(m.Path+"@"+m.Version+"/go.mod", gomod, nil)
	if err != nil || len(f.Replace) > 0 || len(f.Exclude) > 0 {
		return nil, nil
	}
	hasZip := map[module.Version]bool{}
	var sumMods []module.Version
	sc := bufio.NewScanner(bytes.NewReader(gosum))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 || !strings.HasPrefix(fields[2], "h1:") {
			continue
		}
		if v, ok := strings.CutSuffix(fields[1], "/go.mod"); ok {
			sumMods = append(sumMods, module.Version{Path: fields[0], Version: v})
			continue
		}
		hasZip[module.Version{Path: fields[0], Version: fields[1]}] = true
	}
	if !pruned(f) {
		slices.SortFunc(sumMods, compareVersions)
		return slices.Compact(sumMods), nil
	}
	for _, r := range f.Require {
		mods = append(mods, r.Mod)
		if hasZip[r.Mod] {
			zips = append(zips, r.Mod)
		}
	}
	return mods, zips
}

func compareVersions(a, b module.Version) int {
	if c := strings.Compare(a.Path, b.Path); c != 0 {
		return c
	}
	return strings.Compare(a.Version, b.Version)
}
