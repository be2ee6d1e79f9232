package prefetch

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress shows modules done, bytes, rate and ETA: a bar on a terminal,
// nothing elsewhere (CI logs get the summary line only, not a stream of
// redraws).
type progress struct {
	bar   *progressbar.ProgressBar
	total atomic.Int64
	n     atomic.Int64
	start time.Time
	quit  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
}

func newProgress(w io.Writer, terminal bool) *progress {
	p := &progress{start: time.Now()}
	if w == nil || !terminal {
		return p
	}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("gofast: prefetching"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("modules"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(20),
	)
	p.quit = make(chan struct{})
	p.wg.Add(1)
	go p.describe()
	return p
}

// describe refreshes the bytes and rate part of the bar.
func (p *progress) describe() {
	defer p.wg.Done()
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.quit:
			return
		case <-t.C:
			n := p.n.Load()
			rate := float64(n) / time.Since(p.start).Seconds()
			p.mu.Lock()
			p.bar.Describe(fmt.Sprintf("gofast: %s at %s/s", Size(n), Size(int64(rate))))
			p.mu.Unlock()
		}
	}
}

// add announces modules with work to do.
func (p *progress) add(k int) {
	if p == nil {
		return
	}
	total := p.total.Add(int64(k))
	if p.bar != nil {
		p.mu.Lock()
		p.bar.ChangeMax64(total)
		p.mu.Unlock()
	}
}

// done marks one module finished.
func (p *progress) done() {
	if p == nil || p.bar == nil {
		return
	}
	p.mu.Lock()
	p.bar.Add(1)
	p.mu.Unlock()
}

// bytes counts downloaded bytes.
func (p *progress) bytes(n int64) {
	if p != nil {
		p.n.Add(n)
	}
}

func (p *progress) stop() {
	if p == nil || p.bar == nil {
		return
	}
	close(p.quit)
	p.wg.Wait()
	p.mu.Lock()
	p.bar.Finish()
	p.mu.Unlock()
}
