package doctor

import (
	"strings"
	"testing"
	"time"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// mirrorState is what a synthetic probe found for one mirror.
type mirrorState struct {
	url     string
	working bool
	ttfb    time.Duration
	layer   Layer // failing layer when not working
	timeout bool
	served  sumdbSupport
}

// syntheticDiagnosis builds a diagnosis as if the probes had found
// states, without any network.
func syntheticDiagnosis(t *testing.T, goproxy string, env goenv.Environ, states ...mirrorState) *diagnosis {
	t.Helper()
	s := &goenv.Settings{GOPROXY: goproxy, GOSUMDB: "off"}
	d := newDiagnosis(Options{Settings: s, Env: env, ProbeModule: probeMod})
	byURL := map[string]mirrorState{}
	for _, st := range states {
		byURL[st.url] = st
	}
	for _, tg := range d.mirrors {
		st, ok := byURL[tg.name]
		if !ok {
			t.Fatalf("no state for %s", tg.name)
		}
		tg.working, tg.ttfb, tg.sumdb = st.working, st.ttfb, st.served
		if !st.working {
			c := newCheck(st.layer, tg.name, Fail, "broken at "+string(st.layer))
			c.timeout = st.timeout
			tg.add(c)
		}
	}
	return d
}

func TestChainFindings(t *testing.T) {
	const a, b, c = "https://a.example", "https://b.example", "https://c.example"
	tests := []struct {
		name     string
		goproxy  string
		env      goenv.Environ
		states   []mirrorState
		severity Severity // of the first finding; "" for none
		message  string
		fix      string
	}{
		{name: "comma before direct", goproxy: a + ",direct",
			states:   []mirrorState{{url: a, layer: LayerTLS}},
			severity: SeverityError, message: "fall back to direct only on 404 or 410"},
		{name: "first works", goproxy: a + "," + b + ",direct",
			states: []mirrorState{{url: a, working: true}, {url: b, layer: LayerDNS}}},
		{name: "comma after a failing mirror", goproxy: a + "," + b + ",direct",
			states:   []mirrorState{{url: a, layer: LayerTCP}, {url: b, working: true}},
			severity: SeverityError, message: "the ',' after it makes go stop there instead of trying " + b,
			fix: "go env -w GOPROXY='" + b + ",direct'"},
		{name: "pipe after a fast failure", goproxy: a + "|" + b + ",direct",
			states:   []mirrorState{{url: a, layer: LayerDNS}, {url: b, working: true}},
			severity: SeverityWarning, message: a + " fails (see above): go moves past with '|'",
			fix: "go env -w GOPROXY='" + b + ",direct'"},
		{name: "pipe after a connect timeout", goproxy: a + "|" + b + ",direct",
			states:   []mirrorState{{url: a, layer: LayerTCP, timeout: true}, {url: b, working: true}},
			severity: SeverityWarning, message: "only after go's 30 s connect timeout"},
		{name: "stall hangs even with pipe", goproxy: a + "|" + b + ",direct",
			states:   []mirrorState{{url: a, layer: LayerHTTP, timeout: true}, {url: b, working: true}},
			severity: SeverityError, message: "downloads hang: " + a},
		{name: "last mirror fails", goproxy: a,
			states:   []mirrorState{{url: a, layer: LayerTLS}},
			severity: SeverityError, message: "it is the last mirror in GOPROXY",
			fix: "no mirror works from here"},
		{name: "all fail then off", goproxy: a + "|" + b + "|off",
			states:   []mirrorState{{url: a, layer: LayerDNS}, {url: b, layer: LayerDNS}},
			severity: SeverityError, message: "ends with off"},
		{name: "explicit order kept", goproxy: a + "," + b + "|" + c + ",direct",
			states:   []mirrorState{{url: a, layer: LayerHTTP}, {url: b, working: true, ttfb: 300 * time.Millisecond}, {url: c, working: true, ttfb: 10 * time.Millisecond}},
			severity: SeverityError, fix: "go env -w GOPROXY='" + b + "|" + c + ",direct'"},
		{name: "GOFAST_MIRRORS orders by speed", goproxy: a + "," + b + "|" + c + ",direct", env: goenv.Environ{"GOFAST_MIRRORS=" + c},
			states:   []mirrorState{{url: a, layer: LayerHTTP}, {url: b, working: true, ttfb: 300 * time.Millisecond}, {url: c, working: true, ttfb: 10 * time.Millisecond}},
			severity: SeverityError, fix: "go env -w GOPROXY='" + c + "|" + b + ",direct'"},
		{name: "set in the environment", goproxy: a + "," + b, env: goenv.Environ{"GOPROXY=" + a + "," + b},
			states:   []mirrorState{{url: a, layer: LayerTCP}, {url: b, working: true}},
			severity: SeverityError, fix: "export GOPROXY='" + b + "'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := syntheticDiagnosis(t, tt.goproxy, tt.env, tt.states...)
			fs := d.chainFindings()
			if tt.severity == "" {
				if len(fs) != 0 {
					t.Fatalf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) == 0 {
				t.Fatal("no findings")
			}
			f := fs[0]
			if f.Severity != tt.severity || !strings.Contains(f.Message, tt.message) || !strings.HasPrefix(f.Fix, tt.fix) {
				t.Errorf("got %s %q fix %q; want %s containing %q fix %q", f.Severity, f.Message, f.Fix, tt.severity, tt.message, tt.fix)
			}
		})
	}
}

func TestVerdictOrderAndDedup(t *testing.T) {
	d := syntheticDiagnosis(t, "https://a.example,https://b.example", nil,
		mirrorState{url: "https://a.example", layer: LayerTCP}, mirrorState{url: "https://b.example", working: true})
	checks := append([]Check{}, d.settings...)
	cache := newCheck(LayerCache, "/cache", Fail, "cannot create files")
	cache.Fix = "sudo chown"
	checks = append(checks, cache)
	v := d.verdict(checks)
	if len(v) < 3 {
		t.Fatalf("verdict = %+v", v)
	}
	// The chain error first, then the cache error, then warnings (the
	// GOSUMDB=off warning; the ',' warning is folded into the chain error).
	if v[0].Severity != SeverityError || v[0].Target != "https://a.example" {
		t.Errorf("first = %+v", v[0])
	}
	if v[1].Severity != SeverityError || v[1].Layer != LayerCache {
		t.Errorf("second = %+v", v[1])
	}
	for _, f := range v[2:] {
		if f.Severity != SeverityWarning {
			t.Errorf("after errors: %+v", f)
		}
		if f.Target == "GOPROXY" {
			t.Errorf("the ',' warning repeats the chain error: %+v", f)
		}
	}

	healthy := syntheticDiagnosis(t, "https://a.example,direct", nil, mirrorState{url: "https://a.example", working: true, ttfb: 42 * time.Millisecond})
	healthy.sumdb = nil
	var ok []Check
	for _, c := range healthy.settings {
		if c.Target != "GOSUMDB" {
			ok = append(ok, c)
		}
	}
	v = healthy.verdict(ok)
	if len(v) != 1 || v[0].Severity != SeverityOK || !strings.Contains(v[0].Message, "all good: downloads go through https://a.example (42ms") {
		t.Errorf("healthy verdict = %+v", v)
	}
}

func TestPipeChain(t *testing.T) {
	l, _ := mirrors.ParseList("https://a.example,https://b.example,direct")
	if got := pipeChain(l).String(); got != "https://a.example|https://b.example,direct" {
		t.Errorf("pipeChain = %q", got)
	}
}
