package goenv

import (
	"crypto/rand"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestSumDBKey: the key GOSUMDB gives wins; the default database's key is
// the one the toolchain's source declares, checked to be a key of that
// name; anything else is an error naming the file.
func TestSumDBKey(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "sum.default.test")
	if err != nil {
		t.Fatal(err)
	}
	_, otherKey, err := note.GenerateKey(rand.Reader, "sum.other.test")
	if err != nil {
		t.Fatal(err)
	}
	goroot := func(src string) string {
		dir := t.TempDir()
		file := filepath.Join(dir, filepath.FromSlash(knownKeysFile))
		os.MkdirAll(filepath.Dir(file), 0o777)
		if src != "" {
			os.WriteFile(file, []byte(src), 0o666)
		}
		return dir
	}
	keyFile := func(name, key string) string {
		return "package modfetch\n\nvar knownGOSUMDB = map[string]string{\n\t\"" + name + "\": \"" + key + "\",\n}\n"
	}
	tests := []struct {
		name   string
		goroot string
		db     *SumDB
		want   string
		err    string
	}{
		{"key in GOSUMDB", goroot(""), &SumDB{Name: "sum.other.test", Key: otherKey}, otherKey, ""},
		{"default database", goroot(keyFile("sum.default.test", vkey)), &SumDB{Name: "sum.default.test"}, vkey, ""},
		{"key of another name", goroot(keyFile("sum.default.test", otherKey)), &SumDB{Name: "sum.default.test"}, "", "is not a verifier key"},
		{"database not listed", goroot(keyFile("sum.elsewhere.test", vkey)), &SumDB{Name: "sum.default.test"}, "", "no key for sum.default.test"},
		{"no source", goroot(""), &SumDB{Name: "sum.default.test"}, "", "key.go"},
		{"off", goroot(""), nil, "", "GOSUMDB=off"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &Settings{GOROOT: tt.goroot}
			got, err := s.SumDBKey(tt.db)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Errorf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("SumDBKey = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

// TestSumDBKeyOfThisToolchain: the go on PATH declares a key for its own
// default database (the one its go.env names), and SumDBKey finds it.
func TestSumDBKeyOfThisToolchain(t *testing.T) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		t.Skip("no go tool")
	}
	s := &Settings{GOROOT: strings.TrimSpace(string(out))}
	if _, err := os.Stat(filepath.Join(s.GOROOT, filepath.FromSlash(knownKeysFile))); err != nil {
		t.Skipf("this toolchain ships without its source: %v", err)
	}
	name := s.defaultSumDBName()
	if name == "" {
		t.Skip("this toolchain's go.env names no checksum database")
	}
	key, err := s.SumDBKey(&SumDB{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := note.NewVerifier(key); err != nil || v.Name() != name {
		t.Errorf("key %q of %s: %v", key, name, err)
	}
}
