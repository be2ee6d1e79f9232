package modset

import "golang.org/x/mod/module"

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
