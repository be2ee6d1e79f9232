package app

import (
	"context"
	"sync"

	"github.com/gofastdev/gofast/internal/goauth"
	"github.com/gofastdev/gofast/internal/goenv"
	"github.com/gofastdev/gofast/mirrors"
)

// chainMemo is the session's one GOPROXY chain: the prefetch and the
// loopback proxy share it, so mirrors are raced at most once per
// invocation, and only once something must be downloaded.
type chainMemo struct {
	mu   sync.Mutex
	done bool
	list mirrors.List
	err  error
}

// chainFunc returns the session's chain for st, computed on first call.
func (s *session) chainFunc(st *goenv.Settings) func(context.Context) (mirrors.List, error) {
	return func(ctx context.Context) (mirrors.List, error) {
		m := &s.chainMemo
		m.mu.Lock()
		defer m.mu.Unlock()
		if !m.done {
			cacheDir, _ := mirrors.CacheDir(s.env)
			m.list, m.err = s.chain(ctx, st, s.rankingEnv(), cacheDir, s.auth(st))
			if ctx.Err() == nil {
				m.done = true
			}
		}
		return m.list, m.err
	}
}

// auth returns the credentials go would send, read once per session.
func (s *session) auth(st *goenv.Settings) *goauth.Credentials {
	s.authOnce.Do(func() { s.creds, _ = goauth.Load(st.GOAUTH, s.env) })
	return s.creds
}

// chain returns the GOPROXY chain from mirrors.Select, saying in one line
// why it fell back to the user's GOPROXY when no mirror worked.
func (s *session) chain(ctx context.Context, st *goenv.Settings, env goenv.Environ, cacheDir string, auth *goauth.Credentials) (mirrors.List, error) {
	res, err := mirrors.Select(ctx, mirrors.Options{Settings: st, Env: env, CacheDir: cacheDir, Auth: auth, OnlyIfUseful: true})
	if err != nil {
		return nil, err
	}
	if res.Fallback && res.Note != "" {
		s.notef("%s", res.Note)
	}
	return res.Chain, nil
}

// rankingEnv is the environment the mirror race reads its settings from:
// a GOFAST_TTL that does not parse is reported once and ignored, as a bad
// GOFAST_JOBS is.
func (s *session) rankingEnv() goenv.Environ {
	if _, err := mirrors.ParseTTL(s.env.Get("GOFAST_TTL")); err != nil {
		s.ttlWarn.Do(func() { s.notef("ignoring %v; using %v", err, mirrors.DefaultTTL) })
		return s.env.Without("GOFAST_TTL")
	}
	return s.env
}
