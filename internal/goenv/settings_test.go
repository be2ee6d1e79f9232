package goenv

import (
	"os"
	"path/filepath"
	"testing"
)

func TestSettings(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "go.env"), []byte("# defaults\nGOPROXY=https://proxy.example/,direct\nGOSUMDB=sum.example\n"), 0o644)
	s, err := Parse([]byte(`{"GOPROXY":"https://proxy.example/,direct","GOSUMDB":"sum.example https://sum.example","GOROOT":"` + filepath.ToSlash(root) + `","GOMODCACHE":"/c"}`))
	if err != nil {
		t.Fatal(err)
	}
	if !s.GOPROXYIsDefault() {
		t.Error("GOPROXY equal to go.env's should be the default")
	}
	if def, _ := s.DefaultGOPROXY(); def != "https://proxy.example/,direct" {
		t.Errorf("DefaultGOPROXY = %q", def)
	}
	if db, err := s.SumDB(); err != nil || db == nil || db.Name != "sum.example" || db.URL != "https://sum.example" {
		t.Errorf("SumDB = %+v, %v", db, err)
	}
	s.GOPROXY = "https://corp.example"
	if s.GOPROXYIsDefault() {
		t.Error("a user GOPROXY was taken for the default")
	}
	s.GOSUMDB = "off"
	if db, err := s.SumDB(); db != nil || err != nil {
		t.Errorf("GOSUMDB=off: SumDB = %+v, %v; want none", db, err)
	}
	if _, err := Parse([]byte("not json")); err == nil {
		t.Error("Parse accepted garbage")
	}
}
