package mirrors

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goenv"
)

func TestCandidates(t *testing.T) {
	for _, tc := range []struct {
		name      string
		goproxy   string
		env       []string
		want      string // Candidates(...).String()
		mode      Mode
		tail      string // the tail entry every chain ends with; "" none
		tailPipe  bool
		err       string
		gopriv    string
		gonoproxy string
	}{
		{
			name: "GOFAST_MIRRORS replaces and may be reordered", goproxy: "https://corp.test,direct",
			env:  []string{"GOFAST_MIRRORS=https://a.test, b.test/goproxy ,https://a.test/"},
			want: "https://a.test,https://b.test/goproxy", mode: ModeExplicit, tail: "direct",
		},
		{
			name: "GOFAST_MIRRORS ending in off sets the tail", goproxy: testDefaultGOPROXY,
			env:  []string{"GOFAST_MIRRORS=https://a.test,https://b.test|off"},
			want: "https://a.test,https://b.test", mode: ModeExplicit, tail: "off", tailPipe: true,
		},
		{
			name: "GOFAST_MIRRORS empty is unset", goproxy: "https://corp.test", env: []string{"GOFAST_MIRRORS= "},
			want: "https://corp.test", mode: ModeUser,
		},
		{
			name: "GOFAST_MIRRORS malformed", goproxy: testDefaultGOPROXY, env: []string{"GOFAST_MIRRORS=ftp://u:secret@a.test"},
			err: "GOFAST_MIRRORS: invalid proxy URL scheme",
		},
		{
			name: "GOFAST_MIRRORS with no entries", goproxy: testDefaultGOPROXY, env: []string{"GOFAST_MIRRORS=,|,"},
			err: "GOFAST_MIRRORS: GOPROXY list is not the empty string",
		},
		{
			name: "default GOPROXY races go's default and well-known mirrors", goproxy: testDefaultGOPROXY,
			want: "https://default.proxy.test,https://goproxy.cn,https://goproxy.io,https://mirrors.aliyun.com/goproxy/",
			mode: ModeDefault, tail: "direct",
		},
		{
			name: "user GOPROXY with gatekeeper first keeps order", goproxy: "https://gate.corp.test,https://a.test|https://b.test,direct",
			want: "https://gate.corp.test,https://a.test,https://b.test", mode: ModeUser, tail: "direct",
		},
		{
			name: "user GOPROXY pipe before tail", goproxy: "https://a.test|direct",
			want: "https://a.test", mode: ModeUser, tail: "direct", tailPipe: true,
		},
		{
			name: "user GOPROXY with file bundle", goproxy: "file:///srv/bundle|https://a.test,off",
			want: "file:///srv/bundle,https://a.test", mode: ModeUser, tail: "off",
		},
		{
			name: "GOPROXY=direct names nothing", goproxy: "direct", want: "", mode: ModeUser, tail: "direct",
		},
		{
			name: "private patterns do not change candidates", goproxy: "https://gate.corp.test,direct",
			gopriv: "*.corp.test,golang.org/x", gonoproxy: "example.com",
			want: "https://gate.corp.test", mode: ModeUser, tail: "direct",
		},
		{
			name: "bad GOPROXY", goproxy: "mirror", err: "missing scheme",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := testSettings(t, tc.goproxy, "sum.test")
			s.GOPRIVATE, s.GONOPROXY = tc.gopriv, tc.gonoproxy
			opts := Options{Settings: s, Env: goenv.Environ(tc.env)}
			got, err := Candidates(opts)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Candidates error = %v, want containing %q", err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error leaks a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want {
				t.Errorf("Candidates = %q, want %q", got.String(), tc.want)
			}
			p, _ := makePlan(opts)
			if p.mode != tc.mode {
				t.Errorf("mode = %v, want %v", p.mode, tc.mode)
			}
			if tail := map[bool]string{true: p.tail.URL}[p.hasTail]; tail != tc.tail || (p.hasTail && p.tailFallback != tc.tailPipe) {
				t.Errorf("tail = %q (pipe %v), want %q (pipe %v)", tail, p.tailFallback, tc.tail, tc.tailPipe)
			}
		})
	}
}

// TestCandidatesRealToolchainDefault checks the default list against the
// toolchain in use: its own default proxy comes first, read from go.env.
func TestCandidatesRealToolchainDefault(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	out, err := exec.Command(goTool, "env", "GOROOT").Output()
	if err != nil {
		t.Fatal(err)
	}
	s := &goenv.Settings{GOROOT: strings.TrimSpace(string(out))}
	def, err := s.DefaultGOPROXY()
	if err != nil {
		t.Skipf("toolchain has no go.env default: %v", err)
	}
	s.GOPROXY = def
	got, err := Candidates(Options{Settings: s})
	if err != nil {
		t.Fatal(err)
	}
	defList, _ := ParseList(def)
	if len(got) < 2 || got[0].URL != defList.Proxies()[0].URL {
		t.Fatalf("Candidates = %q, want the toolchain's default %q first", got.String(), def)
	}
}

func TestProbeModuleAvoidsPrivatePaths(t *testing.T) {
	for _, tc := range []struct {
		name               string
		gopriv, gonoproxy  string
		explicit           module.Version
		want               string
		private, wantError bool
	}{
		{name: "default", want: DefaultProbeModule.String()},
		{name: "GOPRIVATE covers default", gopriv: "golang.org/x", want: fallbackProbeModules[0].String()},
		{name: "GONOPROXY covers default and first fallback", gonoproxy: "golang.org,github.com/google", want: fallbackProbeModules[1].String()},
		{name: "everything private", gopriv: "*", wantError: true, private: true},
		{name: "explicit public", explicit: testProbe, gopriv: "golang.org", want: testProbe.String()},
		{name: "explicit private is never sent", explicit: testProbe, gonoproxy: "example.com", wantError: true, private: true},
		{name: "explicit malformed", explicit: module.Version{Path: "example.com/x", Version: "latest"}, wantError: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := Options{Settings: &goenv.Settings{GOPRIVATE: tc.gopriv, GONOPROXY: tc.gonoproxy}, ProbeModule: tc.explicit}
			got, err := o.probeModule()
			if tc.wantError {
				if err == nil || errors.Is(err, errPrivateProbe) != tc.private {
					t.Fatalf("probeModule = %v, %v; want error (private %v)", got, err, tc.private)
				}
				return
			}
			if err != nil || got.String() != tc.want {
				t.Fatalf("probeModule = %v, %v; want %s", got, err, tc.want)
			}
		})
	}
}

func TestParseTTL(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		err  bool
	}{
		{"", DefaultTTL, false},
		{"15", 15 * time.Minute, false},
		{"0", 0, false},
		{"90s", 90 * time.Second, false},
		{" 1h ", time.Hour, false},
		{"-5", 0, true},
		{"-1m", 0, true},
		{"soon", 0, true},
	} {
		got, err := ParseTTL(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ParseTTL(%q) = %v, %v; want %v (error %v)", tc.in, got, err, tc.want, tc.err)
		}
	}
}
