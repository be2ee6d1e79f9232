package modset

import "golang.org/x/mod/module"

// likelyZips returns the zips a single main module's set will most likely
// hold, known before any go.mod of a dependency is read: the versions its
// go.mod requires, after exclusions and replacement, without private
// modules and local replacements. At go >= 1.17 `go mod download`
// fetches the selected version of every path go.mod requires, and a tidy
// go.mod requires exactly the selected versions; below 1.17 it fetches the
// whole build list, which holds the requirements at their selected
// versions too. An untidy go.mod (a requirement below what the graph
// selects) makes a guess wrong; the walk's Set is what counts.
func (l *loader) likelyZips(mm *mainModule) []module.Version {
	f := mm.file
	main := f.Module.Mod.Path
	var roots []module.Version
	for _, r := range f.Require {
		if !l.rules.exclude[r.Mod] && r.Mod.Path != main {
			roots = append(roots, r.Mod)
		}
	}
	var out []module.Version
	for _, m := range maxPerPath(roots) {
		rep, err := l.rules.replace(m)
		if err != nil || rep.local() || l.rules.isPrivate(rep.mod.Path) || isToolchain(m.Path) {
			continue
		}
		out = append(out, rep.mod)
	}
	return out
}
