package modproxy

import (
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/modset"
	"github.com/gofastdev/gofast/internal/proxytest"
	"golang.org/x/mod/module"
)

// sumsOf returns the go.sum hashes of every module of tree, as a go.sum
// listing them all holds.
func sumsOf(t testing.TB, tree *proxytest.Tree) *modset.Sums {
	t.Helper()
	sums := modset.NewSums()
	for k, h := range tree.Sum {
		p, v, ok := strings.Cut(k, " ")
		if !ok {
			t.Fatalf("tree sum key %q", k)
		}
		v, gomod := strings.CutSuffix(v, "/go.mod")
		sums.Add(module.Version{Path: p, Version: v}, gomod, h)
	}
	return sums
}
