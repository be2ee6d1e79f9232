package doctor

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

func TestGoproxySettings(t *testing.T) {
	tests := []struct {
		name, goproxy string
		env           goenv.Environ
		status        Status
		detail, fix   string
	}{
		{name: "pipe chain", goproxy: "https://a.example|https://b.example,direct", status: Pass},
		{name: "one mirror then direct", goproxy: "https://a.example,direct", status: Pass},
		{name: "comma between mirrors", goproxy: "https://a.example,https://b.example,direct", status: Warn,
			detail: "go tries https://b.example only when https://a.example answers 404 or 410",
			fix:    "go env -w GOPROXY='https://a.example|https://b.example,direct'"},
		{name: "comma set in environment", goproxy: "a.example,b.example", env: goenv.Environ{"GOPROXY=a.example,b.example"},
			status: Warn, fix: "export GOPROXY='https://a.example|https://b.example'"},
		{name: "direct alone", goproxy: "direct", status: Warn, detail: "version control host"},
		{name: "off alone", goproxy: "off", status: Warn, detail: "downloads nothing"},
		{name: "bad scheme", goproxy: "ftp://a.example", status: Fail, detail: "invalid proxy URL scheme", fix: "go env -u GOPROXY"},
		{name: "no entries", goproxy: " , ", status: Fail, detail: "contains no entries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &goenv.Settings{GOPROXY: tt.goproxy}
			chain, err := mirrors.ParseList(tt.goproxy)
			c := goproxySettings(s, tt.env, chain, err)
			if c.Status != tt.status || !strings.Contains(c.Detail, tt.detail) || tt.fix != "" && c.Fix != tt.fix {
				t.Errorf("got %s %q fix %q; want %s containing %q fix %q", c.Status, c.Detail, c.Fix, tt.status, tt.detail, tt.fix)
			}
			if c.OK != (tt.status == Pass) {
				t.Errorf("OK = %v for status %s", c.OK, c.Status)
			}
		})
	}
}

func TestCheckPatternList(t *testing.T) {
	tests := []struct {
		value  string
		reason string // "" for no problem
		fixed  string
		// intended is a module path the author meant to match: the original
		// must not match it when a problem is reported, the fix must.
		intended string
	}{
		{value: "github.com/org,gitlab.corp.example", fixed: "github.com/org,gitlab.corp.example", intended: "gitlab.corp.example/x"},
		{value: "github.com/org, gitlab.corp.example", reason: "spaces", fixed: "github.com/org,gitlab.corp.example", intended: "gitlab.corp.example/x"},
		{value: "https://github.com/org", reason: "URL scheme", fixed: "github.com/org", intended: "github.com/org/repo"},
		{value: "github.com/org/", fixed: "github.com/org/", intended: "github.com/org/repo"},
		{value: "github.com/org//", reason: "more than one '/'", fixed: "github.com/org", intended: "github.com/org/repo"},
		{value: "a.example,,b.example", fixed: "a.example,b.example", intended: "b.example/m"},
		{value: "git.corp.example:8443/team", reason: "character no module path has", fixed: "", intended: "git.corp.example/team/x"},
		{value: "github.com/[org", reason: "not a valid pattern", fixed: ""},
		{value: "*", reason: "matches every module", fixed: ""},
		{value: "*.corp.example", fixed: "*.corp.example", intended: "git.corp.example/x"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			problems, fixed := checkPatternList(tt.value)
			switch {
			case tt.reason == "" && len(problems) > 0:
				t.Fatalf("problems %+v for a good list", problems)
			case tt.reason != "" && (len(problems) != 1 || !strings.Contains(problems[0].reason, tt.reason)):
				t.Fatalf("problems %+v, want one about %q", problems, tt.reason)
			}
			if fixed != tt.fixed {
				t.Errorf("fixed = %q, want %q", fixed, tt.fixed)
			}
			if tt.intended == "" {
				return
			}
			// The report agrees with go's own matching.
			if got := module.MatchPrefixPatterns(tt.value, tt.intended); got == (tt.reason != "") {
				t.Errorf("MatchPrefixPatterns(%q, %q) = %v, but problem reported = %v", tt.value, tt.intended, got, tt.reason != "")
			}
			if fixed != "" && !module.MatchPrefixPatterns(fixed, tt.intended) {
				t.Errorf("fixed list %q does not match %q", fixed, tt.intended)
			}
		})
	}
}

func TestPatternSettings(t *testing.T) {
	s := &goenv.Settings{GOPRIVATE: "https://git.corp.example/team", GONOPROXY: "https://git.corp.example/team", GONOSUMDB: "https://git.corp.example/team"}
	checks := patternSettings(s, nil)
	if len(checks) != 1 {
		t.Fatalf("GONOPROXY and GONOSUMDB equal to GOPRIVATE were checked again: %+v", checks)
	}
	c := checks[0]
	if c.Target != "GOPRIVATE" || c.Status != Warn || c.Fix != "go env -w GOPRIVATE='git.corp.example/team'" {
		t.Errorf("got %+v", c)
	}

	s = &goenv.Settings{GONOSUMDB: "*", GOINSECURE: "git.corp.example"}
	checks = patternSettings(s, goenv.Environ{"GONOSUMDB=*"})
	var sawSum, sawInsecure bool
	for _, c := range checks {
		switch c.Target {
		case "GONOSUMDB":
			sawSum = c.Status == Warn && strings.Contains(c.Detail, "no module is verified") && c.Fix == "unset GONOSUMDB"
		case "GOINSECURE":
			sawInsecure = c.Status == Warn && strings.Contains(c.Detail, "plain HTTP")
		}
	}
	if !sawSum || !sawInsecure {
		t.Errorf("checks = %+v", checks)
	}
}

