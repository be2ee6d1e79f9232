package main

import (
	"testing"
	"time"
)

func TestNetworkFloor(t *testing.T) {
	tests := []struct {
		name      string
		bytes     int64
		bandwidth int64
		rtt       time.Duration
		handshake int
		want      time.Duration
	}{
		{"prometheus at 200 Mbit/s and 100 ms over TLS", 272_000_000, 25_000_000, 100 * ms, 1, 10880*ms + 300*ms},
		{"plain TCP", 272_000_000, 25_000_000, 100 * ms, 0, 10880*ms + 200*ms},
		{"no latency", 25_000_000, 25_000_000, 0, 1, 1 * s},
		{"unlimited link leaves the round trips", 1 << 30, 0, 300 * ms, 1, 900 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := networkFloor(tt.bytes, tt.bandwidth, tt.rtt, floorRTTs(tt.handshake)); got != tt.want {
				t.Errorf("networkFloor = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFloorLimit(t *testing.T) {
	tests := []struct {
		f    Floor
		want time.Duration
	}{
		{Floor{Network: 11 * s, Extraction: 9 * s}, 11 * s},
		{Floor{Network: 2 * s, Extraction: 5 * s}, 5 * s},
		{Floor{}, 0},
	}
	for _, tt := range tests {
		if got := tt.f.Limit(); got != tt.want {
			t.Errorf("%+v.Limit() = %v, want %v", tt.f, got, tt.want)
		}
	}
	if got, want := (Floor{Network: 1640 * ms, Extraction: 4890 * ms}).String(), "floor: link 1.64 s, extraction 4.89 s"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	f := Floor{Network: 2 * s, Err: "go mod download: exit 1"}
	if f.Limit() != 2*s || f.String() != "floor: link 2.00 s, extraction not measured (go mod download: exit 1)" {
		t.Errorf("unmeasured extraction: Limit %v, String %q", f.Limit(), f.String())
	}
}
