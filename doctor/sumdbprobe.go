package doctor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/tlog"
)

// judgeInfo checks that a 200 answer is the probe module's .info file.
func judgeInfo(a answer, mod module.Version) (Status, string) {
	if isHTML(a) {
		return Fail, "answered HTML, not a module proxy (captive portal or login page?)" + redirectNote(a)
	}
	var info struct {
		Version string
		Time    time.Time
	}
	if err := json.Unmarshal(a.body, &info); err != nil {
		return Fail, fmt.Sprintf("answered something that is not a .info file: %s", quoteStart(a.body))
	}
	if info.Version != mod.Version {
		return Fail, fmt.Sprintf("answered version %q for %s@%s", info.Version, mod.Path, mod.Version)
	}
	return Pass, fmt.Sprintf("%s@%s: .info names %s", mod.Path, mod.Version, info.Version)
}

// redirectNote names where a redirected request ended, for portal pages.
func redirectNote(a answer) string {
	if first := firstRequest(a.resp.Request); first.URL.Host != a.resp.Request.URL.Host {
		return "; redirected to " + a.resp.Request.URL.Redacted()
	}
	return ""
}

// quoteStart quotes the start of an unexpected answer for a message.
func quoteStart(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 60 {
		s = s[:60] + "…"
	}
	return strconv.Quote(s)
}

// sumdbSupported asks a mirror whether it serves the checksum database,
// the question go asks before it looks anything up through a mirror.
func (p *prober) sumdbSupported(ctx context.Context, t *target, client *http.Client) {
	if p.sumdb == nil || p.sumdb.Explicit {
		return
	}
	a := p.get(ctx, client, t.url.String()+"/sumdb/"+p.sumdb.Name+"/supported", p.b.sumdb)
	c := newCheck(LayerSumDB, "", Pass, "")
	c.Elapsed = a.total
	switch {
	case a.resp == nil:
		c.Detail, c.timeout = describeErr(a.err, p.b.sumdb)
		c.Detail = "/sumdb/" + p.sumdb.Name + "/supported: " + c.Detail + ": go treats the checksum database as unavailable"
		t.sumdb = sumdbError
	case a.resp.StatusCode == http.StatusOK && isHTML(a):
		c.Detail = "/sumdb/" + p.sumdb.Name + "/supported answered 200 with HTML: go would take that as support and then fail to verify"
		t.sumdb = sumdbError
	case a.resp.StatusCode == http.StatusOK:
		c.Detail = "serves the checksum database " + p.sumdb.Name
		t.sumdb = sumdbServed
	case a.resp.StatusCode == http.StatusNotFound || a.resp.StatusCode == http.StatusGone:
		c.Detail = fmt.Sprintf("does not serve the checksum database %s (%d): go asks the next GOPROXY entry, then the database itself", p.sumdb.Name, a.resp.StatusCode)
		t.sumdb = sumdbNotServed
	default:
		c.Detail = fmt.Sprintf("/sumdb/%s/supported answered %s: go treats the checksum database as unavailable", p.sumdb.Name, a.resp.Status)
		t.sumdb = sumdbError
	}
	if t.sumdb == sumdbError {
		c.Status, c.OK = Fail, false
	}
	t.add(c)
}

// sumdbDirect checks the checksum database reached directly: its /latest
// must be the signed tree head of the database GOSUMDB names.
func (p *prober) sumdbDirect(ctx context.Context, t *target, client *http.Client, route string) {
	a := p.get(ctx, client, t.url.String()+"/latest", p.b.http)
	hc := p.httpCheck(a, route, p.b.http)
	t.add(hc)
	if hc.Status == Fail {
		return
	}
	c := newCheck(LayerSumDB, "", Pass, "")
	c.Elapsed = a.total - a.ttfb
	tree, treeErr := parseTreeNote(a.body, p.sumdb.Name)
	switch {
	case a.err != nil:
		c.Detail, c.timeout = describeErr(a.err, p.b.http)
		c.Detail = "reading the answer: " + c.Detail
	case a.resp.StatusCode != http.StatusOK:
		c.Detail = fmt.Sprintf("/latest answered %s, not 200", a.resp.Status)
	case isHTML(a):
		c.Detail = "answered HTML, not a checksum database (captive portal or login page?)" + redirectNote(a)
	case treeErr != nil:
		c.Detail = fmt.Sprintf("/latest is not a signed tree head of %s (%v): %s", p.sumdb.Name, treeErr, quoteStart(a.body))
	default:
		c.Detail = fmt.Sprintf("signed tree head of %s, %d records", p.sumdb.Name, tree.N)
		t.add(c)
		t.working = true
		return
	}
	c.Status, c.OK = Fail, false
	t.add(c)
}

// parseTreeNote parses a checksum database's /latest answer: a note whose
// text is a tlog tree head and which carries a signature by name. The
// signature itself is not verified: the key is go's business, and a wrong
// one is not a network fault.
func parseTreeNote(body []byte, name string) (tlog.Tree, error) {
	text, sigs, ok := strings.Cut(string(body), "\n\n")
	if !ok {
		return tlog.Tree{}, errors.New("no signature")
	}
	tree, err := tlog.ParseTree([]byte(text + "\n"))
	if err != nil {
		return tlog.Tree{}, err
	}
	if !strings.Contains("\n"+sigs, "\n— "+name+" ") {
		return tlog.Tree{}, fmt.Errorf("not signed by %s", name)
	}
	return tree, nil
}
