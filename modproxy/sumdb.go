package modproxy

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
	"github.com/gofastdev/gofast/prefetch"
	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/tlog"
)

// sumdbBase is where the checksum database is reached, found once per
// proxy as go's dbClient.initBase finds it: the first mirror of the chain
// that answers /sumdb/<name>/supported, walking past a not-found answer
// (and past any failure after '|'), else the database itself. Only a
// success is kept, so a mirror's passing failure is asked again.
type sumdbBase struct {
	mu   sync.Mutex
	list mirrors.List
}

// serveSumDB answers /sumdb/<name>/<rest>, tail being what follows
// /sumdb/. go asks "supported" of every GOPROXY entry before it sends a
// lookup there; the proxy says yes for the database GOSUMDB names (whose
// name may hold a path: host/path) and relays lookups, tiles and latest
// through the chain with gofast's deadlines and retries. go checks every
// signed answer with its own key, so nothing relayed is trusted that go
// would not trust.
//
// Only what go's checksum-database client asks for is relayed, rebuilt
// from its parsed parts (parseSumDBPath); any other path is 404, as a
// proxy that does not serve it answers, and never reaches a mirror.
func (h *Handler) serveSumDB(w http.ResponseWriter, r *http.Request, tail string) {
	db, err := h.Settings.SumDB()
	var rest string
	ok := err == nil && db != nil
	if ok {
		rest, ok = strings.CutPrefix(tail, db.Name+"/")
	}
	if !ok {
		http.Error(w, "not found: /sumdb/"+tail+" is not the checksum database GOSUMDB names", http.StatusNotFound)
		return
	}
	name := db.Name
	if rest == "supported" {
		w.WriteHeader(http.StatusOK)
		return
	}
	kind, rest, path, err := parseSumDBPath(rest)
	if err != nil {
		http.Error(w, "not found: /sumdb/"+name+"/: "+err.Error(), http.StatusNotFound)
		return
	}
	label := "checksum database " + name + " " + rest
	if kind == "lookup" && h.Settings.NoSumDB(path) {
		http.Error(w, "not found: "+path+" matches GONOSUMDB/GOPRIVATE and is not looked up", http.StatusNotFound)
		return
	}
	ctx := r.Context()
	switch kind {
	case "lookup":
		if body := h.cachedLookup(ctx, rest); body != nil {
			serve(w, r, int64(len(body)), bytes.NewReader(body))
			return
		}
	case "tile":
		if data := h.takeTile(ctx, rest); data != nil {
			serve(w, r, int64(len(data)), bytes.NewReader(data))
			return
		}
	}
	base, err := h.sumdbList(ctx, name, db.URL)
	if err != nil {
		if ctx.Err() == nil {
			fail(w, err)
		}
		return
	}
	f, err := h.Fetcher.Get(ctx, base, prefetch.Request{Label: label, Kind: "sumdb", Rel: rest})
	if err != nil {
		if ctx.Err() == nil {
			fail(w, err)
		}
		return
	}
	defer f.Close()
	if kind == "lookup" {
		h.tilesAheadFor(name, f.Bytes())
	}
	serve(w, r, f.Size, f.Reader())
}

// parseSumDBPath reads the path of a checksum-database request below
// /sumdb/<name>/ as go's client (x/mod/sumdb.Client) builds it: "latest",
// a tile tlog.ParseTilePath accepts, or lookup/<path>@<version>, escaped,
// whose path and version pass module.Check. It returns the request's kind,
// its path rebuilt from the parsed parts, and for a lookup the module path.
func parseSumDBPath(rest string) (kind, rel, path string, err error) {
	switch {
	case rest == "latest":
		return "latest", rest, "", nil
	case strings.HasPrefix(rest, "tile/"):
		t, err := tlog.ParseTilePath(rest)
		if err != nil {
			return "", "", "", err
		}
		return "tile", t.Path(), "", nil
	case strings.HasPrefix(rest, "lookup/"):
		escPath, escVersion, ok := strings.Cut(strings.TrimPrefix(rest, "lookup/"), "@")
		if !ok {
			return "", "", "", fmt.Errorf("%s is not a lookup of path@version", rest)
		}
		path, err := module.UnescapePath(escPath)
		if err != nil {
			return "", "", "", err
		}
		version, err := module.UnescapeVersion(escVersion)
		if err != nil {
			return "", "", "", err
		}
		if err := module.Check(path, version); err != nil {
			return "", "", "", err
		}
		if escPath, err = module.EscapePath(path); err != nil {
			return "", "", "", err
		}
		if escVersion, err = module.EscapeVersion(version); err != nil {
			return "", "", "", err
		}
		return "lookup", "lookup/" + escPath + "@" + escVersion, path, nil
	}
	return "", "", "", fmt.Errorf("%s is not a checksum database file", rest)
}

// sumdbList returns the one-entry chain the database is read through
// (prefetch.Fetcher.SumDBBase), found once per proxy.
func (h *Handler) sumdbList(ctx context.Context, name, direct string) (mirrors.List, error) {
	h.sumdb.mu.Lock()
	defer h.sumdb.mu.Unlock()
	if h.sumdb.list != nil {
		return h.sumdb.list, nil
	}
	db, _ := h.Settings.SumDB()
	if db == nil || db.Name != name {
		db = &goenv.SumDB{Name: name, URL: direct}
	}
	list, err := h.Fetcher.SumDBBase(ctx, db)
	if err != nil {
		return nil, err
	}
	h.sumdb.list = list
	return list, nil
}

// GOSUMDB returns the GOSUMDB value to run go with beside the proxy at
// loopback, and whether it differs from gosumdb (go env's value). When
// GOSUMDB names the database's URL itself, go reads the database there and
// never through GOPROXY; the value returned keeps the key (so go verifies
// every answer exactly as before) and puts the proxy in place of the URL,
// which then reads that same URL with gofast's deadlines and retries.
// Any other GOSUMDB (off included) is kept as it is.
func GOSUMDB(loopback, gosumdb string, db *goenv.SumDB) (string, bool) {
	if db == nil || !db.Explicit {
		return gosumdb, false
	}
	key := db.Name
	if f := strings.Fields(gosumdb); len(f) == 2 {
		key = f[0]
	}
	return key + " " + loopback + "/sumdb/" + db.Name, true
}
