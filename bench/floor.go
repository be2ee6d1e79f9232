package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"
)

// floorRTTs is the number of round trips the floor adds to the transfer
// time: the connection's set-up (TCP, then handshake more for TLS) and the
// first request. Everything after that can overlap with the transfer on
// enough connections.
func floorRTTs(handshake int) int { return 2 + handshake }

// networkFloor is the least time the link needs to deliver bytes: the
// transfer at full bandwidth plus rtts round trips. Zero bandwidth means an
// unlimited link, so only the round trips remain.
func networkFloor(bytes, bandwidth int64, rtt time.Duration, rtts int) time.Duration {
	d := time.Duration(rtts) * rtt
	if bandwidth > 0 {
		d += time.Duration(float64(bytes) / float64(bandwidth) * float64(time.Second))
	}
	return d
}

// physicalFloor is the limit no downloader can beat: the network delivers
// the bytes and go extracts the zips, and at best the two fully overlap.
func physicalFloor(network, extraction time.Duration) time.Duration {
	return max(network, extraction)
}

// Floor is a row's physical limit with its two parts.
type Floor struct {
	Network, Extraction time.Duration
	// Err says why the extraction time is missing, "" when measured.
	Err string
}

// Limit is the larger part.
func (f Floor) Limit() time.Duration { return physicalFloor(f.Network, f.Extraction) }

// String shows both parts for the notes column.
func (f Floor) String() string {
	if f.Err != "" {
		return fmt.Sprintf("floor: link %s, extraction not measured (%s)", formatDuration(f.Network), f.Err)
	}
	return fmt.Sprintf("floor: link %s, extraction %s", formatDuration(f.Network), formatDuration(f.Extraction))
}

// floor returns the physical floor for downloading corpus c over link. A
// failed extraction measurement leaves the link's part alone and says why;
// only a cancelled run is an error.
func (h *harness) floor(ctx context.Context, c *Corpus, link Link) (Floor, error) {
	f := Floor{Network: networkFloor(c.Want.Size(), link.Bandwidth, link.RTT, floorRTTs(link.HandshakeRTTs))}
	ext, err := h.extraction(ctx, c)
	if ctx.Err() != nil {
		return f, ctx.Err()
	}
	if err != nil {
		h.logf("%v", err)
		f.Err = lastLine(err.Error(), 100)
		return f, nil
	}
	f.Extraction = ext
	return f, nil
}

// extraction measures go's own work for c once the bytes are local: every
// zip, .mod, .info and .ziphash copied into a fresh module cache, nothing
// extracted, then go mod download with GOPROXY=off. The median of
// cfg.ExtractRounds runs is kept per corpus.
func (h *harness) extraction(ctx context.Context, c *Corpus) (time.Duration, error) {
	if d, ok := h.extract[c.Name]; ok {
		return d, h.extractErr[c.Name]
	}
	var walls []time.Duration
	for i := 0; i < max(h.cfg.ExtractRounds, 1); i++ {
		d, err := h.extractOnce(ctx, c)
		if err != nil {
			err = fmt.Errorf("measuring go's extraction time for %s: %w", c.Name, err)
			if ctx.Err() == nil {
				h.extract[c.Name], h.extractErr[c.Name] = 0, err
			}
			return 0, err
		}
		h.logf("extraction %s: go mod download with every zip present took %s", c.Name, formatDuration(d))
		walls = append(walls, d)
	}
	med, _, _ := medianMinMax(walls)
	h.extract[c.Name] = med
	return med, nil
}

func (h *harness) extractOnce(ctx context.Context, c *Corpus) (time.Duration, error) {
	dir, done, err := h.scratch("extract-" + c.Name)
	if err != nil {
		return 0, err
	}
	defer done()
	src, modcache := filepath.Join(dir, "src"), filepath.Join(dir, "modcache")
	if err := c.CopySrc(src); err != nil {
		return 0, err
	}
	keep := func(rel string) bool { return isProxyFile(rel) || strings.HasSuffix(rel, ".ziphash") }
	if err := copyDir(c.Tree(), filepath.Join(modcache, "cache", "download"), keep); err != nil {
		return 0, fmt.Errorf("copying the tree: %w", err)
	}
	env := toolEnv{GoRoot: h.goRoot, Proxy: "off", ModCache: modcache, GoCache: h.goCache, Home: filepath.Join(dir, "home")}
	res, err := runProc(ctx, Proc{Path: h.goTool, Args: []string{"mod", "download"}, Dir: src,
		Env: env.environ(h.base), Timeout: h.cfg.Timeout, Log: filepath.Join(dir, "log")})
	if err != nil {
		return 0, err
	}
	if reason := failReason(res, "timeout"); reason != "" {
		return 0, fmt.Errorf("go mod download: %s", reason)
	}
	return res.Wall, nil
}
