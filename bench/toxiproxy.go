package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	toxiclient "github.com/Shopify/toxiproxy/v2/client"
)

// emulatorKind is the link emulator between the tools and the mirrors.
type emulatorKind int

const (
	// inProcessEmulator is proxytest's own: a round trip before every
	// response, one per new connection plus the handshake round trips, and
	// a pacer shared by all connections (see Link).
	inProcessEmulator emulatorKind = iota
	// toxiproxyEmulator is Shopify's toxiproxy, run as a separate process
	// in front of a mirror that adds no delay: latency toxics on both
	// directions and a bandwidth cap (see toxiLink).
	toxiproxyEmulator
)

func (e emulatorKind) String() string {
	if e == toxiproxyEmulator {
		return "toxiproxy"
	}
	return "in-process"
}

// startMirrors starts cmp's mirrors behind cmp's emulator.
func (h *harness) startMirrors(ctx context.Context, cmp comparison) (*mirrorSet, error) {
	if cmp.Emulator == toxiproxyEmulator {
		if h.toxi == nil {
			return nil, errors.New("toxiproxy is not running")
		}
		return h.toxi.mirrors(ctx, cmp.Corpus.Tree(), cmp.Link, cmp.Mirrors)
	}
	return startMirrors(cmp.Corpus.Tree(), cmp.Link, cmp.Mirrors)
}

// toxiproxyServerPkg is toxiproxy's own server command, built once at the
// version of the client package the harness links (so that client and
// server speak the same API) into a directory of the user's cache.
const toxiproxyServerPkg = "github.com/Shopify/toxiproxy/v2/cmd/server"

// buildToxiproxy makes sure h.toxiproxy names a toxiproxy server binary:
// -toxiproxy's, or the one built into the user's cache (with go install,
// from the module proxy: outside the namespace, like the corpus trees).
// Building it apart keeps the server's own dependencies (metrics, logging)
// out of gofast's module, which links only toxiproxy's client.
func (h *harness) buildToxiproxy(ctx context.Context) error {
	if h.cfg.Toxiproxy != "" {
		p, err := filepath.Abs(h.cfg.Toxiproxy)
		h.toxiproxy = p
		return err
	}
	version := toxiproxyVersion()
	if version == "" {
		return errors.New("toxiproxy: the harness's build does not record toxiproxy's version; pass -toxiproxy")
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return fmt.Errorf("toxiproxy: %w", err)
	}
	dir := filepath.Join(cache, "gofast-bench-tools", "toxiproxy-"+version)
	bin := filepath.Join(dir, "server")
	if _, err := os.Stat(bin); err == nil {
		h.toxiproxy = bin
		return nil
	}
	h.logf("building toxiproxy's server %s@%s into %s", toxiproxyServerPkg, version, dir)
	var env []string
	for _, kv := range h.base {
		if k, _, _ := strings.Cut(kv, "="); k != "GOBIN" && k != "GOFLAGS" {
			env = append(env, kv)
		}
	}
	cmd := exec.CommandContext(ctx, h.goTool, "install", toxiproxyServerPkg+"@"+version)
	cmd.Env = append(env, "GOBIN="+dir)
	cmd.Dir = h.work
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("building toxiproxy's server: %w: %s", err, lastLine(string(out), 200))
	}
	h.toxiproxy = bin
	return nil
}

// toxiLink is a running toxiproxy server process and how it emulates the
// link. Every run gets proxies of its own, one per mirror, on fixed ports
// (so that the tc filter can match them), removed when the run's mirrors
// close.
//
// Latency: toxiproxy's latency toxic holds every chunk of data it relays
// until the toxic's latency has passed since the chunk was read, without
// holding up the chunks behind it, so it acts as a one-way propagation
// delay. A toxic on each direction, half the round trip each, makes every
// request–response exchange cost one round trip, as on a real link.
// Connection set-up is not delayed: the tools connect to toxiproxy on
// loopback, and toxiproxy dials the mirror on loopback.
//
// Bandwidth: inside the private network namespace, a tc htb class on the
// namespace's loopback caps the packets leaving toxiproxy's listening
// ports (the downstream data of every connection) at the link's bandwidth,
// shared by all connections as the in-process pacer is. (A root tbf would
// shape every loopback packet, the toxiproxy–mirror leg too, so each byte
// would count twice; htb with a u32 filter on the source port shapes one
// leg only.) Outside the
// namespace tc would shape the machine's own loopback, so toxiproxy's
// bandwidth toxic caps each connection's downstream instead (not shared).
type toxiLink struct {
	cmd    *exec.Cmd
	exited <-chan error // the server's exit, once
	client *toxiclient.Client
	logf   func(string, ...any)
	// ports are the proxies' listening ports, one per mirror of a run.
	ports []int
	// tc is true when bandwidth is capped by tc rather than the toxic.
	tc bool
	// Shaping says how the bandwidth was capped, for the report.
	Shaping string
	seq     int
}

