package prefetch

import (
	"errors"
	"testing"
)

func TestReportFailures(t *testing.T) {
	rejected := errors.New("a.test@v1.0.0 .info from http://liar: answer larger than 1048576 bytes")
	failed := errors.New("b.test@v1.0.0 .zip from http://down: 503 Service Unavailable")
	rep := &Report{Modules: []*ModuleReport{
		// Wrong bytes from one mirror, the right ones from the next.
		{Path: "a.test", Status: Fetched, Rejected: []string{rejected.Error()}, errs: []error{rejected}},
		// A mirror lied, the next one was down.
		{Path: "b.test", Status: Failed, Rejected: []string{rejected.Error()}, errs: []error{rejected, failed}},
	}}
	got := rep.Failures()
	want := errors.Join(rejected, failed)
	if got == nil || got.Error() != want.Error() {
		t.Errorf("Failures() = %v, want %v", got, want)
	}
	if !errors.Is(got, failed) || !errors.Is(got, rejected) {
		t.Errorf("Failures() lost the errors' identity: %v", got)
	}
	if (&Report{Modules: rep.Modules[:1]}).Failures() != nil {
		t.Error("a module fetched after a rejection counts as a failure")
	}
}
