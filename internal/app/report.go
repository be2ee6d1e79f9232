package app

import (
	"encoding/json"
	"fmt"
	"io"
)

// report writes a command's report to stdout: indented JSON with --json,
// else its text form.
func (s *session) report(asJSON bool, v any, text func(io.Writer) error) error {
	var err error
	if asJSON {
		err = writeJSON(s.opts.Stdout, v)
	} else {
		err = text(s.opts.Stdout)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// writeJSON writes v as indented JSON, the form of every --json output.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
