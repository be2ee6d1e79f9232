package prefetch

import (
	"fmt"
	"io"
	"strings"
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
	out   *widthWriter
}

func newProgress(w io.Writer, terminal bool) *progress {
	p := &progress{start: time.Now()}
	if w == nil || !terminal {
		return p
	}
	p.out = &widthWriter{w: w}
	p.bar = progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(p.out),
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
	p.out.erase()
	p.mu.Unlock()
}

// widthWriter passes the bar's output on and remembers the widest line it
// drew, so that stop can blank it whatever the bar did when it finished:
// its own clearing only moves the cursor back on Windows, and what go
// writes next must start on an empty line.
type widthWriter struct {
	w     io.Writer
	col   int // characters since the last \r or \n
	width int // the most characters drawn on the line
}

func (ww *widthWriter) Write(b []byte) (int, error) {
	for _, c := range b {
		switch c {
		case '\r', '\n':
			ww.col = 0
		default:
			if c&0xC0 == 0x80 {
				// A UTF-8 continuation byte: the bar's blocks are
				// one column in several bytes, and blanking more
				// columns than were drawn would wrap the line.
				continue
			}
			ww.col++
			ww.width = max(ww.width, ww.col)
		}
	}
	return ww.w.Write(b)
}

// erase blanks the line the bar was drawn on and leaves the cursor at its
// start.
func (ww *widthWriter) erase() {
	if ww.width == 0 {
		return
	}
	io.WriteString(ww.w, "\r"+strings.Repeat(" ", ww.width)+"\r")
	ww.width, ww.col = 0, 0
}
