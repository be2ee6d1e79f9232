package prefetch

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/mirrors"
)

// TestRequestLabel: a request for no module's file (a checksum-database
// request) names itself with Request.Label, which a ModuleError prints in
// a module's place, and no module is made up for it.
func TestRequestLabel(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusNotFound)
	}))
	t.Cleanup(srv.Close)
	f, err := NewFetcher(FetcherOptions{Settings: settings(t.TempDir(), srv.URL)})
	if err != nil {
		t.Fatal(err)
	}
	list, _ := mirrors.ParseList(srv.URL)
	label := "checksum database sum.golang.org lookup/example.com/m@v1.0.0"
	_, err = f.Get(t.Context(), list, Request{Label: label, Kind: "sumdb", Rel: "sumdb/sum.golang.org/lookup/example.com/m@v1.0.0"})
	var me *ModuleError
	if !errors.As(err, &me) {
		t.Fatalf("Get = %v, want a *ModuleError", err)
	}
	if me.Label != label || me.Module.Path != "" {
		t.Errorf("ModuleError names %q, module %v; want the label %q and no module", me.Label, me.Module, label)
	}
	if want := label + " from " + srv.URL + ": "; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to start %q", err, want)
	}
}

// TestModuleErrorLabel: a label reads as the made-up module path it
// replaces did, version-less and with no file suffix for the database's
// kinds.
func TestModuleErrorLabel(t *testing.T) {
	cause := errors.New("boom")
	for _, tc := range []struct {
		err  *ModuleError
		want string
	}{
		{&ModuleError{Label: "checksum database sum.golang.org tile/8/0/000", File: "sumdb", Mirror: "https://m", Err: cause},
			"checksum database sum.golang.org tile/8/0/000 from https://m: boom"},
		{&ModuleError{Label: "checksum database sum.golang.org at https://m", File: "supported", Err: cause},
			"checksum database sum.golang.org at https://m: boom"},
	} {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}