// toxiProxyPorts is how many mirrors one run may put behind toxiproxy.
const toxiProxyPorts = 2

// startToxiproxy starts toxiproxy's server (buildToxiproxy) on loopback,
// logging warnings to the scratch root, waits for its API to answer and
// decides how the bandwidth is capped.
func (h *harness) startToxiproxy(ctx context.Context) (*toxiLink, error) {
	if h.toxiproxy == "" {
		return nil, errors.New("toxiproxy: no server binary (see -toxiproxy)")
	}
	ports, err := freePorts(toxiProxyPorts + 1)
	if err != nil {
		return nil, err
	}
	api := fmt.Sprintf("127.0.0.1:%d", ports[0])
	logFile, err := os.Create(filepath.Join(h.work, "toxiproxy.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	cmd := exec.Command(h.toxiproxy, "-host", "127.0.0.1", "-port", strconv.Itoa(ports[0]))
	cmd.Env = append(os.Environ(), "LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting toxiproxy: %w", err)
	}
	t := &toxiLink{cmd: cmd, client: toxiclient.NewClient(api), logf: h.logf, ports: ports[1:]}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	// Poll the API until it answers: the server prints nothing to wait for
	// at warning level.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := t.client.Proxies(); err == nil {
			break
		}
		select {
		case err := <-exited:
			return nil, fmt.Errorf("toxiproxy exited at start (%v); see %s", err, logFile.Name())
		case <-ctx.Done():
			t.exited = exited
			t.stop()
			return nil, ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.exited = exited
			t.stop()
			return nil, errors.New("toxiproxy's API did not answer within 10 s")
		}
	}
	t.exited = exited
	switch {
	case h.cfg.Bandwidth <= 0:
		t.Shaping = "no bandwidth cap (-bandwidth 0)"
	case !h.netns:
		t.Shaping = fmt.Sprintf("toxiproxy's bandwidth toxic, %s per connection (not shared: the runs are not inside the private network namespace, where tc could shape loopback without touching the machine's)", formatBandwidth(h.cfg.Bandwidth))
	default:
		if err := t.shape(h.cfg.Bandwidth); err != nil {
			h.logf("tc cannot cap loopback (%v); toxiproxy's bandwidth toxic caps each connection instead", err)
			t.Shaping = fmt.Sprintf("toxiproxy's bandwidth toxic, %s per connection (not shared: tc failed: %s)", formatBandwidth(h.cfg.Bandwidth), lastLine(err.Error(), 100))
		} else {
			t.unshape()
			t.tc = true
			t.Shaping = fmt.Sprintf("tc: an htb class of %s (burst 256 KiB) on the namespace's loopback, matching the packets that leave toxiproxy's listening ports, shared by all connections", formatBandwidth(h.cfg.Bandwidth))
		}
	}
	h.logf("toxiproxy %s serving its API on %s (separate process, pid %d); bandwidth: %s", toxiproxyVersion(), api, cmd.Process.Pid, t.Shaping)
	return t, nil
}

// toxiproxyVersion is the version of the toxiproxy module whose client the
// harness links, "" when the build does not record it.
func toxiproxyVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/Shopify/toxiproxy/v2" {
				return d.Version
			}
		}
	}
	return ""
}

// stop ends the server process (SIGTERM, then SIGKILL after 5 s) and
// waits for it.
func (t *toxiLink) stop() {
	t.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-t.exited:
	case <-time.After(5 * time.Second):
		t.cmd.Process.Kill()
		<-t.exited
	}
}

