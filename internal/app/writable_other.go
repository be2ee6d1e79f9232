//go:build !unix

package app

// canWrite does not check elsewhere: the module cache reports its own
// errors when a file cannot be created.
func canWrite(dir string) error { return nil }
