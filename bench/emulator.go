package main

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/gofastdev/gofast/internal/proxytest"
)

// Link is the emulated network between the tools and a mirror.
type Link struct {
	// RTT is the round-trip time: proxytest adds one before every response
	// and one more for each new connection (the TCP handshake).
	RTT time.Duration
	// HandshakeRTTs are further round trips on each new connection's first
	// request, standing in for the TLS handshake of a real https mirror
	// (one for TLS 1.3). proxytest has no such knob, so the harness adds
	// it through proxytest's per-request Fault hook.
	HandshakeRTTs int
	// Bandwidth is in bytes per second, shared by all connections to one
	// mirror.
	Bandwidth int64
	// ConnBandwidth, when above zero, also caps each connection at that
	// many bytes per second (proxy rows only; see connCapNote).
	ConnBandwidth int64
}

// String names the link for progress lines: "100 ms, 200 Mbit/s".
func (l Link) String() string {
	if l.ConnBandwidth > 0 {
		return fmt.Sprintf("%s, %s, %s per connection", formatRTT(l.RTT), formatBandwidth(l.Bandwidth), formatBandwidth(l.ConnBandwidth))
	}
	return fmt.Sprintf("%s, %s", formatRTT(l.RTT), formatBandwidth(l.Bandwidth))
}

// formatRTT prints a round-trip time as the table shows it: "100 ms".
func formatRTT(d time.Duration) string {
	if d%time.Millisecond == 0 {
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	}
	return formatDuration(d)
}

// formatBandwidth prints bytes per second as a link speed: "200 Mbit/s".
func formatBandwidth(bps int64) string {
	if bps <= 0 {
		return "unlimited"
	}
	return sig3(float64(bps)*8/1e6) + " Mbit/s"
}

// mirrorKind is how an emulated mirror behaves.
type mirrorKind int

const (
	// goodMirror serves the tree over the link.
	goodMirror mirrorKind = iota
	// stalledMirror accepts connections and reads requests but never
	// answers.
	stalledMirror
	// flakyMirror answers a fraction of requests with 500.
	flakyMirror
)

// mirrorSpec is one mirror of a run's mirror set.
type mirrorSpec struct {
	Kind mirrorKind
	// ErrorRate and Seed apply to flakyMirror.
	ErrorRate float64
	Seed      int64
	// Sums, when set, makes a mirror that answers also serve a checksum
	// database (sumDBName) from these hashes, and list the versions of
	// each module it holds, as the proxy-path rows need.
	Sums *sumIndex
}

// sumDBName is the checksum database the emulated mirrors serve; go gets
// its key, with no URL, so it asks each GOPROXY entry for
// /sumdb/<name>/supported first, as with the default database.
const sumDBName = "sum.bench.test"

// mirrorSet is the running mirrors of one run, started fresh for every run
// so that connections, counters and the error sequence start from zero.
type mirrorSet struct {
	servers []*proxytest.Server
	// urls, when set, are the addresses the tools use instead of the
	// servers' own (another emulator in front of them).
	urls []string
	// closers undo what was put in front of the servers, in reverse
	// order, before the servers stop.
	closers []func()
	// files counts the tree bytes every mirror served, by file.
	files *servedBytes
}

// startMirrors serves tree (a GOPROXY directory) once per spec over link.
func startMirrors(tree string, link Link, specs []mirrorSpec) (*mirrorSet, error) {
	ms := &mirrorSet{files: newServedBytes()}
	for _, sp := range specs {
		opts := proxytest.Options{
			FS:            os.DirFS(tree),
			Latency:       link.RTT,
			Bandwidth:     link.Bandwidth,
			ConnBandwidth: link.ConnBandwidth,
		}
		if d := time.Duration(link.HandshakeRTTs) * link.RTT; d > 0 {
			opts.Fault = newHandshake(d).delay
		}
		switch sp.Kind {
		case stalledMirror:
			opts.Stall = true
		case flakyMirror:
			opts.ErrorRate, opts.Seed = sp.ErrorRate, sp.Seed
		}
		if sp.Sums != nil && sp.Kind != stalledMirror {
			if sp.Sums.standIns != nil {
				opts.FS = sp.Sums.standIns.serve(opts.FS)
			}
			opts.FS = listingFS{opts.FS}
			opts.SumDB, opts.Lookup, opts.SumDBRecords = sumDBName, sp.Sums.lookup, sp.Sums.records()
		}
		opts.FS = countingFS{opts.FS, ms.files}
		s, err := proxytest.Start(opts)
		if err != nil {
			ms.Close()
			return nil, fmt.Errorf("starting emulated mirror: %w", err)
		}
		ms.servers = append(ms.servers, s)
	}
	return ms, nil
}

// URLs returns the mirrors' base URLs in order.
func (ms *mirrorSet) URLs() []string {
	if ms.urls != nil {
		return ms.urls
	}
	var urls []string
	for _, s := range ms.servers {
		urls = append(urls, s.URL)
	}
	return urls
}

// GOPROXY joins the URLs with sep: "," (fall through on 404/410 only) or
// "|" (fall through on any error).
func (ms *mirrorSet) GOPROXY(sep string) string { return strings.Join(ms.URLs(), sep) }

// GOSUMDB is the key of the checksum database the mirrors serve (every
// mirror that serves one makes its own key; the first is used), or "".
func (ms *mirrorSet) GOSUMDB() string {
	for _, s := range ms.servers {
		if s.GOSUMDB != "" {
			return s.GOSUMDB
		}
	}
	return ""
}

// Mirrors is the GOFAST_MIRRORS value: every URL, comma separated.
func (ms *mirrorSet) Mirrors() string { return strings.Join(ms.URLs(), ",") }

// Served returns the body bytes and requests served so far by all mirrors.
func (ms *mirrorSet) Served() (bytes int64, requests int) {
	for _, s := range ms.servers {
		bytes += s.BytesSent()
		requests += len(s.Requests())
	}
	return bytes, requests
}

// Close stops every mirror, releasing stalled requests.
func (ms *mirrorSet) Close() {
	for i := len(ms.closers) - 1; i >= 0; i-- {
		ms.closers[i]()
	}
	ms.closers = nil
	for _, s := range ms.servers {
		s.Close()
	}
}

// handshake delays the first request of every connection once more, by
// remote address: a new client port is a new connection.
type handshake struct {
	d    time.Duration
	mu   sync.Mutex
	seen map[string]bool
}

func newHandshake(d time.Duration) *handshake {
	return &handshake{d: d, seen: map[string]bool{}}
}

// delay is a proxytest Fault hook that injects no fault, only the wait.
func (h *handshake) delay(r *http.Request) proxytest.Fault {
	h.mu.Lock()
	first := !h.seen[r.RemoteAddr]
	h.seen[r.RemoteAddr] = true
	h.mu.Unlock()
	if first {
		t := time.NewTimer(h.d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
		}
	}
	return proxytest.Fault{Kind: proxytest.None}
}
