package main

import (
	"strings"
	"testing"
	"time"
)

func TestAgreement(t *testing.T) {
	for _, tt := range []struct {
		in, tox float64
		agree   bool
	}{
		{0.20, 0.22, true},
		{0.20, 0.229, true},
		{0.20, 0.231, false},
		{0.20, 0.171, true},
		{0.20, 0.169, false},
	} {
		if _, got := agreement(tt.in, tt.tox); got != tt.agree {
			t.Errorf("agreement(%v, %v) = %v, want %v", tt.in, tt.tox, got, tt.agree)
		}
	}
}

func TestEmulatorCheckRender(t *testing.T) {
	e := &EmulatorCheck{Corpus: "gin", RTT: 100 * ms, Shaping: "tc: an htb class of 200 Mbit/s", SharedCap: true,
		LinkCheck: "one 6.69 MiB file fetched through toxiproxy in 370 ms",
		InProcess: Row{Go: okRuns(10*s, 12*s), Go64: okRuns(6*s, 6*s), Gofast: okRuns(2*s, 2*s)},
		Toxiproxy: Row{Go: okRuns(11*s, 11*s), Go64: okRuns(7*s, 7*s), Gofast: okRuns(3*s, 3*s)},
	}
	var b strings.Builder
	e.render(&b)
	out := b.String()
	for _, want := range []string{
		"## Emulator cross-check",
		"| in-process (proxytest) | 11.0 s [10.0–12.0 s] | 6.00 s [6.00–6.00 s] | 2.00 s [2.00–2.00 s] | 0.18 | 0.33 |",
		"| toxiproxy | 11.0 s [11.0–11.0 s] | 7.00 s [7.00–7.00 s] | 3.00 s [3.00–3.00 s] | 0.27 | 0.43 |",
		"- gofast/go: 0.18 in-process, 0.27 under toxiproxy (+50%): they do NOT agree within 15%\n",
		"- gofast/GOMAXPROCS=64 go: 0.33 in-process, 0.43 under toxiproxy (+29%): they do NOT agree within 15%\n",
		"- Median time under toxiproxy as a multiple of the in-process one: go 1.0×, GOMAXPROCS=64 go 1.2×, gofast 1.5×.\n",
		"- toxiproxy's bandwidth: tc: an htb class of 200 Mbit/s. Link check: one 6.69 MiB file",
		"Connection set-up:",
		"tc's htb class caps the packets",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("section lacks %q\n--- section ---\n%s", want, out)
		}
	}
	e.SharedCap = false
	b.Reset()
	e.render(&b)
	if out := b.String(); !strings.Contains(out, "caps each connection on its own") || strings.Contains(out, "tc's htb class caps") {
		t.Errorf("a per-connection cap is not explained as such:\n%s", out)
	}
	e.Toxiproxy.Gofast = []Run{{Wall: time.Second, Exit: 1, Fail: "exit 1"}}
	if l := ratioLine("go", e.InProcess, e.Toxiproxy, func(r Row) []Run { return r.Go }); !strings.Contains(l, "not compared") {
		t.Errorf("ratioLine with a failed run = %q, want \"not compared\"", l)
	}
}

func TestLargestZip(t *testing.T) {
	c := &Corpus{Want: fileSet{"a/@v/v1.0.0.zip": 10, "b/@v/v1.0.0.zip": 30, "b/@v/v1.0.0.mod": 99, "c/@v/v1.0.0.zip": 30}}
	if name, size := c.largestZip(); name != "b/@v/v1.0.0.zip" || size != 30 {
		t.Errorf("largestZip = %s, %d; want b/@v/v1.0.0.zip, 30", name, size)
	}
}
