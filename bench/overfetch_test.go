package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMeasureOverFetch(t *testing.T) {
	goAsked := requestedFiles([]string{"/a/@v/list", "/a/@v/v1.0.0.info", "/a/@v/v1.0.0.mod", "/a/@v/v1.0.0.zip", "/b/@v/v1.0.0.mod", "/sumdb/sum.bench.test/lookup/a@v1.0.0"})
	goServed := map[string]int64{"a/@v/list": 7, "a/@v/v1.0.0.info": 50, "a/@v/v1.0.0.mod": 20, "a/@v/v1.0.0.zip": 900, "b/@v/v1.0.0.mod": 23}
	tests := []struct {
		name   string
		gofast goFetch
		want   overFetch
	}{
		{"the same files", goFetch{Asked: goAsked, Served: goServed}, overFetch{GoBytes: 1000}},
		// A retried or ranged file go also asked for is not over-fetch,
		// however many bytes it took.
		{"retries", goFetch{Asked: requestedFiles([]string{"/a/@v/v1.0.0.zip"}), Served: map[string]int64{"a/@v/v1.0.0.zip": 1800}}, overFetch{GoBytes: 1000}},
		// A read-ahead the tree cannot answer costs a path, no bytes.
		{"read-ahead", goFetch{
			Asked:  requestedFiles([]string{"/a/@v/v1.0.0.zip", "/b/@v/v1.0.0.zip", "/c/@v/v2.0.0.mod", "/c/@v/v2.0.0.info", "/d/@v/list"}),
			Served: map[string]int64{"a/@v/v1.0.0.zip": 900, "b/@v/v1.0.0.zip": 100, "c/@v/v2.0.0.mod": 10, "c/@v/v2.0.0.info": 0}},
			overFetch{Extra: 110, Files: 2, Paths: 4, GoBytes: 1000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := measureOverFetch(tt.gofast, goFetch{Asked: goAsked, Served: goServed}); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
	sum := overFetch{Extra: 110, Files: 2, GoBytes: 1000}.add(overFetch{Extra: 40, Files: 1, GoBytes: 1000})
	if sum.Percent() != 7.5 {
		t.Errorf("Percent = %v, want 7.5", sum.Percent())
	}
	if (overFetch{}).Percent() != 0 {
		t.Error("Percent of nothing served is not 0")
	}
	if n := sum.note(2, ""); !strings.Contains(n, "over-fetch 7.5%") || !strings.Contains(n, "in 3 files") {
		t.Errorf("note = %q", n)
	}
}

func TestMirrorRangeAndServedBytes(t *testing.T) {
	tree := t.TempDir()
	zip := filepath.Join(tree, "example.com", "m", "@v", "v1.0.0.zip")
	if err := os.MkdirAll(filepath.Dir(zip), 0o755); err != nil {
		t.Fatal(err)
	}
	data := []byte(strings.Repeat("0123456789", 10_000))
	if err := os.WriteFile(zip, data, 0o644); err != nil {
		t.Fatal(err)
	}
	ms, err := startMirrors(tree, Link{ConnBandwidth: 1 << 30}, []mirrorSpec{{Kind: goodMirror}})
	if err != nil {
		t.Fatal(err)
	}
	defer ms.Close()
	url := ms.URLs()[0] + "/example.com/m/@v/v1.0.0.zip"
	get := func(rng string) (int, []byte) {
		req, _ := http.NewRequest("GET", url, nil)
		if rng != "" {
			req.Header.Set("Range", rng)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}
	if code, body := get("bytes=1000-1999"); code != http.StatusPartialContent || string(body) != string(data[1000:2000]) {
		t.Errorf("range request: %d, %d bytes", code, len(body))
	}
	if code, _ := get("bytes=200000-"); code != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("range past the end: %d, want 416", code)
	}
	if code, body := get(""); code != http.StatusOK || len(body) != len(data) {
		t.Errorf("whole file: %d, %d bytes", code, len(body))
	}
	f := ms.fetched()
	if got, want := f.Served["example.com/m/@v/v1.0.0.zip"], int64(1000+len(data)); got != want {
		t.Errorf("served %d bytes of the zip, want %d (the range and the whole file)", got, want)
	}
	if !f.Asked["example.com/m/@v/v1.0.0.zip"] {
		t.Errorf("asked = %v", f.Asked)
	}
}
