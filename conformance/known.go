package main

// knownDifferences lists scripts that pass with go alone and fail through
// gofast for an accepted reason, with that reason. The only acceptable
// reason is output that names the loopback proxy's address (go prints the
// GOPROXY it was given, and gofast gives it the loopback). Every other
// difference is a bug to fix, never an entry here.
var knownDifferences = map[string]string{}
