package goenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestEnviron(t *testing.T) {
	e := Environ{"A=1", "B=2", "A=3", "EMPTY="}
	if got := e.Get("A"); got != "3" {
		t.Errorf("Get(A) = %q, want the last definition 3", got)
	}
	if v, ok := e.Lookup("EMPTY"); !ok || v != "" {
		t.Errorf("Lookup(EMPTY) = %q, %v", v, ok)
	}
	if _, ok := e.Lookup("MISSING"); ok {
		t.Error("Lookup(MISSING) found something")
	}
	w := e.With("A", "9")
	if w.Get("A") != "9" || len(w) != 3 {
		t.Errorf("With: %v", w)
	}
	if e.Get("A") != "3" {
		t.Error("With modified the original")
	}
	if _, ok := e.Without("B").Lookup("B"); ok {
		t.Error("Without kept B")
	}
}

func TestSettings(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.env"), []byte("# defaults\nGOPROXY=https://proxy.example/,direct\nGOSUMDB=sum.example\n"), 0o644)
	s, err := Parse([]byte(`{"GOPROXY":"https://proxy.example/,direct","GOSUMDB":"sum.example+abc+key https://sum.example","GOROOT":"` + filepath.ToSlash(root) + `","GOMODCACHE":"/c"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !s.GOPROXYIsDefault() {
		t.Error("GOPROXY equal to go.env's should be the default")
	}
	if def, _ := s.DefaultGOPROXY(); def != "https://proxy.example/,direct" {
		t.Errorf("DefaultGOPROXY = %q", def)
	}
	if n := s.SumDBName(); n != "sum.example" {
		t.Errorf("SumDBName = %q", n)
	}
	s.GOPROXY = "https://corp.example"
	if s.GOPROXYIsDefault() {
		t.Error("a user GOPROXY was taken for the default")
	}
	s.GOSUMDB = "off"
	if s.SumDBName() != "" {
		t.Error("GOSUMDB=off has no database name")
	}
	if _, err := Parse([]byte("not json")); err == nil {
		t.Error("Parse accepted garbage")
	}
}
