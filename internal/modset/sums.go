package modset

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"golang.org/x/mod/module"
)

// Sums holds go.sum lines: for each module version, the hashes recorded for
// its zip and for its go.mod file. A version may have several lines; a
// download is accepted when its hash equals one of them, as go accepts it.
type Sums struct {
	zip map[module.Version][]string
	mod map[module.Version][]string
}

// NewSums returns an empty set of sums.
func NewSums() *Sums {
	return &Sums{zip: map[module.Version][]string{}, mod: map[module.Version][]string{}}
}

// Add records a hash; gomod selects the "/go.mod" line.
func (s *Sums) Add(m module.Version, gomod bool, hash string) {
	t := s.zip
	if gomod {
		t = s.mod
	}
	for _, h := range t[m] {
		if h == hash {
			return
		}
	}
	t[m] = append(t[m], hash)
}

// Zip returns the recorded hashes of m's zip.
func (s *Sums) Zip(m module.Version) []string { return s.zip[m] }

// Mod returns the recorded hashes of m's go.mod.
func (s *Sums) Mod(m module.Version) []string { return s.mod[m] }

// Match reports whether hash is one of the recorded hashes, and whether any
// hash is recorded at all (a module with no line is left to go).
func Match(recorded []string, hash string) (ok, known bool) {
	for _, h := range recorded {
		if h == hash {
			return true, true
		}
	}
	return false, len(recorded) > 0
}

// emptyGoModHash is the hash of a tree holding one empty go.mod. An old go
// bug wrote it into go.sum files for non-modules; go drops such lines when
// reading, and so do we.
const emptyGoModHash = "h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY="

// GoSumError is a malformed go.sum line. Its message names the file and the
// line, as go's own "malformed go.sum" error does.
type GoSumError struct {
	File   string
	Line   int
	Fields int
}

func (e *GoSumError) Error() string {
	return fmt.Sprintf("malformed go.sum: %s:%d: wrong number of fields %d", e.File, e.Line, e.Fields)
}

// ParseGoSum adds the lines of a go.sum (or go.work.sum) file to into, with
// go's rules (modfetch.readGoSum): lines are split on white space, so a
// trailing \r of a CRLF file is ignored; blank lines are skipped; a line
// whose field count is not three is an error naming file and line; the
// empty-go.mod hash an old go bug wrote is dropped. Paths and versions are
// not validated, as go does not validate them either.
//
// Beyond that, ParseGoSum keeps only what go would ever accept: go checks a
// download against the recorded hashes in order and fails at the first h1
// hash that differs, so only the first h1 hash of a module version can
// match; later conflicting h1 lines are dropped. Hashes of other algorithms
// are never compared by go (a module with only such lines counts as having
// no line), so they are dropped as well.
func ParseGoSum(file string, data []byte, into *Sums) error {
	lineno := 0
	for len(data) > 0 {
		var line []byte
		lineno++
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		f := strings.Fields(string(line))
		if len(f) == 0 {
			continue
		}
		if len(f) != 3 {
			return &GoSumError{File: file, Line: lineno, Fields: len(f)}
		}
		hash := f[2]
		if hash == emptyGoModHash || !strings.HasPrefix(hash, "h1:") {
			continue
		}
		version, gomod := strings.CutSuffix(f[1], "/go.mod")
		m := module.Version{Path: f[0], Version: version}
		recorded := into.Zip(m)
		if gomod {
			recorded = into.Mod(m)
		}
		if len(recorded) > 0 {
			// Either a duplicate or a conflict that go would reject.
			continue
		}
		into.Add(m, gomod, hash)
	}
	return nil
}

// readGoSumFile parses a go.sum file into sums; a missing file is no
// error, as in go.
func readGoSumFile(file string, sums *Sums) error {
	data, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading go.sum: %w", err)
	}
	return ParseGoSum(file, data, sums)
}
