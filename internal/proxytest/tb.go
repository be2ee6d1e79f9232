package proxytest

// TB is what New and the netrc helpers need of a test: *testing.T,
// *testing.B and *testing.F satisfy it. Taking it rather than testing.TB
// keeps the testing package out of non-test binaries that serve a
// Server, such as bench.
type TB interface {
	Helper()
	Fatal(args ...any)
	Cleanup(func())
	TempDir() string
}
