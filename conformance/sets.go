package main

// ciScripts is the -set ci preset: a subset of cmd/go's module scripts
// that runs in about ten minutes on two cores for both sides together, and
// covers what gofast's proxy takes part in: get, mod download, tidy and
// list -m queries (@main, @commit, @v1, @upgrade, @patch), retractions,
// deprecations, +incompatible, GOPROXY lists and off, the checksum
// database, GONOSUMDB/GOPRIVATE, GOINSECURE, workspaces and toolchain
// switches.
var ciScripts = []string{
	"mod_query",
}
