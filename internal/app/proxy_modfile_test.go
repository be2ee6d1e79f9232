package app

import "testing"

// TestModfileFlag: the go.sum go reads follows a -modfile given on the
// command line, in each of the flag's spellings, the last one winning;
// program and test-binary arguments are not go's flags.
func TestModfileFlag(t *testing.T) {
	for _, c := range []struct {
		args      []string
		firstOnly bool
		want      string
	}{
		{[]string{"-modfile=alt.mod", "example.com/a@v1.0.0"}, false, "alt.mod"},
		{[]string{"--modfile", "x/alt.mod"}, false, "x/alt.mod"},
		{[]string{"-tags", "t", "-modfile=a.mod", "-modfile=b.mod"}, false, "b.mod"},
		{[]string{"-x", "./cmd"}, false, ""},
		{[]string{".", "-modfile=prog.mod"}, true, ""},
		{[]string{"./pkg", "-args", "-modfile=t.mod"}, false, ""},
	} {
		if got := modfileFlag(c.args, c.firstOnly); got != c.want {
			t.Errorf("modfileFlag(%q, %v) = %q, want %q", c.args, c.firstOnly, got, c.want)
		}
	}
}
