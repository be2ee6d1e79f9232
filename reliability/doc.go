// Package reliability is gofast's end-to-end reliability suite: the real
// gofast binary, run as a process with an isolated environment and the
// real go tool behind it, against in-process mirrors that stall, reset,
// lie, redirect, trickle or serve archives no mirror should send; killed
// at random points; raced against itself and against go on one cache; and
// fed malformed input. Each test checks that gofast finishes within its
// deadline, explains every failure in one line, and leaves a module cache
// that `go mod verify` accepts, with no temporary files and no wrong bytes.
//
// The TestProxy* tests (proxy_test.go) hold the commands that fetch
// beyond go.sum (go get, go mod tidy with new imports, go install and go
// run of pkg@version, toolchain switches) to the loopback proxy's promise:
// behind a stalled, flaky, resetting or lying mirror they finish in about
// the healthy time, with go's exit code, output, stdin and signals;
// TestProxyToolchainInRanges (toolchain_test.go) switches to a toolchain
// whose zip comes from a mirror that limits each connection and resets
// one, which go alone does not survive.
//
// The tests live in the package's _test files and run on Linux. In the
// default (CI) mode the suite takes a few minutes; -long (or
// GOFAST_LONG=1) runs about a hundred crash trials instead of eight.
package reliability
