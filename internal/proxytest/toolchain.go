package proxytest

import (
	"runtime"

	"github.com/gofastdev/gofast/internal/toolchain"
)

// FakeToolchain returns a golang.org/toolchain module for goVersion (such
// as "1.999.0") on this machine's GOOS and GOARCH (the test binary's, which
// the go that built it shares, so the platform that go downloads), shaped
// as the go command's own test toolchains are (cmd/go/testdata/mod): its bin/go is a
// shell script that prints ToolchainLine(goVersion, args) and exits 0, so
// a test sees at once that go downloaded the toolchain, verified it and
// handed over to it. Build the module into a Tree whose Lookup serves the
// checksum database: go looks every toolchain up there, go.sum or not.
func FakeToolchain(goVersion string) Module {
	script := "#!/bin/sh\necho \"" + toolchainPrefix(goVersion) + "$*\"\n"
	return Module{
		Path:    toolchain.Module,
		Version: toolchain.ModuleVersion("go"+goVersion, runtime.GOOS, runtime.GOARCH),
		GoMod:   "module " + toolchain.Module + "\n",
		Files: map[string]string{
			"bin/go":    script,
			"bin/gofmt": "#!/bin/sh\necho fake gofmt\n",
			// go sets the execute bits below pkg/tool and lib before
			// running the toolchain, and fails if they are missing.
			"pkg/tool/fake":            "",
			"lib/wasm/go_js_wasm_exec": "#!/bin/sh\n",
			"README":                   "A fake toolchain for tests; it only prints who it is.\n",
		},
	}
}

// ToolchainLine is what the bin/go of FakeToolchain(goVersion) prints
// when run with args (joined by spaces), newline included.
func ToolchainLine(goVersion, args string) string {
	return toolchainPrefix(goVersion) + args + "\n"
}

func toolchainPrefix(goVersion string) string {
	return "fake go" + goVersion + " toolchain ran: "
}
