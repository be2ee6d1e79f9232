package lockcheck

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	h := Holder{PID: 123, Command: "/usr/local/go/bin/go mod download", State: stateSleeping,
		Age: 4*time.Minute + 12*time.Second, Lock: "/c/cache/download/x/@v/v1.0.0.lock", GoTool: true}
	return &Report{
		Root:         "/c",
		HoldersKnown: true,
		Locks: []Lock{
			{Path: "/c/cache/download/x/@v/v1.0.0.lock", Module: "x", Version: "v1.0.0", Held: true,
				Holders: []Holder{h}, Waiters: []Holder{{PID: 124, Command: "go build", State: stateSleeping, Age: time.Second}}},
			{Path: "/c/cache/lock", Holders: []Holder{}, Waiters: []Holder{}},
		},
		Problems: []Problem{
			{Kind: TempFile, Path: "/c/t.tmp", Detail: "left", Fix: "gofast lockcheck --fix"},
			{Kind: Partial, Path: "/c/x@v1.0.0", Detail: "interrupted", Fix: "gofast lockcheck --fix", Fixed: true},
		},
	}
}

func TestReportJSON(t *testing.T) {
	data, err := json.Marshal(sampleReport())
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Locks []struct {
			Path    *string `json:"path"`
			Held    *bool   `json:"held"`
			Removed *bool   `json:"removed"`
			Holders []struct {
				PID     *int     `json:"pid"`
				Command *string  `json:"command"`
				State   *string  `json:"state"`
				AgeS    *float64 `json:"age_s"`
				Advice  *string  `json:"advice"`
			} `json:"holders"`
			Waiters []map[string]any `json:"waiters"`
		} `json:"locks"`
		Problems []struct {
			Kind, Path, Detail, Fix *string
			Fixed                   *bool
		} `json:"problems"`
	}
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Locks) != 2 || len(got.Problems) != 2 {
		t.Fatalf("json: %s", data)
	}
	l := got.Locks[0]
	if l.Path == nil || l.Held == nil || !*l.Held || l.Removed == nil || len(l.Holders) != 1 || len(l.Waiters) != 1 {
		t.Fatalf("lock fields missing: %s", data)
	}
	h := l.Holders[0]
	if h.PID == nil || *h.PID != 123 || h.Command == nil || h.State == nil || h.AgeS == nil || *h.AgeS != 252 || h.Advice == nil {
		t.Errorf("holder fields: %s", data)
	}
	for _, p := range got.Problems {
		if p.Kind == nil || p.Path == nil || p.Detail == nil || p.Fix == nil || p.Fixed == nil {
			t.Errorf("problem fields missing: %s", data)
		}
	}
	if !strings.Contains(string(data), `"holders":[]`) || !strings.Contains(string(data), `"waiters":[]`) {
		t.Errorf("empty lists are not [] in %s", data)
	}
}

func TestSummary(t *testing.T) {
	r := sampleReport()
	if got, want := r.Summary(), "2 lock files, 1 held by go (pid 123, 4m12s), 2 problems (1 fixed)"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
	r.HoldersKnown = false
	if got := r.Summary(); !strings.Contains(got, "1 held (holders cannot be named on this platform)") {
		t.Errorf("Summary without holders = %q", got)
	}
	empty := &Report{Locks: []Lock{{Path: "/c/cache/lock"}}}
	if got, want := empty.Summary(), "1 lock file, none held, no problems"; got != want {
		t.Errorf("Summary = %q, want %q", got, want)
	}
}

func TestWriteText(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "held: /c/cache/download/x/@v/v1.0.0.lock by pid 123 /usr/local/go/bin/go mod download (sleeping, running 4m12s); waiting: pid 124 (go build)\n" +
		"leftover-temp: /c/t.tmp: left; fix: gofast lockcheck --fix\n" +
		"fixed partial-extraction: /c/x@v1.0.0: interrupted\n" +
		"2 lock files, 1 held by go (pid 123, 4m12s), 2 problems (1 fixed)\n"
	if b.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s", b.String(), want)
	}
}

func TestAdvice(t *testing.T) {
	base := Holder{PID: 9, Command: "go build ./...", Age: 7*time.Minute + 3*time.Second, Lock: "/c/x.lock", GoTool: true}
	tests := []struct {
		name  string
		mod   func(*Holder)
		wants []string
	}{
		{"sleeping go", func(h *Holder) { h.State = stateSleeping },
			[]string{"pid 9 (go build ./...) has held /c/x.lock for up to 7m3s (sleeping)", "`kill 9`", "`gofast lockcheck --kill-hung 7m`"}},
		{"stopped", func(h *Holder) { h.State = stateStopped },
			[]string{"is stopped", "`kill -CONT 9`", "`kill 9; kill -CONT 9`"}},
		{"disk wait", func(h *Holder) { h.State = stateDiskWait },
			[]string{"disk wait", "cannot be ended"}},
		{"not a go tool", func(h *Holder) { h.State = stateRunning; h.GoTool = false },
			[]string{"`kill 9`"}},
		{"invisible", func(h *Holder) { h.PID = 0 },
			[]string{"cannot see"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := base
			tt.mod(&h)
			adv := h.Advice()
			for _, w := range tt.wants {
				if !strings.Contains(adv, w) {
					t.Errorf("Advice = %q, missing %q", adv, w)
				}
			}
			if !h.GoTool && strings.Contains(adv, "--kill-hung") {
				t.Errorf("Advice suggests --kill-hung, which only signals go tools: %q", adv)
			}
		})
	}
}

func TestKillHungArg(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1s", 500 * time.Millisecond: "1s", 42 * time.Second: "42s", 4*time.Minute + 12*time.Second: "4m",
		time.Hour + 30*time.Second: "1h", 90 * time.Minute: "90m",
	} {
		if got := killHungArg(d); got != want {
			t.Errorf("killHungArg(%v) = %q, want %q", d, got, want)
		}
		// The suggested limit must cover the holder it was suggested for.
		if p, err := time.ParseDuration(killHungArg(d)); err != nil || d >= time.Second && p > d {
			t.Errorf("killHungArg(%v) = %v does not cover it (%v)", d, p, err)
		}
	}
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{
		"/a/b@v1.0.0.lock": "/a/b@v1.0.0.lock",
		"/a/!b/c":          "'/a/!b/c'",
		"/a b":             "'/a b'",
		"it's":             `'it'\''s'`,
		"":                 "''",
	} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
