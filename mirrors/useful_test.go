package mirrors

import (
	"context"
	"testing"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// TestOnlyIfUseful: the warm-up's race is skipped exactly when it could
// not change the chain, and no mirror is then asked anything.
func TestOnlyIfUseful(t *testing.T) {
	t.Parallel()
	a := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	b := proxytest.New(t, proxytest.Options{FS: testTree().FS})
	for _, tc := range []struct {
		name, goproxy string
		env           []string
		race          bool
	}{
		{name: "commas", goproxy: a.URL + "," + b.URL + ",direct"},
		{name: "one mirror then off", goproxy: a.URL + ",off"},
		{name: "file entry with a pipe", goproxy: "file:///nonexistent|" + a.URL},
		{name: "pipe between mirrors", goproxy: a.URL + "|" + b.URL, race: true},
		{name: "pipe before direct", goproxy: a.URL + "|direct", race: true},
		{name: "GOFAST_MIRRORS", goproxy: a.URL + ",direct", env: []string{"GOFAST_MIRRORS=" + b.URL}, race: true},
		{name: "default GOPROXY", goproxy: testDefaultGOPROXY, env: []string{"GOFAST_MIRRORS="}, race: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(a.Requests()) + len(b.Requests())
			opts := testOptions(t, testSettings(t, tc.goproxy, ""), tc.env...)
			opts.OnlyIfUseful = true
			if tc.name == "default GOPROXY" {
				// The default's candidates are public hosts: only
				// whether a race would run is asked here.
				p, err := makePlan(opts)
				if err != nil || !p.raceCanChange() {
					t.Fatalf("default GOPROXY: race skipped (%v)", err)
				}
				return
			}
			r, err := Select(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			asked := len(a.Requests())+len(b.Requests()) > before
			if asked != tc.race || (len(r.Mirrors) > 0) != tc.race {
				t.Fatalf("mirrors asked %v, %d results; want a race %v", asked, len(r.Mirrors), tc.race)
			}
			if !tc.race && r.Chain.String() != mustParse(t, tc.goproxy).String() {
				t.Fatalf("chain %q, want the user's %q", r.Chain, tc.goproxy)
			}
		})
	}
}

func mustParse(t *testing.T, s string) List {
	t.Helper()
	l, err := ParseList(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}
