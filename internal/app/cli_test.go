package app

import (
	"slices"
	"testing"

	"github.com/gofastdev/gofast/wrap"
)

// TestOwnCommandsAgree: a command added to the CLI but not to wrap's list
// would silently go to go, and one in wrap's list but not in the CLI would
// be a usage error; the two lists must be the same.
func TestOwnCommandsAgree(t *testing.T) {
	var names []string
	for _, c := range (&session{}).cliApp().Commands {
		names = append(names, c.Name)
	}
	own := wrap.OwnCommands()
	slices.Sort(names)
	slices.Sort(own)
	if !slices.Equal(names, own) {
		t.Errorf("CLI commands %v, wrap.OwnCommands %v", names, own)
	}
}
