package redact

import "testing"

func TestURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"https://mirror.example/", "https://mirror.example/"},
		{"https://user:secret@mirror.example/p", "https://user:xxxxx@mirror.example/p"},
		{"https://user@mirror.example/p", "https://user@mirror.example/p"},
		{"http://u:p%zz@h/", "http://u:xxxxx@h/"}, // does not parse
	} {
		if got := URL(tc.in); got != tc.want {
			t.Errorf("URL(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestString(t *testing.T) {
	in := `Get "https://bob:hunter2@corp.example/x/@v/list": EOF; then http://a:b@c/`
	want := `Get "https://bob:xxxxx@corp.example/x/@v/list": EOF; then http://a:xxxxx@c/`
	if got := String(in); got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
	// No password, nothing to hide: the text stays as it was, so that
	// redacting twice changes nothing (found by FuzzParseList).
	for _, s := range []string{"A#A://:@", "https://bob:@h/", want} {
		if got := String(s); got != s {
			t.Errorf("String(%q) = %q, want it unchanged", s, got)
		}
	}
}
