package wrap

import "fmt"

// ExitError carries the exit code of a go process that gofast ran as a
// child (on Windows, where the process cannot be replaced).
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("go exited with status %d", e.Code) }
