package lockcheck

import (
	"testing"
	"time"
)

func TestParseLockLine(t *testing.T) {
	id := fileID{major: 0xfe, minor: 0, ino: 9979773}
	tests := []struct {
		name string
		line string
		want procLock
		ok   bool
	}{
		{"flock holder", "1: FLOCK  ADVISORY  WRITE 5733 fe:00:9979773 0 EOF\n",
			procLock{kind: "FLOCK", access: "WRITE", pid: 5733, file: id}, true},
		{"flock waiter", "1: -> FLOCK  ADVISORY  WRITE 5790 fe:00:9979773 0 EOF",
			procLock{waiter: true, kind: "FLOCK", access: "WRITE", pid: 5790, file: id}, true},
		{"shared lock", "12: FLOCK  ADVISORY  READ 77 fe:00:9979773 0 EOF",
			procLock{kind: "FLOCK", access: "READ", pid: 77, file: id}, true},
		{"fdinfo prefix", "lock:\t1: FLOCK  ADVISORY  WRITE 5733 fe:00:9979773 0 EOF",
			procLock{kind: "FLOCK", access: "WRITE", pid: 5733, file: id}, true},
		{"ofd lock without pid", "3: OFDLCK ADVISORY  WRITE -1 08:1f:12 0 EOF",
			procLock{kind: "OFDLCK", access: "WRITE", pid: -1, file: fileID{major: 8, minor: 0x1f, ino: 12}}, true},
		{"posix range", "4: POSIX  ADVISORY  WRITE 1 00:1a:778 100 200",
			procLock{kind: "POSIX", access: "WRITE", pid: 1, file: fileID{major: 0, minor: 0x1a, ino: 778}}, true},
		{"hex inode is rejected", "1: FLOCK  ADVISORY  WRITE 5 fe:00:zz 0 EOF", procLock{}, false},
		{"short line", "1: FLOCK ADVISORY", procLock{}, false},
		{"no colon", "garbage", procLock{}, false},
		{"empty", "", procLock{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := parseLockLine(tt.line)
			if ok != tt.ok || got != tt.want {
				t.Errorf("parseLockLine(%q) = %+v, %v; want %+v, %v", tt.line, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestParseProcLocks(t *testing.T) {
	data := []byte("1: FLOCK  ADVISORY  WRITE 10 fe:00:5 0 EOF\n" +
		"1: -> FLOCK  ADVISORY  WRITE 11 fe:00:5 0 EOF\n" +
		"2: LEASE  ACTIVE    READ 12 fe:00:6 0 EOF\n" +
		"this line is not understood\n" +
		"3: FLOCK  ADVISORY  WRITE 13 fe:00:7 0 EOF") // no final newline
	got := parseProcLocks(data)
	if len(got) != 4 {
		t.Fatalf("parsed %d entries, want 4: %+v", len(got), got)
	}
	if !got[1].waiter || got[1].pid != 11 || got[0].waiter {
		t.Errorf("waiter marks wrong: %+v", got)
	}
	if got[3].pid != 13 || got[3].file.ino != 7 {
		t.Errorf("last line parsed as %+v", got[3])
	}
}

func TestParseStat(t *testing.T) {
	tail := " 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 5 0 12345 1000 200"
	tests := []struct {
		name      string
		stat      string
		comm      string
		state     byte
		ticks     uint64
		wantError bool
	}{
		{"plain", "42 (go) S 1" + tail, "go", 'S', 12345, false},
		{"spaces and parens in name", "42 (my (odd) prog) T 1" + tail, "my (odd) prog", 'T', 12345, false},
		{"zombie", "7 (x) Z 1" + tail, "x", 'Z', 12345, false},
		{"truncated", "42 (go) S 1 0 0", "", 0, 0, true},
		{"no parens", "42 go S", "", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			comm, state, ticks, err := parseStat([]byte(tt.stat))
			if (err != nil) != tt.wantError {
				t.Fatalf("err = %v, want error %v", err, tt.wantError)
			}
			if comm != tt.comm || state != tt.state || ticks != tt.ticks {
				t.Errorf("parseStat = %q %q %d; want %q %q %d", comm, state, ticks, tt.comm, tt.state, tt.ticks)
			}
		})
	}
}

func TestParseBootTime(t *testing.T) {
	got, err := parseBootTime([]byte("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"))
	if err != nil || !got.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("parseBootTime = %v, %v", got, err)
	}
	if _, err := parseBootTime([]byte("cpu 1\n")); err == nil {
		t.Error("parseBootTime without btime: no error")
	}
}

func TestStateName(t *testing.T) {
	for c, want := range map[byte]string{'R': "running", 'S': "sleeping", 'D': "disk wait", 'T': "stopped", 't': "stopped", 'Z': "zombie", 'I': "idle", 'X': "dead", '?': "unknown"} {
		if got := stateName(c); got != want {
			t.Errorf("stateName(%q) = %q, want %q", c, got, want)
		}
	}
}

func TestIsGoTool(t *testing.T) {
	tests := []struct {
		exe, argv0, comm string
		want             bool
	}{
		{"/usr/local/go/bin/go", "go", "go", true},
		{"/home/u/go/pkg/mod/golang.org/toolchain@v0.0.1-go1.23.0.linux-amd64/bin/go", "go", "go", true},
		{"/usr/local/go/pkg/tool/linux_amd64/compile", "compile", "compile", true},
		{"", "go", "go", true}, // another user's process: exe unreadable
		{"", "", "go", true},   // only the command name is known
		{"/usr/bin/gofast", "gofast", "gofast", false},
		{"/usr/bin/bash", "bash", "bash", false},
		{"/tmp/lockcheck.test", "/tmp/lockcheck.test", "lockcheck.test", false},
		{"", "", "gopls", false},
	}
	for _, tt := range tests {
		if got := isGoTool(tt.exe, tt.argv0, tt.comm); got != tt.want {
			t.Errorf("isGoTool(%q, %q, %q) = %v, want %v", tt.exe, tt.argv0, tt.comm, got, tt.want)
		}
	}
}

func TestParseFDInfo(t *testing.T) {
	locked := "pos:\t0\nflags:\t0100002\nmnt_id:\t27\nino:\t9979773\nlock:\t1: FLOCK  ADVISORY  WRITE 5733 fe:00:9979773 0 EOF\n"
	if ino, l := parseFDInfo([]byte(locked)); ino != 9979773 || !l {
		t.Errorf("locked fdinfo: ino %d locked %v", ino, l)
	}
	open := "pos:\t0\nflags:\t0100002\nmnt_id:\t27\nino:\t42\n"
	if ino, l := parseFDInfo([]byte(open)); ino != 42 || l {
		t.Errorf("open fdinfo: ino %d locked %v", ino, l)
	}
}
