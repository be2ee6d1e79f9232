package toolchain

import "testing"

// The cases are cmd/go/internal/gover's own tests (gover_test.go and
// toolchain_test.go), so that Compare keeps go's ordering exactly.

func TestCompare(t *testing.T) {
	for _, tc := range []struct {
		x, y string
		want int
	}{
		{"", "", 0},
		{"x", "x", 0},
		{"", "x", 0},
		{"1", "1.1", -1},
		{"1.5", "1.6", -1},
		{"1.5", "1.10", -1},
		{"1.6", "1.6.1", -1},
		{"1.19", "1.19.0", 0},
		{"1.19rc1", "1.19", -1},
		{"1.20", "1.20.0", 0},
		{"1.20rc1", "1.20", -1},
		{"1.21", "1.21.0", -1},
		{"1.21", "1.21rc1", -1},
		{"1.21rc1", "1.21.0", -1},
		{"1.6", "1.19", -1},
		{"1.19", "1.19.1", -1},
		{"1.19rc1", "1.19", -1},
		{"1.19rc1", "1.19.1", -1},
		{"1.19rc1", "1.19rc2", -1},
		{"1.19.0", "1.19.1", -1},
		{"1.19rc1", "1.19.0", -1},
		{"1.19alpha3", "1.19beta2", -1},
		{"1.19beta2", "1.19rc1", -1},
		{"1.1", "1.99999999999999998", -1},
		{"1.99999999999999998", "1.99999999999999999", -1},
		// Not in gover's table: where go/version would differ.
		{"1.27.0-x", "1.0", -1},
		{"1.27.0-x", "", 0},
	} {
		if got := Compare(tc.x, tc.y); got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.x, tc.y, got, tc.want)
		}
		if got := Compare(tc.y, tc.x); got != -tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.y, tc.x, got, -tc.want)
		}
	}
}

func TestIsLang(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"1.2rc3", false},
		{"1.2.3", false},
		{"1.999testmod", false},
		{"1.22", true},
		{"1.21", true},
		{"1.20", false}, // == 1.20.0
		{"1.19", false}, // == 1.20.0
		{"1.3", false},  // == 1.3.0
		{"1.2", false},  // == 1.2.0
		{"1", false},    // == 1.0.0
	} {
		if got := isLang(tc.in); got != tc.want {
			t.Errorf("isLang(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestIsValid(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want bool
	}{
		{"1.2rc3", true},
		{"1.2.3", true},
		{"1.999testmod", true},
		{"1.600+auto", false},
		{"1.22", true},
		{"1.21.0", true},
		{"1.21rc2", true},
		{"1.21", true},
		{"1.20.0", true},
		{"1.20", true},
		{"1.19", true},
		{"1.3", true},
		{"1.2", true},
		{"1", true},
		// Not in gover's table.
		{"1.21.3rc1", false},
		{"01.2", false},
		{"1.02", false},
		{"1.2RC1", false},
		{"", false},
	} {
		if got := isValid(tc.in); got != tc.want {
			t.Errorf("isValid(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

func TestFromToolchain(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"go1.2.3", "1.2.3"},
		{"1.2.3", ""},
		{"go1.2.3+bigcorp", ""},
		{"go1.2.3-bigcorp", "1.2.3"},
		{"go1.2.3-bigcorp more text", "1.2.3"},
		{"gccgo-go1.23rc4", ""},
		{"gccgo-go1.23rc4-bigdwarf", ""},
		// Not in gover's table.
		{"go1.27.0/../bash", ""},
		{`go1.27.0\x`, ""},
		{"go1.27", "1.27"},
		{"local", ""},
	} {
		if got := FromToolchain(tc.in); got != tc.want {
			t.Errorf("FromToolchain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
