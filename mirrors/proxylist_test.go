package mirrors

import (
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/redact"
)

func TestParseList(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     string // formatted list; "" when an error is expected
		err      string
	}{
		{name: "default shape", in: "https://a.example,direct", want: "https://a.example,direct"},
		{name: "pipe fallback", in: "https://a.example|https://b.example,direct", want: "https://a.example|https://b.example,direct"},
		{name: "scheme implied", in: "a.example/goproxy,direct", want: "https://a.example/goproxy,direct"},
		{name: "host with port implied", in: "localhost:3000", want: "https://localhost:3000"},
		{name: "whitespace trimmed", in: "  https://a.example , direct ", want: "https://a.example,direct"},
		{name: "empty entries skipped", in: ",,https://a.example,,|direct", want: "https://a.example,direct"},
		{name: "off ends walk", in: "off,https://a.example", want: "off"},
		{name: "direct ends walk", in: "direct,https://a.example", want: "direct"},
		{name: "file url", in: "file:///srv/proxy,off", want: "file:///srv/proxy,off"},
		{name: "http kept", in: "http://10.0.0.1:8080", want: "http://10.0.0.1:8080"},
		{name: "only separators", in: ",", err: ErrNoEntries.Error()},
		{name: "only space", in: "  ", err: ErrNoEntries.Error()},
		{name: "empty", in: "", err: "GOPROXY is empty"},
		{name: "bad scheme", in: "ftp://a.example", err: "must be https, http, file"},
		{name: "bare word", in: "mirror", err: "missing scheme"},
		{name: "file with host", in: "file://host/srv", err: "non-path elements"},
		{name: "credentials redacted in error", in: "ftp://u:secret@a.example", err: "ftp://u:xxxxx@a.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, err := ParseList(tc.in)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("ParseList(%q) error = %v, want containing %q", tc.in, err, tc.err)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Fatalf("error leaks a password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseList(%q): %v", tc.in, err)
			}
			if got := l.String(); got != tc.want {
				t.Fatalf("ParseList(%q) = %q, want %q", tc.in, got, tc.want)
			}
			again, err := ParseList(l.String())
			if err != nil || again.String() != l.String() {
				t.Fatalf("round trip of %q: %q, %v", l.String(), again.String(), err)
			}
		})
	}
}

func TestParseListFallbackFlags(t *testing.T) {
	l, err := ParseList("https://a.example|https://b.example,https://c.example|direct")
	if err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, true, false}
	for i, e := range l {
		if e.FallbackOnError != want[i] {
			t.Errorf("entry %d (%s): FallbackOnError = %v, want %v", i, e.URL, e.FallbackOnError, want[i])
		}
	}
	if tail, ok := l.Tail(); !ok || tail.Kind != Direct {
		t.Errorf("Tail = %v, %v; want direct", tail, ok)
	}
	if n := len(l.Proxies()); n != 3 {
		t.Errorf("Proxies: %d entries, want 3", n)
	}
	if !errors.Is(func() error { _, err := ParseList(","); return err }(), ErrNoEntries) {
		t.Error("\",\" should be ErrNoEntries")
	}
}

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"", ",", "off", "direct,x", "a|b,direct", "https://u:p@h/x", "file:///tmp", " a.example | b.example "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseList(s)
		if err != nil {
			// Errors reach the user's terminal and CI logs: no password
			// may be left in them.
			if msg := err.Error(); redact.String(msg) != msg {
				t.Fatalf("ParseList(%q) error %q is not redacted", s, msg)
			}
			return
		}
		for _, e := range l {
			u, err := url.Parse(e.URL)
			if err != nil || u.User == nil {
				continue
			}
			p, ok := u.User.Password()
			if !ok || p == "" || p == "xxxxx" {
				continue
			}
			// Compare the userinfo of the redacted form, not the whole
			// string: a password such as "0" may also spell a host or port.
			r, err := url.Parse(e.Redacted())
			if err != nil {
				t.Fatalf("Redacted() of %q does not parse: %q: %v", e.URL, e.Redacted(), err)
			}
			if r.User == nil {
				continue
			}
			if rp, _ := r.User.Password(); rp == p {
				t.Fatalf("Redacted() of %q keeps the password: %q", e.URL, e.Redacted())
			}
		}
		again, err := ParseList(l.String())
		if err != nil {
			t.Fatalf("formatted list %q of %q does not parse: %v", l.String(), s, err)
		}
		if again.String() != l.String() {
			t.Fatalf("round trip changed %q to %q", l.String(), again.String())
		}
	})
}