// freePorts returns n TCP ports on 127.0.0.1 that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var out []int
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	for i := 0; i < n; i++ {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

// shape installs the tc rules: an htb root on lo whose default class is
// unlimited, and a class of bps bytes per second for the packets whose
// source port is one of the proxies' listening ports.
func (t *toxiLink) shape(bps int64) error {
	bits := strconv.FormatInt(bps*8, 10) + "bit"
	cmds := [][]string{
		{"qdisc", "add", "dev", "lo", "root", "handle", "1:", "htb", "default", "10"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:1", "htb", "rate", bits, "ceil", bits,
			"burst", "256k", "cburst", "256k", "quantum", "65536"},
		{"class", "add", "dev", "lo", "parent", "1:", "classid", "1:10", "htb", "rate", "100gbit", "quantum", "65536"},
	}
	for _, p := range t.ports {
		cmds = append(cmds, []string{"filter", "add", "dev", "lo", "parent", "1:", "protocol", "ip", "prio", "1",
			"u32", "match", "ip", "sport", strconv.Itoa(p), "0xffff", "flowid", "1:1"})
	}
	for _, c := range cmds {
		if out, err := exec.Command("tc", c...).CombinedOutput(); err != nil {
			t.unshape()
			return fmt.Errorf("tc %s: %v: %s", strings.Join(c, " "), err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// unshape removes the tc rules, leaving loopback as the namespace made it.
func (t *toxiLink) unshape() {
	exec.Command("tc", "qdisc", "del", "dev", "lo", "root").Run()
}

// mirrors starts specs as mirrors that add no delay and puts a toxiproxy
// proxy in front of each, with the latency toxics and, when tc does not
// cap the bandwidth, the bandwidth toxic. The tc rules are installed for
// the run and removed when its mirrors close, so that the other rows'
// loopback traffic never passes through them.
func (t *toxiLink) mirrors(ctx context.Context, tree string, link Link, specs []mirrorSpec) (*mirrorSet, error) {
	if len(specs) > len(t.ports) {
		return nil, fmt.Errorf("toxiproxy: %d mirrors, at most %d", len(specs), len(t.ports))
	}
	ms, err := startMirrors(tree, Link{}, specs)
	if err != nil {
		return nil, err
	}
	if t.tc {
		if err := t.shape(link.Bandwidth); err != nil {
			ms.Close()
			return nil, err
		}
		ms.closers = append(ms.closers, t.unshape)
	}
	t.seq++
	half := link.RTT.Round(2*time.Millisecond) / 2
	for i, s := range ms.servers {
		name := fmt.Sprintf("run%d-mirror%d", t.seq, i)
		listen := fmt.Sprintf("127.0.0.1:%d", t.ports[i])
		p, err := t.client.CreateProxy(name, listen, strings.TrimPrefix(s.URL, "http://"))
		if err != nil {
			ms.Close()
			return nil, fmt.Errorf("toxiproxy: creating proxy %s: %w", name, err)
		}
		ms.closers = append(ms.closers, func() {
			if err := p.Delete(); err != nil {
				t.logf("toxiproxy: deleting proxy %s: %v", name, err)
			}
		})
		ms.urls = append(ms.urls, "http://"+listen)
		toxics := []struct {
			name, kind, stream string
			attrs              toxiclient.Attributes
		}{
			{"latency_up", "latency", "upstream", toxiclient.Attributes{"latency": half.Milliseconds()}},
			{"latency_down", "latency", "downstream", toxiclient.Attributes{"latency": half.Milliseconds()}},
		}
		if !t.tc && link.Bandwidth > 0 {
			toxics = append(toxics, struct {
				name, kind, stream string
				attrs              toxiclient.Attributes
			}{"bandwidth_down", "bandwidth", "downstream", toxiclient.Attributes{"rate": max(link.Bandwidth/1000, 1)}})
		}
		for _, tx := range toxics {
			if half == 0 && tx.kind == "latency" {
				continue
			}
			if _, err := p.AddToxic(tx.name, tx.kind, tx.stream, 1, tx.attrs); err != nil {
				ms.Close()
				return nil, fmt.Errorf("toxiproxy: adding the %s toxic: %w", tx.name, err)
			}
		}
	}
	return ms, nil
}

// checkLink fetches the largest file of tree once through toxiproxy over
// link and returns a sentence with the throughput it got after the first
// round trip, which shows whether the cap holds.
func (t *toxiLink) checkLink(ctx context.Context, tree string, link Link, file string, size int64) (string, error) {
	ms, err := t.mirrors(ctx, tree, link, []mirrorSpec{{Kind: goodMirror}})
	if err != nil {
		return "", err
	}
	defer ms.Close()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, ms.URLs()[0]+"/"+file, nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	start := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	wall := time.Since(start)
	if err != nil {
		return "", err
	}
	if n != size {
		return "", fmt.Errorf("fetched %d bytes of %s, want %d", n, file, size)
	}
	transfer := wall - link.RTT
	rate := "—"
	if transfer > 0 {
		rate = formatBandwidth(int64(float64(n) / transfer.Seconds()))
	}
	return fmt.Sprintf("one %s file fetched through toxiproxy in %s: %s after the first round trip (cap %s)",
		formatBytes(n), formatDuration(wall), rate, formatBandwidth(link.Bandwidth)), nil
}
