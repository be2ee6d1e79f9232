package mirrors

import (
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
)

// Results of an imagined race, by name.
var (
	fastFound  = Mirror{URL: "https://fast.test", OK: true, Found: true, Status: 200, TTFB: 10 * time.Millisecond}
	slowFound  = Mirror{URL: "https://slow.test", OK: true, Found: true, Status: 200, TTFB: 300 * time.Millisecond}
	quick404   = Mirror{URL: "https://quick404.test", OK: true, Status: 404, TTFB: 2 * time.Millisecond}
	stalled    = Mirror{URL: "https://stalled.test", Err: "no answer within 1s (request sent, no answer)"}
	broken     = Mirror{URL: "https://broken.test", Status: 500, Err: "answered 500 Internal Server Error"}
	needsLogin = Mirror{URL: "https://login.test", Status: 401, Err: "answered 401 Unauthorized"}
	bundle     = Mirror{URL: "file:///srv/bundle", OK: true, Local: true}
)

func TestBuildChain(t *testing.T) {
	for _, tc := range []struct {
		name     string
		goproxy  string
		mirrors  string // GOFAST_MIRRORS; "" for the user's GOPROXY
		results  []Mirror
		want     string
		fallback bool
		note     []string // substrings of Note
		order    []string // Result.Mirrors URLs, when checked
	}{
		{
			name: "ranked: served before 404, by TTFB, dead left out, default tail kept", goproxy: testDefaultGOPROXY,
			mirrors: "https://slow.test,https://stalled.test,https://quick404.test,https://fast.test,https://broken.test",
			results: []Mirror{slowFound, stalled, quick404, fastFound, broken},
			want:    "https://fast.test|https://slow.test|https://quick404.test,direct",
			note:    []string{"raced 5 mirrors from GOFAST_MIRRORS", "left out what failed: https://stalled.test, https://broken.test"},
			order:   []string{"https://fast.test", "https://slow.test", "https://quick404.test", "https://stalled.test", "https://broken.test"},
		},
		{
			name: "ranked: user's pipe before direct kept", goproxy: "https://corp.test|direct",
			mirrors: "https://slow.test,https://fast.test", results: []Mirror{slowFound, fastFound},
			want: "https://fast.test|https://slow.test|direct",
		},
		{
			name: "ranked: off tail kept", goproxy: "https://corp.test,off",
			mirrors: "https://slow.test,https://fast.test", results: []Mirror{slowFound, fastFound},
			want: "https://fast.test|https://slow.test,off",
		},
		{
			name: "ranked: no tail", goproxy: "https://corp.test",
			mirrors: "https://slow.test,https://fast.test", results: []Mirror{slowFound, fastFound},
			want: "https://fast.test|https://slow.test",
		},
		{
			name: "ranked: file entry kept in place", goproxy: testDefaultGOPROXY,
			mirrors: "file:///srv/bundle,https://slow.test,https://stalled.test,https://fast.test",
			results: []Mirror{bundle, slowFound, stalled, fastFound},
			want:    "file:///srv/bundle|https://fast.test|https://slow.test,direct",
		},
		{
			name: "ranked: credentials refusal is not a proxy answer", goproxy: testDefaultGOPROXY,
			mirrors: "https://login.test,https://slow.test", results: []Mirror{needsLogin, slowFound},
			want: "https://slow.test,direct",
		},
		{
			name: "ranked: demoted goes last", goproxy: testDefaultGOPROXY,
			mirrors: "https://slow.test,https://fast.test,https://quick404.test",
			results: []Mirror{slowFound, withDemoted(fastFound), quick404},
			want:    "https://slow.test|https://quick404.test|https://fast.test,direct",
			note:    []string{"moved to the end after download failures: https://fast.test"},
		},
		{
			name: "ranked: nothing works keeps GOPROXY", goproxy: "https://corp.test|direct",
			mirrors: "https://stalled.test,https://broken.test", results: []Mirror{stalled, broken},
			want: "https://corp.test|direct", fallback: true,
			note: []string{"no mirror works", "https://stalled.test: no answer within 1s", "GOPROXY left unchanged"},
		},
		{
			name:    "user: gatekeeper first stays first even dead, pipe entry dropped, order kept",
			goproxy: "https://stalled.test,https://slow.test|https://broken.test|https://fast.test,direct",
			results: []Mirror{stalled, slowFound, broken, fastFound},
			want:    "https://stalled.test,https://slow.test|https://fast.test,direct",
			note:    []string{"kept your GOPROXY order", "left out https://broken.test", "kept https://stalled.test although it failed"},
			order:   []string{"https://stalled.test", "https://slow.test", "https://fast.test", "https://broken.test"},
		},
		{
			name: "user: stalled|good drops the stalled one", goproxy: "https://stalled.test|https://fast.test,direct",
			results: []Mirror{stalled, fastFound},
			want:    "https://fast.test,direct",
		},
		{
			name: "user: dead last entry before ',direct' stays", goproxy: "https://fast.test|https://broken.test,direct",
			results: []Mirror{fastFound, broken},
			want:    "https://fast.test|https://broken.test,direct",
		},
		{
			name: "user: credentials refusal kept, go may have them", goproxy: "https://login.test|https://slow.test,direct",
			results: []Mirror{needsLogin, slowFound},
			want:    "https://login.test|https://slow.test,direct",
		},
		{
			name: "user: demoted keeps its place", goproxy: "https://fast.test|https://slow.test,direct",
			results: []Mirror{withDemoted(fastFound), slowFound},
			want:    "https://fast.test|https://slow.test,direct",
			note:    []string{"download failures seen at https://fast.test, order kept"},
		},
		{
			name: "user: file bundle and dead pipe mirror", goproxy: "file:///srv/bundle|https://stalled.test|https://quick404.test,off",
			results: []Mirror{bundle, stalled, quick404},
			want:    "file:///srv/bundle|https://quick404.test,off",
		},
		{
			name: "user: nothing works keeps GOPROXY", goproxy: "https://stalled.test|https://broken.test,direct",
			results: []Mirror{stalled, broken},
			want:    "https://stalled.test|https://broken.test,direct", fallback: true,
			note: []string{"no mirror works"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var env goenv.Environ
			if tc.mirrors != "" {
				env = goenv.Environ{"GOFAST_MIRRORS=" + tc.mirrors}
			}
			p, err := makePlan(Options{Settings: testSettings(t, tc.goproxy, "sum.test"), Env: env})
			if err != nil {
				t.Fatal(err)
			}
			r := p.build(tc.results)
			if got := r.Chain.String(); got != tc.want {
				t.Errorf("chain = %q, want %q", got, tc.want)
			}
			if r.Fallback != tc.fallback {
				t.Errorf("Fallback = %v, want %v", r.Fallback, tc.fallback)
			}
			if strings.Contains(r.Note, "\n") || r.Note == "" {
				t.Errorf("note is not one line: %q", r.Note)
			}
			for _, s := range tc.note {
				if !strings.Contains(r.Note, s) {
					t.Errorf("note %q lacks %q", r.Note, s)
				}
			}
			if tc.order != nil {
				var got []string
				for _, m := range r.Mirrors {
					got = append(got, m.URL)
				}
				if strings.Join(got, " ") != strings.Join(tc.order, " ") {
					t.Errorf("Mirrors order = %v, want %v", got, tc.order)
				}
			}
			again, err := ParseList(r.Chain.String())
			if err != nil || again.String() != r.Chain.String() {
				t.Errorf("chain %q does not parse back: %v", r.Chain.String(), err)
			}
		})
	}
}

func withDemoted(m Mirror) Mirror {
	m.Demoted = "zip download reset"
	return m
}

func TestChainNoteRedactsCredentials(t *testing.T) {
	dead := Mirror{URL: "https://user:secret@private.test", Err: "no answer within 1s"}
	p, err := makePlan(Options{
		Settings: testSettings(t, testDefaultGOPROXY, "sum.test"),
		Env:      goenv.Environ{"GOFAST_MIRRORS=https://user:secret@private.test,https://fast.test"},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, results := range [][]Mirror{{dead, fastFound}, {dead}} {
		r := p.build(results)
		if strings.Contains(r.Note, "secret") || !strings.Contains(r.Note, "private.test") {
			t.Errorf("note %q: credentials not redacted or mirror not named", r.Note)
		}
	}
}
