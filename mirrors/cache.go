package mirrors

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/module"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/internal/redact"
)

// recordFormat versions the cache file; another format is ignored.
// Format 2 keeps no credentials: a hash of the key, URLs without user
// information.
const recordFormat = 2

// record is one remembered race, stored as JSON in the cache directory.
// It keeps the raw probe results, not the chain: the chain is rebuilt
// from them on every load, so that a Demote only has to mark a mirror.
// Nothing in it carries credentials (see saveRecord and restoreURLs).
type record struct {
	Format int `json:"format"`
	// Key is keyHash of the race's key, which holds the mirror URLs.
	Key     string    `json:"key"`
	Time    time.Time `json:"time"`
	Mirrors []Mirror  `json:"mirrors"`
}

// keyHash is what a record stores of its key: enough to tell keys apart,
// nothing of the credentials some mirror URLs in it carry.
func keyHash(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// withoutUser returns u with its user information (name and password)
// removed, the form in which mirror URLs are written to disk.
func withoutUser(u string) string {
	parsed, err := url.Parse(u)
	if err != nil || parsed.User == nil {
		return redact.String(u)
	}
	parsed.User = nil
	return parsed.String()
}

// restoreURLs puts back the URLs, credentials included, of a loaded
// record's mirrors, which were written without them. A record is only
// loaded for the same key, hence the same candidates, which Probe
// reports in order; a mirror that does not line up is matched by its URL
// without credentials.
func (p *plan) restoreURLs(ms []Mirror) []Mirror {
	out := append([]Mirror(nil), ms...)
	for i := range out {
		if i < len(p.candidates) && sameURLKey(withoutUser(p.candidates[i].URL)) == sameURLKey(out[i].URL) {
			out[i].URL = p.candidates[i].URL
			continue
		}
		for _, c := range p.candidates {
			if sameURLKey(withoutUser(c.URL)) == sameURLKey(out[i].URL) {
				out[i].URL = c.URL
				break
			}
		}
	}
	return out
}

// key identifies the inputs a race depends on: where the candidates came
// from, the candidates, the user's list (its tail ends every chain), the
// checksum database and the probe module.
func (p *plan) key(s *goenv.Settings, mod module.Version) string {
	return strings.Join([]string{
		fmt.Sprint("format ", recordFormat),
		"mode " + p.mode.String(),
		"candidates " + p.candidates.String(),
		"goproxy " + p.user.String(),
		fmt.Sprintf("tail %v %s %v", p.hasTail, p.tail.URL, p.tailFallback),
		"gosumdb " + s.GOSUMDB,
		"probe " + mod.String(),
	}, "\n")
}

// credentialsKey tells rankings made with different credentials apart, so
// that a netrc entry added for a mirror that refused the probe counts at
// once rather than after the TTL: GOAUTH and the netrc file's size and
// time (never its contents).
func credentialsKey(opts Options) string {
	goauthValue := ""
	if opts.Settings != nil {
		goauthValue = opts.Settings.GOAUTH
	}
	netrc := goauth.NetrcPath(opts.Env)
	stat := "absent"
	if fi, err := os.Stat(netrc); err == nil {
		stat = fmt.Sprintf("%d %d", fi.Size(), fi.ModTime().UnixNano())
	}
	return fmt.Sprintf("auth %q %s %s", goauthValue, netrc, stat)
}

// cachePath is the file remembering the race for key. The name is a hash:
// the key holds mirror URLs, credentials included.
func cachePath(cacheDir, key string) string {
	sum := sha256.Sum256([]byte(key))
	return filepath.Join(cacheDir, "mirrors", "ranking-"+hex.EncodeToString(sum[:8])+".json")
}

// loadRecord returns the race remembered at path for key if it is younger
// than ttl. Any problem (no file, another format, a torn write) is a miss.
func loadRecord(path, key string, now time.Time, ttl time.Duration) (*record, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, false
	}
	var rec record
	if json.Unmarshal(data, &rec) != nil || rec.Format != recordFormat || rec.Key != keyHash(key) {
		return nil, false
	}
	age := now.Sub(rec.Time)
	// A record from the future (a clock set back) is not trusted.
	if age < -time.Minute || age >= ttl {
		return nil, false
	}
	return &rec, true
}

// saveRecord writes rec to path atomically: a concurrent reader sees the
// old file or the new one, never part of one.
func saveRecord(path string, rec *record) error {
	clean := *rec
	clean.Mirrors = make([]Mirror, len(rec.Mirrors))
	for i, m := range rec.Mirrors {
		m.URL = withoutUser(m.URL)
		m.Err, m.Demoted = redact.String(m.Err), redact.String(m.Demoted)
		clean.Mirrors[i] = m
	}
	data, err := json.MarshalIndent(&clean, "", "\t")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("remembering mirror ranking: %w", err)
	}
	// CreateTemp makes the file 0600: it names the mirrors in use.
	f, err := os.CreateTemp(dir, ".ranking-*.tmp")
	if err != nil {
		return fmt.Errorf("remembering mirror ranking: %w", err)
	}
	_, err = f.Write(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("remembering mirror ranking in %s: %w", path, err)
	}
	return nil
}

// Demote records that downloads through the mirror url failed, for reason,
// in every remembered ranking that has it working. Until that ranking
// expires (GOFAST_TTL), chains built from it put the mirror behind the
// others, except where the user's GOPROXY order is kept. prefetch calls it
// when a mirror fails mid-download. No ranking, or no cache directory, is
// not an error.
func Demote(cacheDir, url, reason string) error {
	if cacheDir == "" {
		return nil
	}
	if reason = strings.TrimSpace(redact.String(reason)); reason == "" {
		reason = "download failed"
	}
	files, err := filepath.Glob(filepath.Join(cacheDir, "mirrors", "ranking-*.json"))
	if err != nil {
		return fmt.Errorf("demoting %s: %w", redact.URL(url), err)
	}
	want := sameURLKey(withoutUser(url))
	var errs []error
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, err)
			}
			continue
		}
		var rec record
		if json.Unmarshal(data, &rec) != nil || rec.Format != recordFormat {
			continue
		}
		changed := false
		for i, m := range rec.Mirrors {
			if m.OK && sameURLKey(withoutUser(m.URL)) == want {
				rec.Mirrors[i].Demoted = reason
				changed = true
			}
		}
		if changed {
			if err := saveRecord(file, &rec); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("demoting %s: %w", redact.URL(url), err)
	}
	return nil
}

// CacheDir returns gofast's directory in the user cache directory (see
// environ.Environ.GofastCacheDir).
func CacheDir(env goenv.Environ) (string, error) { return env.GofastCacheDir() }