func TestSumDBSettingsOffIsAWarning(t *testing.T) {
	c := sumdbSettings(&goenv.Settings{GOSUMDB: "off"}, goenv.Environ{"GOSUMDB=off"}, nil, nil)
	if c.Status != Warn || c.OK || c.Fix != "unset GOSUMDB" || !strings.Contains(c.Detail, "not checked") {
		t.Errorf("got %+v", c)
	}
	if c := sumdbSettings(&goenv.Settings{GOSUMDB: "off"}, nil, nil, nil); c.Fix != "go env -u GOSUMDB" {
		t.Errorf("fix for a go env -w setting = %q", c.Fix)
	}
}

func TestGoflagsSettings(t *testing.T) {
	tests := []struct {
		goflags string
		status  Status
		detail  string
		fix     string
	}{
		{goflags: "", status: ""},
		{goflags: "-buildvcs=false -modcacherw", status: Pass},
		{goflags: "-mod=vendor -buildvcs=false", status: Warn, detail: "inconsistent vendoring", fix: "go env -w GOFLAGS='-buildvcs=false'"},
		{goflags: "-insecure", status: Warn, detail: "no longer supported", fix: "go env -u GOFLAGS"},
		{goflags: "mod=mod", status: Fail, detail: "not a flag"},
	}
	for _, tt := range tests {
		checks := goflagsSettings(&goenv.Settings{GOFLAGS: tt.goflags}, nil)
		if tt.status == "" {
			if len(checks) != 0 {
				t.Errorf("%q: %+v", tt.goflags, checks)
			}
			continue
		}
		if len(checks) != 1 || checks[0].Status != tt.status || !strings.Contains(checks[0].Detail, tt.detail) || tt.fix != "" && checks[0].Fix != tt.fix {
			t.Errorf("%q: got %+v", tt.goflags, checks)
		}
	}
}

func TestModeSettings(t *testing.T) {
	if c := modeSettings(&goenv.Settings{GO111MODULE: "off"}, nil); len(c) != 1 || c[0].Status != Warn || c[0].Fix != "go env -u GO111MODULE" {
		t.Errorf("off: %+v", c)
	}
	if c := modeSettings(&goenv.Settings{GO111MODULE: "on"}, nil); len(c) != 0 {
		t.Errorf("on: %+v", c)
	}
	if c := modeSettings(&goenv.Settings{GO111MODULE: "yes"}, nil); len(c) != 1 || c[0].Status != Fail {
		t.Errorf("yes: %+v", c)
	}
}

func TestProxyEnvSettings(t *testing.T) {
	targets := func(urls ...string) []*target {
		var set targetSet
		for _, u := range urls {
			set.addURL(u, "test")
		}
		return set.list
	}
	ts := targets("https://a.example", "https://b.internal.example", "http://c.example")

	pc := newProxyConfig(goenv.Environ{"HTTPS_PROXY=http://u:pw@proxy.example:3128", "NO_PROXY=.internal.example"})
	checks := proxyEnvSettings(pc, ts)
	if len(checks) != 1 || checks[0].Target != "HTTPS_PROXY" || checks[0].Status != Pass {
		t.Fatalf("checks = %+v", checks)
	}
	d := checks[0].Detail
	if !strings.Contains(d, "HTTPS_PROXY=http://u:xxxxx@proxy.example:3128 carries https://a.example") ||
		!strings.Contains(d, "reached directly (NO_PROXY or scheme): https://b.internal.example, http://c.example") || strings.Contains(d, "pw") {
		t.Errorf("detail = %q", d)
	}

	pc = newProxyConfig(goenv.Environ{"http_proxy=proxy.example:3128"})
	checks = proxyEnvSettings(pc, ts)
	var warned bool
	for _, c := range checks {
		if c.Status == Warn && strings.Contains(c.Detail, "http_proxy is set but HTTPS_PROXY is not") {
			warned = c.Fix == `export HTTPS_PROXY="$http_proxy"`
		}
	}
	if !warned {
		t.Errorf("HTTP_PROXY only: %+v", checks)
	}

	if checks := proxyEnvSettings(newProxyConfig(nil), ts); len(checks) != 1 || checks[0].Status != Pass {
		t.Errorf("no proxy: %+v", checks)
	}
}

func TestAuthSettings(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".netrc")
	text := "machine goproxy.corp.example login u password p\nmachine git.corp.example\nlogin x password machine\nmachine nologin.example\ndefault\nmachine after.default login a password b\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	n := readNetrc(path)
	if want := []string{"goproxy.corp.example", "git.corp.example"}; strings.Join(n.machines, ",") != strings.Join(want, ",") {
		t.Fatalf("machines = %v, want %v", n.machines, want)
	}
	c := authSettings("", n, []string{"goproxy.corp.example", "public.example"}, nil)
	if c.Status != Pass || !strings.Contains(c.Detail, "2 machines, including mirror goproxy.corp.example") || strings.Contains(c.Detail, "password") {
		t.Errorf("got %+v", c)
	}
	if c := authSettings("off", n, nil, nil); !strings.Contains(c.Detail, "no credentials") {
		t.Errorf("off: %+v", c)
	}
	// go trims the spaces around each method, so netrc after a git dir
	// is read.
	if c := authSettings("git /src; netrc", n, []string{"goproxy.corp.example"}, nil); !strings.Contains(c.Detail, "including mirror goproxy.corp.example") {
		t.Errorf("git dir; netrc: %+v", c)
	}
	auth, _ := goauth.Load("off; netrc", nil)
	if c := authSettings("off; netrc", n, nil, auth.Refused()); c.Status != Fail || !strings.Contains(c.Detail, "cannot be combined") {
		t.Errorf("a GOAUTH go refuses: %+v", c)
	}
}
