package main

import (
	"slices"
	"strings"
	"testing"
)

func TestToolchainCommands(t *testing.T) {
	tree := &Corpus{Name: "toolchain-go1.27.3", Want: fileSet{"golang.org/toolchain/@v/v0.0.1-go1.27.3.linux-amd64.zip": 76_000_000}}
	cmds := toolchainCommands(tree, "go1.27.3", 2_000_000)
	if len(cmds) != 2 {
		t.Fatalf("%d commands, want the normal and the capped variant", len(cmds))
	}
	for _, c := range cmds {
		if c.GoLine != "1.27.3" || c.Toolchain != "auto" || c.Output != "go1.27.3" || !c.InModule || c.Corpus != tree || !slices.Equal(c.Args, []string{"version"}) {
			t.Errorf("command %+v", c)
		}
	}
	if cmds[0].ConnBandwidth != 0 || cmds[1].ConnBandwidth != 2_000_000 || cmds[0].Name == cmds[1].Name {
		t.Errorf("variants: %q %d, %q %d", cmds[0].Name, cmds[0].ConnBandwidth, cmds[1].Name, cmds[1].ConnBandwidth)
	}
	if n := strings.Join(cmds[1].Notes, "; "); !strings.Contains(n, "38.0 s") {
		t.Errorf("capped notes do not give one stream's least time: %s", n)
	}
	if got := toolchainCommands(tree, "go1.27.3", 0); len(got) != 1 {
		t.Errorf("no cap: %d commands", len(got))
	}
	if s := (Link{RTT: 100e6, Bandwidth: 25_000_000, ConnBandwidth: 2_000_000}).String(); s != "100 ms, 200 Mbit/s, 16.0 Mbit/s per connection" {
		t.Errorf("Link.String = %q", s)
	}
}

func TestInstallCommand(t *testing.T) {
	c, err := installCommand("github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0", nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Bin != "golangci-lint" || c.Name != "install -n golangci-lint" || !slices.Equal(c.Args, []string{"install", "-n", "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0"}) || c.InModule {
		t.Errorf("command %+v", c)
	}
	if _, err := installCommand("example.com/cmd/x", nil); err == nil {
		t.Error("no version: no error")
	}
}
