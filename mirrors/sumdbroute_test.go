package mirrors

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"testing"
)

// TestSumDBProxy walks GOPROXY lists over a.test, b.test and c.test with
// each mirror's answer to /sumdb/<name>/supported. prefetch's
// TestSumDBBaseMatchesGo checks the same rules against the real go.
func TestSumDBProxy(t *testing.T) {
	errFail := errors.New("500 Internal Server Error")
	answer := map[string]error{"200": nil, "404": fs.ErrNotExist, "500": errFail}
	for _, c := range []struct {
		goproxy, answers, want string
	}{
		{"a.test", "200", "https://a.test"},
		{"a.test", "404", "direct"},
		{"a.test", "500", "error"},
		{"a.test,b.test", "404 200", "https://b.test"},
		{"a.test,b.test", "500 200", "error"},
		{"a.test|b.test", "500 200", "https://b.test"},
		{"a.test|b.test", "500 404", "error"},
		{"a.test|b.test,direct", "500 404", "direct"},
		{"a.test|b.test,off", "500 404", "error"},
		{"a.test,off", "404", "direct"},
		{"a.test|direct", "500", "direct"},
		{"off", "", "direct"},
		{"direct", "", "direct"},
		{"a.test|b.test|c.test", "500 404 500", "error"},
		{"a.test,b.test|c.test,direct", "404 500 404", "direct"},
	} {
		l, err := ParseList(c.goproxy)
		if err != nil {
			t.Fatal(err)
		}
		answers := strings.Fields(c.answers)
		var asked []string
		e, err := SumDBProxy(l, func(e Entry) error {
			asked = append(asked, e.URL)
			return answer[answers[len(asked)-1]]
		})
		got := "direct"
		switch {
		case e != nil:
			got = e.URL
		case err != nil:
			got = "error"
			if !errors.Is(err, errFail) {
				t.Errorf("%s %s: error %v, want the mirror's failure", c.goproxy, c.answers, err)
			}
		}
		if got != c.want {
			t.Errorf("GOPROXY=%s answers %s: %s, want %s", c.goproxy, c.answers, got, c.want)
		}
		if want := fmt.Sprint(len(answers)); fmt.Sprint(len(asked)) != want && got != "error" {
			t.Errorf("GOPROXY=%s answers %s: asked %v", c.goproxy, c.answers, asked)
		}
	}
}
