package prefetch

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gofastdev/gofast/internal/modsum"
	"github.com/gofastdev/gofast/mirrors"
	"golang.org/x/mod/module"
)

// TestGetHoldsEachKindToItsLimit checks that a Request without a Limit is
// held to its kind's own size limit, the one the engine holds the same
// file to: an .info to modsum.MaxInfo, a go.mod to modsum.MaxGoMod.
func TestGetHoldsEachKindToItsLimit(t *testing.T) {
	size := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write(bytes.Repeat([]byte("x"), size[r.URL.Path]))
	}))
	defer srv.Close()
	f, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := mirrors.ParseList(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := module.Version{Path: "example.com/big", Version: "v1.0.0"}
	for _, tc := range []struct {
		kind    Kind
		limit   int64
		size    int
		tooLong bool
	}{
		{kind: KindInfo, size: modsum.MaxInfo},
		{kind: KindInfo, size: modsum.MaxInfo + 1, tooLong: true},
		{kind: KindMod, size: modsum.MaxInfo + 1},
		{kind: KindInfo, limit: 2 * modsum.MaxInfo, size: modsum.MaxInfo + 1},
		{kind: KindMod, limit: 10, size: 11, tooLong: true},
	} {
		rel, err := relPath(m, string(tc.kind))
		if err != nil {
			t.Fatal(err)
		}
		size["/"+rel] = tc.size
		got, err := f.Get(context.Background(), list, Request{Module: m, Kind: tc.kind, Rel: rel, Limit: tc.limit})
		if errors.Is(err, ErrTooLarge) != tc.tooLong || !tc.tooLong && err != nil {
			t.Errorf(".%s of %d bytes, Limit %d: %v, want too large %v", tc.kind, tc.size, tc.limit, err, tc.tooLong)
		}
		if got != nil {
			got.Close()
		}
	}
}
