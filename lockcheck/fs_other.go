//go:build !linux && !darwin

package lockcheck

// checkFilesystem does not recognise network file systems on this platform.
func checkFilesystem(string) (Problem, bool) { return Problem{}, false }
