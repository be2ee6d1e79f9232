package mirrors

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Result is the outcome of Select: the chain to give go as GOPROXY and
// what it rests on.
type Result struct {
	// Mirrors are every candidate's results, those in Chain first in
	// Chain's order, then the ones left out.
	Mirrors []Mirror
	// Chain is the GOPROXY to run go with (Chain.String()).
	Chain List
	// FromCache is true when the ranking was remembered, not raced now.
	FromCache bool
	// Note explains the chain in one line: what was raced, what was left
	// out, why the user's order was kept, or why nothing changed.
	Note string
	// Fallback is true when no mirror works: Chain is then the user's
	// GOPROXY unchanged, and Note, printed on stderr, says why.
	Fallback bool
	// Mode says where the candidates came from.
	Mode Mode
	// Time is when the race ran.
	Time time.Time
}

// Select returns the GOPROXY chain to use: a remembered ranking when one
// for the same candidates is younger than the TTL (no network at all),
// else the outcome of racing the candidates now, which it remembers. It
// is what the wrapper and prefetch call. The error is for bad settings
// (GOPROXY, GOFAST_MIRRORS, GOFAST_TTL) and cancellation; a race that
// finds no working mirror is a Result with Fallback set.
func Select(ctx context.Context, opts Options) (*Result, error) {
	p, err := makePlan(opts)
	if err != nil {
		return nil, err
	}
	ttl, err := opts.ttl()
	if err != nil {
		return nil, err
	}
	if len(p.candidates) == 0 {
		return &Result{Chain: p.user, Mode: p.mode, Time: opts.now(),
			Note: fmt.Sprintf("GOPROXY=%s names no mirror: nothing to race", p.user.Redacted())}, nil
	}
	if opts.OnlyIfUseful && !p.raceCanChange() {
		return &Result{Chain: p.user, Mode: p.mode, Time: opts.now(),
			Note: fmt.Sprintf("GOPROXY=%s has no '|' for a race to act on: used as it is", p.user.Redacted())}, nil
	}
	mod, err := opts.probeModule()
	if err != nil {
		if errors.Is(err, errPrivateProbe) && opts.ProbeModule.Path == "" {
			// Going private for everything is the user's policy, not a
			// failure: go will not use the mirrors for such paths either.
			return &Result{Chain: p.user, Mode: p.mode, Time: opts.now(),
				Note: "no mirror probed: " + err.Error() + "; GOPROXY left unchanged"}, nil
		}
		return nil, err
	}

	useCache := opts.CacheDir != "" && ttl > 0
	key := p.key(opts.Settings, mod) + "\n" + credentialsKey(opts)
	path := cachePath(opts.CacheDir, key)
	if useCache && !opts.Fresh {
		if rec, ok := loadRecord(path, key, opts.now(), ttl); ok {
			r := p.build(p.restoreURLs(rec.Mirrors))
			r.FromCache, r.Time = true, rec.Time
			return r, nil
		}
	}

	probed := Probe(ctx, opts, p.candidates)
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("racing mirrors: %w", err)
	}
	now := opts.now()
	if useCache {
		// A ranking that cannot be remembered only costs the next
		// invocation a new race, so the error is not the caller's.
		_ = saveRecord(path, &record{Format: recordFormat, Key: keyHash(key), Time: now, Mirrors: probed})
	}
	r := p.build(probed)
	r.Time = now
	return r, nil
}
