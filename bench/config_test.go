package main

import (
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func noEnv(string) string { return "" }

func TestParseConfigDefaults(t *testing.T) {
	c, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Corpora, []string{"prometheus", "cli"}) {
		t.Errorf("Corpora = %v", c.Corpora)
	}
	if want := []time.Duration{1 * ms, 50 * ms, 100 * ms, 300 * ms}; !reflect.DeepEqual(c.RTTs, want) {
		t.Errorf("RTTs = %v, want %v", c.RTTs, want)
	}
	if c.roundsAt(100*ms) != 3 || c.roundsAt(300*ms) != 2 {
		t.Errorf("roundsAt = %d, %d; want 3, 2", c.roundsAt(100*ms), c.roundsAt(300*ms))
	}
	if c.Bandwidth != 25_000_000 || c.StallBound != 60*s || c.VersionIters != 200 {
		t.Errorf("Bandwidth, StallBound, VersionIters = %d, %v, %d", c.Bandwidth, c.StallBound, c.VersionIters)
	}
	for _, sc := range allScenarios {
		if !c.Scenarios[sc] {
			t.Errorf("scenario %s not selected by default", sc)
		}
	}
}

func TestParseConfigQuick(t *testing.T) {
	c, err := parseConfig([]string{"-quick", "-rounds", "4"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Corpora, []string{"gin"}) || !reflect.DeepEqual(c.RTTs, []time.Duration{100 * ms}) {
		t.Errorf("quick Corpora, RTTs = %v, %v", c.Corpora, c.RTTs)
	}
	if c.Rounds != 4 {
		t.Errorf("-rounds given with -quick: Rounds = %d, want 4", c.Rounds)
	}
	if c.FaultRounds != 1 || c.MemoryCorpus != "gin" || c.ExtractRounds != 1 || c.VersionIters != 200 {
		t.Errorf("quick FaultRounds, MemoryCorpus, ExtractRounds, VersionIters = %d, %s, %d, %d",
			c.FaultRounds, c.MemoryCorpus, c.ExtractRounds, c.VersionIters)
	}
}

func TestParseConfigEnvironment(t *testing.T) {
	env := map[string]string{"GOFAST_CORPUS_PROXY": "/srv/trees", "GOFAST_CORPUS": "/srv/corpus"}
	c, err := parseConfig(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.ProxyRoot != "/srv/trees" || c.CorpusDir != "/srv/corpus" {
		t.Errorf("ProxyRoot, CorpusDir = %q, %q", c.ProxyRoot, c.CorpusDir)
	}
	c, err = parseConfig([]string{"-corpus-proxy", "/flag"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || c.ProxyRoot != "/flag" {
		t.Errorf("flag does not override the environment: %q, %v", c.ProxyRoot, err)
	}
}

func TestParseConfigInnerKeepsUserArgs(t *testing.T) {
	c, err := parseConfig([]string{"-quick", "-out", "B.md", "-inner", "-gofast", "/tmp/g", "-work", "/tmp/w"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if !c.inner || c.Gofast != "/tmp/g" || c.Work != "/tmp/w" {
		t.Errorf("inner, Gofast, Work = %v, %q, %q", c.inner, c.Gofast, c.Work)
	}
	if !slices.Equal(c.args, []string{"-quick", "-out", "B.md"}) {
		t.Errorf("args = %q", c.args)
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-scenarios", "cold,warp"}, `unknown scenario "warp"`},
		{[]string{"-isolate", "docker"}, "-isolate"},
		{[]string{"-rtt", "fast"}, "-rtt"},
		{[]string{"-rounds", "0"}, "at least 1"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"-proxy-cmds", "get,bogus"}, `-proxy-cmds: unknown "bogus"`},
		{[]string{"-proxy-mirrors", "slow"}, `-proxy-mirrors: unknown "slow"`},
		{[]string{"-proxy-rounds", "0"}, "at least 1"},
	}
	for _, tt := range tests {
		_, err := parseConfig(tt.args, noEnv, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("parseConfig(%q) error = %v, want one containing %q", tt.args, err, tt.want)
		}
	}
}

func TestParseDurations(t *testing.T) {
	got, err := parseDurations("1ms, 50, 0.3s")
	if err != nil {
		t.Fatal(err)
	}
	if want := []time.Duration{1 * ms, 50 * ms, 300 * ms}; !reflect.DeepEqual(got, want) {
		t.Errorf("parseDurations = %v, want %v", got, want)
	}
}

func TestToolEnv(t *testing.T) {
	base := []string{
		"PATH=/usr/bin", "HOME=/root", "GOPROXY=https://corp.example", "GOFLAGS=-mod=vendor",
		"GONOSUMDB=*", "GOFAST_JOBS=99", "https_proxy=http://proxy:3128", "LANG=C", "GOSUMDB=off",
		"TMPDIR=/tmp", "GOTMPDIR=/var/tmp",
	}
	env := toolEnv{GoRoot: "/goroot", Proxy: "http://127.0.0.1:1", Mirrors: "http://127.0.0.1:1",
		ModCache: "/run/modcache", GoCache: "/gocache", Home: "/run/home", TmpDir: "/run/home/tmp"}.environ(base)
	got := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if _, dup := got[k]; dup {
			t.Errorf("%s set twice", k)
		}
		got[k] = v
	}
	want := map[string]string{
		"PATH": "/goroot/bin:/usr/bin", "HOME": "/run/home", "GOPROXY": "http://127.0.0.1:1",
		"GOFAST_MIRRORS": "http://127.0.0.1:1", "GOMODCACHE": "/run/modcache", "GOCACHE": "/gocache",
		"GOFLAGS": "-mod=mod", "GOENV": "off", "GOTOOLCHAIN": "local", "GOWORK": "off", "LANG": "C",
		"XDG_CACHE_HOME": "/run/home/cache", "XDG_CONFIG_HOME": "/run/home/config", "GOPATH": "/run/home/gopath",
		"NO_PROXY": "127.0.0.1,localhost", "TMPDIR": "/run/home/tmp",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, k := range []string{"GONOSUMDB", "GOFAST_JOBS", "https_proxy", "GOSUMDB", "GOTMPDIR"} {
		if _, ok := got[k]; ok {
			t.Errorf("%s leaked into the tools' environment", k)
		}
	}
}

func TestParseConfigRetryAndEmulators(t *testing.T) {
	c, err := parseConfig(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.RetryAttempts != 5 || c.RetryPause != 15*s || c.retryTotal() != 10*time.Minute || c.NoRetry {
		t.Errorf("retry defaults = %d, %v, total %v, no-retry %v; want 5, 15 s, 10 min (-timeout), false",
			c.RetryAttempts, c.RetryPause, c.retryTotal(), c.NoRetry)
	}
	if c.FreshFS != "auto" || c.EmulatorCorpus != "cli" || c.EmulatorRTT != 100*ms || c.EmulatorRounds != 3 {
		t.Errorf("FreshFS, EmulatorCorpus, EmulatorRTT, EmulatorRounds = %s, %s, %v, %d", c.FreshFS, c.EmulatorCorpus, c.EmulatorRTT, c.EmulatorRounds)
	}
	q, err := parseConfig([]string{"-quick", "-retry-total", "90s"}, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if q.EmulatorCorpus != "gin" || q.EmulatorRounds != 2 || q.retryTotal() != 90*s {
		t.Errorf("quick EmulatorCorpus, EmulatorRounds, retryTotal = %s, %d, %v; want gin, 2, 90 s", q.EmulatorCorpus, q.EmulatorRounds, q.retryTotal())
	}
	for _, args := range [][]string{{"-fresh-fs", "tmpfs"}, {"-retry-attempts", "0"}, {"-emulator-rounds", "0"}} {
		if _, err := parseConfig(args, noEnv, io.Discard); err == nil {
			t.Errorf("parseConfig(%q) succeeded", args)
		}
	}
}
