package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIsProxyFile(t *testing.T) {
	tests := []struct {
		rel  string
		want bool
	}{
		{"github.com/pkg/errors/@v/v0.9.1.zip", true},
		{"github.com/pkg/errors/@v/v0.9.1.mod", true},
		{"github.com/pkg/errors/@v/v0.9.1.info", true},
		{"github.com/pkg/errors/@v/v0.9.1.ziphash", false},
		{"github.com/pkg/errors/@v/v0.9.1.lock", false},
		{"github.com/pkg/errors/@v/v0.9.1.partial", false},
		{"github.com/pkg/errors/@v/list", false},
		{"sumdb/sum.example.test/lookup/github.com/pkg/errors@v0.9.1", false},
		{"sumdb/sum.example.test/x/@v/v1.zip", false},
		{"README.mod", false},
	}
	for _, tt := range tests {
		if got := isProxyFile(tt.rel); got != tt.want {
			t.Errorf("isProxyFile(%q) = %v, want %v", tt.rel, got, tt.want)
		}
	}
}

func TestDiffSets(t *testing.T) {
	want := fileSet{"a/@v/v1.zip": 100, "a/@v/v1.mod": 10, "a/@v/v1.info": 50, "b/@v/v2.mod": 20}
	tests := []struct {
		name string
		got  fileSet
		diff setDiff
		str  string
	}{
		{"same", fileSet{"a/@v/v1.zip": 100, "a/@v/v1.mod": 10, "a/@v/v1.info": 50, "b/@v/v2.mod": 20}, setDiff{}, "same files"},
		{"info size may differ", fileSet{"a/@v/v1.zip": 100, "a/@v/v1.mod": 10, "a/@v/v1.info": 77, "b/@v/v2.mod": 20}, setDiff{}, "same files"},
		{"missing and extra", fileSet{"a/@v/v1.zip": 100, "a/@v/v1.info": 50, "b/@v/v2.mod": 20, "c/@v/v3.zip": 1, "c/@v/v3.mod": 1},
			setDiff{Missing: []string{"a/@v/v1.mod"}, Extra: []string{"c/@v/v3.mod", "c/@v/v3.zip"}},
			"1 missing (a/@v/v1.mod), 2 extra (c/@v/v3.mod, …)"},
		{"changed zip", fileSet{"a/@v/v1.zip": 99, "a/@v/v1.mod": 10, "a/@v/v1.info": 50, "b/@v/v2.mod": 20},
			setDiff{Changed: []string{"a/@v/v1.zip"}}, "1 changed (a/@v/v1.zip)"},
		{"nothing fetched", fileSet{}, setDiff{Missing: []string{"a/@v/v1.info", "a/@v/v1.mod", "a/@v/v1.zip", "b/@v/v2.mod"}},
			"4 missing (a/@v/v1.info, …)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := diffSets(want, tt.got)
			if !reflect.DeepEqual(d, tt.diff) {
				t.Errorf("diffSets = %+v, want %+v", d, tt.diff)
			}
			if d.Empty() != (tt.str == "same files") {
				t.Errorf("Empty() = %v for %+v", d.Empty(), d)
			}
			if s := d.String(); s != tt.str {
				t.Errorf("String() = %q, want %q", s, tt.str)
			}
		})
	}
}

func TestScanDownloads(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"example.com/a/@v/v1.0.0.zip":     "zipdata",
		"example.com/a/@v/v1.0.0.mod":     "module example.com/a\n",
		"example.com/a/@v/v1.0.0.info":    "{}",
		"example.com/a/@v/v1.0.0.ziphash": "h1:x",
		"example.com/a/@v/v1.0.0.lock":    "",
		"example.com/a/@v/list":           "v1.0.0\n",
		"sumdb/sum.example.test/latest":   "tree",
	}
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := scanDownloads(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := fileSet{"example.com/a/@v/v1.0.0.zip": 7, "example.com/a/@v/v1.0.0.mod": 21, "example.com/a/@v/v1.0.0.info": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("scanDownloads = %v, want %v", got, want)
	}
	if got.Size() != 30 || got.Count(".zip") != 1 {
		t.Errorf("Size, Count = %d, %d; want 30, 1", got.Size(), got.Count(".zip"))
	}

	empty, err := scanDownloads(filepath.Join(dir, "missing"))
	if err != nil || len(empty) != 0 {
		t.Errorf("scanDownloads(missing dir) = %v, %v; want empty, nil", empty, err)
	}
}
