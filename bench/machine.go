package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where the figures were measured.
type Machine struct {
	OS, Arch  string
	CPUs      int
	CPUModel  string
	Memory    int64 // bytes, 0 when unknown
	Kernel    string
	GoVersion string
	// Gofast is the checkout's commit, with "+dirty" for local changes.
	Gofast string
	// Load is the load average when the run started ("" when unknown): a
	// busy machine makes every figure noisier.
	Load string
}

// Short is the machine in a few words for the report's first paragraph.
func (m Machine) Short() string {
	mem := "unknown memory"
	if m.Memory > 0 {
		mem = formatBytes(m.Memory) + " RAM"
	}
	return fmt.Sprintf("%d CPUs, %s, %s/%s, %s, gofast %s", m.CPUs, mem, m.OS, m.Arch, m.GoVersion, m.Gofast)
}

// Lines lists every detail, one per line.
func (m Machine) Lines() []string {
	lines := []string{fmt.Sprintf("CPUs: %d (nproc)", m.CPUs)}
	if m.CPUModel != "" {
		lines = append(lines, "CPU: "+m.CPUModel)
	}
	if m.Memory > 0 {
		lines = append(lines, "memory: "+formatBytes(m.Memory))
	}
	lines = append(lines,
		fmt.Sprintf("OS: %s/%s, kernel %s", m.OS, m.Arch, m.Kernel),
		"go: "+m.GoVersion,
		"gofast: "+m.Gofast)
	if m.Load != "" {
		lines = append(lines, "load average at the start: "+m.Load)
	}
	return lines
}

// describeMachine gathers the machine's details. Nothing here fails: an
// unknown detail is left empty or "unknown".
func describeMachine(ctx context.Context, goTool, repo string) Machine {
	m := Machine{OS: runtime.GOOS, Arch: runtime.GOARCH, CPUs: runtime.NumCPU(), Kernel: "unknown", GoVersion: "unknown", Gofast: "unknown"}
	m.CPUModel = procField("/proc/cpuinfo", "model name")
	if kb := procField("/proc/meminfo", "MemTotal"); kb != "" {
		if n, err := strconv.ParseInt(strings.TrimSuffix(kb, " kB"), 10, 64); err == nil {
			m.Memory = n * 1024
		}
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	} else if out, err := exec.CommandContext(ctx, "uname", "-r").Output(); err == nil {
		m.Kernel = strings.TrimSpace(string(out))
	}
	if out, err := exec.CommandContext(ctx, goTool, "version").Output(); err == nil {
		m.GoVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "go version ")
	}
	if out, err := exec.CommandContext(ctx, "git", "-C", repo, "rev-parse", "--short", "HEAD").Output(); err == nil {
		m.Gofast = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "-C", repo, "status", "--porcelain").Output(); err == nil && len(st) > 0 {
			m.Gofast += "+dirty"
		}
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "".
func procField(file, key string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
