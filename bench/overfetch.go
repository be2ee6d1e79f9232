package main

import (
	"fmt"
	"io"
	"io/fs"
	"strings"
	"sync"
)

// servedBytes counts, for one run's mirror set, the bytes of each GOPROXY
// tree file the mirrors read to answer requests, by slash path relative to
// the tree ("golang.org/x/mod/@v/v0.20.0.zip"). It is measured where the
// mirrors read the tree, so it is what went over the emulated link (a
// client that hangs up mid-body costs at most one 32 KiB chunk more);
// checksum-database answers are not files of the tree and are not counted.
type servedBytes struct {
	mu    sync.Mutex
	bytes map[string]int64
}

func newServedBytes() *servedBytes { return &servedBytes{bytes: map[string]int64{}} }

func (s *servedBytes) add(name string, n int64) {
	s.mu.Lock()
	s.bytes[name] += n
	s.mu.Unlock()
}

// Snapshot returns a copy of the counts.
func (s *servedBytes) Snapshot() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.bytes))
	for k, v := range s.bytes {
		out[k] = v
	}
	return out
}

// countingFS is a GOPROXY tree that counts what is read of each file in
// served.
type countingFS struct {
	fs.FS
	served *servedBytes
}

func (c countingFS) Open(name string) (fs.File, error) {
	f, err := c.FS.Open(name)
	if err != nil {
		return nil, err
	}
	return &countingFile{File: f, name: name, served: c.served}, nil
}

// countingFile passes Seek through, so that byte-range requests are still
// served from a seekable file (and only the range is counted).
type countingFile struct {
	fs.File
	name   string
	served *servedBytes
}

func (f *countingFile) Read(b []byte) (int, error) {
	n, err := f.File.Read(b)
	if n > 0 {
		f.served.add(f.name, int64(n))
	}
	return n, err
}

func (f *countingFile) Seek(off int64, whence int) (int64, error) {
	s, ok := f.File.(io.Seeker)
	if !ok {
		return 0, fmt.Errorf("%s: not seekable", f.name)
	}
	return s.Seek(off, whence)
}

// requestedFiles turns the paths a mirror set was asked for (URL paths,
// "/golang.org/x/mod/@v/list") into the set of tree names.
func requestedFiles(paths []string) map[string]bool {
	out := make(map[string]bool, len(paths))
	for _, p := range paths {
		out[strings.TrimPrefix(p, "/")] = true
	}
	return out
}

// overFetch is what one gofast run read ahead from the mirrors that go,
// running the same command, never asked for.
type overFetch struct {
	// Extra is the bytes of tree files gofast had served that go did not
	// request at all; Files counts those files. Paths counts every path
	// gofast asked for and go did not, answered or not (a read-ahead of a
	// file the tree lacks costs a request, no bytes).
	Extra int64
	Files int
	Paths int
	// GoBytes is the bytes of tree files served to go's run.
	GoBytes int64
}

// measureOverFetch compares what gofast's run fetched with what go's run
// of the same command asked for and was served.
func measureOverFetch(gofast, goRun goFetch) overFetch {
	var o overFetch
	for name, n := range gofast.Served {
		if !goRun.Asked[name] && n > 0 {
			o.Extra += n
			o.Files++
		}
	}
	for name := range gofast.Asked {
		if !goRun.Asked[name] {
			o.Paths++
		}
	}
	for _, n := range goRun.Served {
		o.GoBytes += n
	}
	return o
}

// add sums over rounds.
func (o overFetch) add(p overFetch) overFetch {
	return overFetch{Extra: o.Extra + p.Extra, Files: o.Files + p.Files, Paths: o.Paths + p.Paths, GoBytes: o.GoBytes + p.GoBytes}
}

// Percent is Extra as a percentage of GoBytes (0 when go was served
// nothing).
func (o overFetch) Percent() float64 {
	if o.GoBytes == 0 {
		return 0
	}
	return float64(o.Extra) * 100 / float64(o.GoBytes)
}

// note is the row note: "gofast over-fetch 1.2% (3 files, 840 KiB beyond
// the 68.1 MiB go was served; 2 gofast runs; …)".
func (o overFetch) note(runs int, ref string) string {
	return fmt.Sprintf("gofast over-fetch %.1f%% (%s in %s beyond the %s go was served%s; %s go never asked for, checksum database included; %s; target ≤ 10%%)",
		o.Percent(), formatBytes(o.Extra), count(o.Files, "file"), formatBytes(o.GoBytes), ref, count(o.Paths, "path"), count(runs, "gofast run"))
}

// count is n with the noun, plural unless n is 1: "1 file", "3 paths".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// goFetch is what go's own run of a proxy-path command asked the mirrors
// for: the reference of the over-fetch of gofast's runs.
type goFetch struct {
	Asked  map[string]bool
	Served map[string]int64
}

// fetched returns what the mirrors were asked for and served so far.
func (ms *mirrorSet) fetched() goFetch {
	var paths []string
	for _, s := range ms.servers {
		paths = append(paths, s.Requests()...)
	}
	return goFetch{Asked: requestedFiles(paths), Served: ms.files.Snapshot()}
}
