package environ

import "testing"

func TestEnviron(t *testing.T) {
	e := Environ{"A=1", "B=2", "A=3", "EMPTY="}
	if got := e.Get("A"); got != "3" {
		t.Errorf("Get(A) = %q, want the last definition 3", got)
	}
	if v, ok := e.Lookup("EMPTY"); !ok || v != "" {
		t.Errorf("Lookup(EMPTY) = %q, %v", v, ok)
	}
	if _, ok := e.Lookup("MISSING"); ok {
		t.Error("Lookup(MISSING) found something")
	}
	w := e.With("A", "9")
	if w.Get("A") != "9" || len(w) != 3 {
		t.Errorf("With: %v", w)
	}
	if e.Get("A") != "3" {
		t.Error("With modified the original")
	}
	if _, ok := e.Without("B").Lookup("B"); ok {
		t.Error("Without kept B")
	}
}
