package goenv

import (
	"crypto/rand"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"
)

// TestNoProxyNoSumDB follows go's own rules (cmd/go testdata
// mod_gonoproxy.txt, mod_sumdb_proxy.txt): GONOPROXY and GONOSUMDB default
// to GOPRIVATE only when they are empty, patterns are glob prefixes of
// whole path elements, and a set GONOPROXY replaces GOPRIVATE for proxying
// without changing the checksum-database rule.
func TestNoProxyNoSumDB(t *testing.T) {
	tests := []struct {
		name             string
		s                Settings
		path             string
		noProxy, noSumDB bool
	}{
		{"nothing set", Settings{}, "rsc.io/quote", false, false},
		{"GOPRIVATE covers both", Settings{GOPRIVATE: "rsc.io"}, "rsc.io/quote", true, true},
		{"GOPRIVATE is a path prefix of whole elements", Settings{GOPRIVATE: "rsc.io/q"}, "rsc.io/quote", false, false},
		{"glob element", Settings{GOPRIVATE: "*.corp.example"}, "git.corp.example/x", true, true},
		{"GONOPROXY replaces GOPRIVATE for the proxy", Settings{GOPRIVATE: "rsc.io", GONOPROXY: "none"}, "rsc.io/quote", false, true},
		{"GONOSUMDB replaces GOPRIVATE for the database", Settings{GOPRIVATE: "rsc.io", GONOSUMDB: "none"}, "rsc.io/quote", true, false},
		{"GONOPROXY alone", Settings{GONOPROXY: "rsc.io"}, "rsc.io/quote", true, false},
		{"comma list with empties", Settings{GOPRIVATE: ",a.example,,rsc.io,"}, "rsc.io/quote", true, true},
		{"spaces are part of a pattern, as in go", Settings{GOPRIVATE: "a.example, rsc.io"}, "rsc.io/quote", false, false},
		{"star matches everything", Settings{GOPRIVATE: "*"}, "rsc.io/quote", true, true},
		{"bad pattern matches nothing", Settings{GOPRIVATE: "["}, "rsc.io/quote", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.s.NoProxy(tt.path); got != tt.noProxy {
				t.Errorf("NoProxy(%s) = %v, want %v", tt.path, got, tt.noProxy)
			}
			if got := tt.s.NoSumDB(tt.path); got != tt.noSumDB {
				t.Errorf("NoSumDB(%s) = %v, want %v", tt.path, got, tt.noSumDB)
			}
		})
	}
}

func TestParseSumDB(t *testing.T) {
	_, vkey, err := note.GenerateKey(rand.Reader, "sum.test")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		gosumdb  string
		name     string
		url      string
		explicit bool
		key      string
		err      string
	}{
		{gosumdb: "off"},
		{gosumdb: "sum.default.test", name: "sum.default.test", url: "https://sum.default.test"},
		{gosumdb: vkey, name: "sum.test", url: "https://sum.test", key: vkey},
		{gosumdb: vkey + " https://mirror.test/sumdb/sum.test/", name: "sum.test", url: "https://mirror.test/sumdb/sum.test", explicit: true, key: vkey},
		{gosumdb: chinaSumDB, name: "sum.default.test", url: "https://" + chinaSumDB, explicit: true},
		{gosumdb: "sum.other.test", err: "not a known database"},
		{gosumdb: "sum.test+bad+key", err: "invalid GOSUMDB"},
		{gosumdb: vkey + " https://a.test https://b.test", err: "too many fields"},
		{gosumdb: "", err: "missing GOSUMDB"},
	}
	for _, tt := range tests {
		db, err := ParseSumDB(tt.gosumdb, "sum.default.test")
		switch {
		case tt.err != "":
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.gosumdb, err, tt.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tt.gosumdb, err)
		case tt.name == "":
			if db != nil {
				t.Errorf("%q: got %+v, want nil", tt.gosumdb, db)
			}
		case db.Name != tt.name || db.URL != tt.url || db.Explicit != tt.explicit || db.Key != tt.key:
			t.Errorf("%q: got %+v", tt.gosumdb, db)
		}
	}
}
