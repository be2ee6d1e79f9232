package goenv

import (
	"os"
	"path/filepath"
	"testing"
)

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
