package doctor

import (
	"net/url"
	"strings"
	"testing"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// TestSumDBRouteWalksAsGo checks the route the doctor reports for
// mirrors' answers to /sumdb/<name>/supported, walked as go walks them
// (see mirrors.SumDBProxy and prefetch's differential test against the
// real go): a failure after '|' followed only by a 404 is the error go
// keeps, not a way to the database directly.
func TestSumDBRouteWalksAsGo(t *testing.T) {
	for _, c := range []struct {
		goproxy string
		answers []sumdbSupport // of https://a.test, https://b.test
		status  Status
		detail  string
	}{
		{"https://a.test,https://b.test", []sumdbSupport{sumdbNotServed, sumdbServed}, Pass, "through https://b.test"},
		{"https://a.test|https://b.test", []sumdbSupport{sumdbError, sumdbServed}, Pass, "through https://b.test"},
		{"https://a.test,https://b.test", []sumdbSupport{sumdbError, sumdbServed}, Fail, "go asks https://a.test whether"},
		{"https://a.test|https://b.test", []sumdbSupport{sumdbError, sumdbNotServed}, Fail, "go asks https://a.test whether"},
		{"https://a.test|https://b.test,off", []sumdbSupport{sumdbError, sumdbNotServed}, Fail, "go asks https://a.test whether"},
		{"https://a.test|https://b.test,direct", []sumdbSupport{sumdbError, sumdbNotServed}, Pass, "directly at https://sum.test"},
		{"https://a.test,https://b.test", []sumdbSupport{sumdbNotServed, sumdbNotServed}, Pass, "directly at https://sum.test"},
	} {
		chain, err := mirrors.ParseList(c.goproxy)
		if err != nil {
			t.Fatal(err)
		}
		d := &diagnosis{chain: chain, sumdb: &goenv.SumDB{Name: "sum.test", URL: "https://sum.test"}}
		for i, e := range chain.Proxies() {
			u, _ := url.Parse(e.URL)
			d.mirrors = append(d.mirrors, &target{url: u, name: e.URL, inChain: true, entry: e, sumdb: c.answers[i]})
		}
		u, _ := url.Parse("https://sum.test")
		d.sumdbTarget = &target{url: u, name: "https://sum.test", isSumDB: true, working: true}
		got, _ := d.sumdbRoute()
		if got.Status != c.status || !strings.Contains(got.Detail, c.detail) {
			t.Errorf("GOPROXY=%s answers %v: %s %q, want %s containing %q", c.goproxy, c.answers, got.Status, got.Detail, c.status, c.detail)
		}
	}
}
