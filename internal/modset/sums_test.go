package modset

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
)

const (
	hashA = "h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
	hashB = "h1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB="
)

func TestParseGoSum(t *testing.T) {
	a := mv("example.com/a", "v1.0.0")
	for _, tc := range []struct {
		name    string
		data    string
		wantZip []string
		wantMod []string
		wantErr string // "file:line: ..." part; empty for success
	}{
		{name: "empty", data: ""},
		{name: "zip and go.mod lines", data: "example.com/a v1.0.0 " + hashA + "\nexample.com/a v1.0.0/go.mod " + hashB + "\n",
			wantZip: []string{hashA}, wantMod: []string{hashB}},
		{name: "no final newline", data: "example.com/a v1.0.0 " + hashA, wantZip: []string{hashA}},
		{name: "crlf", data: "example.com/a v1.0.0 " + hashA + "\r\nexample.com/a v1.0.0/go.mod " + hashB + "\r\n",
			wantZip: []string{hashA}, wantMod: []string{hashB}},
		{name: "blank and white-space lines", data: "\n \t\r\n\nexample.com/a v1.0.0 " + hashA + "\n\n",
			wantZip: []string{hashA}},
		{name: "tabs and runs of spaces", data: "example.com/a\t v1.0.0  \t" + hashA + "  \n", wantZip: []string{hashA}},
		{name: "duplicate line", data: strings.Repeat("example.com/a v1.0.0 "+hashA+"\n", 3), wantZip: []string{hashA}},
		{name: "conflicting lines: the first h1 hash is the one go accepts",
			data:    "example.com/a v1.0.0 " + hashA + "\nexample.com/a v1.0.0 " + hashB + "\n",
			wantZip: []string{hashA}},
		{name: "unknown hash algorithm is never compared",
			data:    "example.com/a v1.0.0 h2:zzz\nexample.com/a v1.0.0 " + hashB + "\n",
			wantZip: []string{hashB}},
		{name: "empty go.mod hash of an old go bug is dropped",
			data: "example.com/a v1.0.0/go.mod " + emptyGoModHash + "\n"},
		{name: "two fields", data: "example.com/a v1.0.0 " + hashA + "\nexample.com/a v1.0.0\n",
			wantErr: "go.sum:2: wrong number of fields 2"},
		{name: "one field", data: "\n\nexample.com/a\n", wantErr: "go.sum:3: wrong number of fields 1"},
		{name: "four fields", data: "example.com/a v1.0.0 " + hashA + " extra\n", wantErr: "go.sum:1: wrong number of fields 4"},
		{name: "crlf line count", data: "\r\n\r\nexample.com/a v1.0.0\r\n", wantErr: "go.sum:3: wrong number of fields 2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sums := NewSums()
			err := ParseGoSum("go.sum", []byte(tc.data), sums)
			if tc.wantErr != "" {
				var se *GoSumError
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.As(err, &se) {
					t.Fatalf("error = %v, want a *GoSumError containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := sums.Zip(a); !slices.Equal(got, tc.wantZip) {
				t.Errorf("zip hashes = %v, want %v", got, tc.wantZip)
			}
			if got := sums.Mod(a); !slices.Equal(got, tc.wantMod) {
				t.Errorf("go.mod hashes = %v, want %v", got, tc.wantMod)
			}
		})
	}
}

func TestParseGoSumHuge(t *testing.T) {
	// A go.sum of 200k lines (a few times the largest real ones) parses
	// in linear time.
	var b strings.Builder
	const n = 100000
	for i := range n {
		fmt.Fprintf(&b, "example.com/m%d v1.%d.0 %s\nexample.com/m%d v1.%d.0/go.mod %s\n", i, i%7, hashA, i, i%7, hashB)
	}
	sums := NewSums()
	if err := ParseGoSum("go.sum", []byte(b.String()), sums); err != nil {
		t.Fatal(err)
	}
	if len(sums.zip) != n || len(sums.mod) != n {
		t.Fatalf("parsed %d zip and %d go.mod entries, want %d each", len(sums.zip), len(sums.mod), n)
	}
	if ok, known := Match(sums.Mod(mv("example.com/m99999", "v1.4.0")), hashB); !ok || !known {
		t.Error("last line not matched")
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		recorded  []string
		hash      string
		ok, known bool
	}{
		{nil, hashA, false, false},
		{[]string{hashA}, hashA, true, true},
		{[]string{hashA}, hashB, false, true},
	} {
		ok, known := Match(tc.recorded, tc.hash)
		if ok != tc.ok || known != tc.known {
			t.Errorf("Match(%v, %s) = %v, %v; want %v, %v", tc.recorded, tc.hash, ok, known, tc.ok, tc.known)
		}
	}
}

func FuzzParseGoSum(f *testing.F) {
	for _, seed := range []string{
		"",
		"example.com/a v1.0.0 " + hashA + "\nexample.com/a v1.0.0/go.mod " + hashB + "\n",
		"example.com/a v1.0.0 " + hashA + "\r\n\r\n",
		"example.com/a v1.0.0\n",
		"a b c d\n",
		"example.com/a v1.0.0/go.mod/go.mod " + hashA,
		"\x00 \xff h1:\n\t\t\n",
		"example.com/a v1.0.0 " + emptyGoModHash,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sums := NewSums()
		err := ParseGoSum("go.sum", data, sums)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "malformed go.sum: go.sum:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q does not name file and line on one line", err)
			}
			return
		}
		for m, hs := range sums.zip {
			if len(hs) != 1 || !strings.HasPrefix(hs[0], "h1:") {
				t.Fatalf("%v: zip hashes %v", m, hs)
			}
		}
		for m, hs := range sums.mod {
			if len(hs) != 1 || !strings.HasPrefix(hs[0], "h1:") {
				t.Fatalf("%v: go.mod hashes %v", m, hs)
			}
		}
	})
}
