package main

import (
	"math"
	"testing"
	"time"
)

const (
	ms = time.Millisecond
	s  = time.Second
)

func TestMedianMinMax(t *testing.T) {
	tests := []struct {
		name        string
		in          []time.Duration
		med, lo, hi time.Duration
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []time.Duration{5 * s}, 5 * s, 5 * s, 5 * s},
		{"odd unsorted", []time.Duration{9 * s, 1 * s, 4 * s}, 4 * s, 1 * s, 9 * s},
		{"even takes the mean of the middle two", []time.Duration{1 * s, 2 * s, 4 * s, 10 * s}, 3 * s, 1 * s, 10 * s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			med, lo, hi := medianMinMax(tt.in)
			if med != tt.med || lo != tt.lo || hi != tt.hi {
				t.Errorf("medianMinMax(%v) = %v, %v, %v; want %v, %v, %v", tt.in, med, lo, hi, tt.med, tt.lo, tt.hi)
			}
		})
	}
	in := []time.Duration{3, 1, 2}
	medianMinMax(in)
	if in[0] != 3 {
		t.Errorf("medianMinMax sorted its argument in place: %v", in)
	}
}

func TestMedianInt64(t *testing.T) {
	tests := []struct {
		in   []int64
		want int64
	}{
		{nil, 0},
		{[]int64{7}, 7},
		{[]int64{30, 10, 20}, 20},
		{[]int64{40, 10}, 10}, // the lower middle: a size some run had
	}
	for _, tt := range tests {
		if got := medianInt64(tt.in); got != tt.want {
			t.Errorf("medianInt64(%v) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestSummarize(t *testing.T) {
	ok := func(d time.Duration) Run { return Run{Wall: d} }
	tests := []struct {
		name string
		runs []Run
		want Summary
	}{
		{"all ok", []Run{ok(3 * s), ok(1 * s), ok(2 * s)}, Summary{N: 3, OK: 3, Median: 2 * s, Min: 1 * s, Max: 3 * s}},
		{"a timeout is not a time", []Run{ok(2 * s), {Wall: 60 * s, Exit: -1, TimedOut: true, Fail: "stalled (killed at 60 s)"}},
			Summary{N: 2, OK: 1, Median: 2 * s, Min: 2 * s, Max: 2 * s, TimedOut: 1}},
		{"first failure reason kept", []Run{{Wall: s, Exit: 1, Fail: "exit 1: boom"}, {Wall: s, Fail: "fetched different files"}},
			Summary{N: 2, Fail: "exit 1: boom"}},
		{"a fast wrong answer does not count", []Run{{Wall: 10 * ms, Fail: "go mod verify: exit 1"}, ok(5 * s)},
			Summary{N: 2, OK: 1, Median: 5 * s, Min: 5 * s, Max: 5 * s, Fail: "go mod verify: exit 1"}},
		{"non-zero exit without reason", []Run{{Wall: s, Exit: 3}}, Summary{N: 1, Fail: "exit 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summarize(tt.runs); got != tt.want {
				t.Errorf("summarize = %+v\nwant        %+v", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0 s"},
		{850 * time.Microsecond, "850 µs"},
		{4210 * time.Microsecond, "4.21 ms"},
		{41200 * ms, "41.2 s"},
		{312 * s, "312 s"},
		{1500 * ms, "1.50 s"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.in); got != tt.want {
			t.Errorf("formatDuration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatRange(t *testing.T) {
	tests := []struct {
		in   Summary
		want string
	}{
		{Summary{N: 1, OK: 1, Median: 41200 * ms, Min: 41200 * ms, Max: 41200 * ms}, "41.2 s"},
		{Summary{N: 3, OK: 3, Median: 41200 * ms, Min: 40100 * ms, Max: 43 * s}, "41.2 s [40.1–43.0 s]"},
		// The range is printed in the median's unit so the three read together.
		{Summary{N: 3, OK: 3, Median: 900 * ms, Min: 850 * ms, Max: 1200 * ms}, "900 ms [850–1200 ms]"},
	}
	for _, tt := range tests {
		if got := formatRange(tt.in); got != tt.want {
			t.Errorf("formatRange(%+v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestFormatRatio(t *testing.T) {
	tests := []struct {
		in   float64
		want string
	}{
		{3.42, "3.4×"},
		{0.934, "0.93×"},
		{1, "1.0×"},
		{250, "250×"},
		{0, "—"},
		{math.NaN(), "—"},
		{math.Inf(1), "—"},
	}
	for _, tt := range tests {
		if got := formatRatio(tt.in); got != tt.want {
			t.Errorf("formatRatio(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSpeedup(t *testing.T) {
	okSum := func(d time.Duration) Summary { return Summary{N: 2, OK: 2, Median: d, Min: d, Max: d} }
	tests := []struct {
		name   string
		goSide Summary
		fast   Summary
		bound  time.Duration
		want   string
	}{
		{"both ok", okSum(40 * s), okSum(10 * s), 0, "4.0×"},
		{"gofast slower", okSum(3 * ms), okSum(4 * ms), 0, "0.75×"},
		{"go killed at the bound gives a lower bound", Summary{N: 2, TimedOut: 2}, okSum(5 * s), 60 * s, "> 12.0×"},
		{"go failed", Summary{N: 2, OK: 1, Fail: "exit 1"}, okSum(5 * s), 60 * s, "—"},
		{"gofast failed", okSum(5 * s), Summary{N: 2, OK: 1, Fail: "fetched different files"}, 0, "—"},
		{"gofast timed out", okSum(5 * s), Summary{N: 2, TimedOut: 2}, 60 * s, "—"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := speedup(tt.goSide, tt.fast, tt.bound); got != tt.want {
				t.Errorf("speedup = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatBytes(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{512, "512 B"},
		{2048, "2.00 KiB"},
		{272 << 20, "272 MiB"},
		{3 << 30, "3.00 GiB"},
	}
	for _, tt := range tests {
		if got := formatBytes(tt.in); got != tt.want {
			t.Errorf("formatBytes(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLastLine(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"", 10, ""},
		{"go: downloading x\nserver response: injected error\n\n", 80, "server response: injected error"},
		{"abcdefghij", 5, "abcd…"},
	}
	for _, tt := range tests {
		if got := lastLine(tt.in, tt.max); got != tt.want {
			t.Errorf("lastLine(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}
