package prefetch

import (
	"container/heap"
	"context"
	"math"
	"sync"
)

// cpuPool bounds the CPU-bound work (verifying and unpacking zips) to a
// fixed number of tokens, handed out by priority: unpacking a zip while it
// downloads first (keeping up with its download is what keeps the end of
// the run from waiting on a big zip), then staging downloaded zips
// biggest first, so that the zips that take longest start as early as
// possible (longest-processing-time-first scheduling). Too many unpackers
// at once only make them fight over the file system: file creation is
// most of the work, and the kernel serializes much of it.
type cpuPool struct {
	mu      sync.Mutex
	free    int
	waiters waitHeap
	seq     int
}

// followPriority is the priority of an unpacker following a download.
const followPriority = math.MaxInt64

func newCPUPool(tokens int) *cpuPool {
	return &cpuPool{free: max(tokens, 1)}
}

// Acquire takes a token, waiting behind every waiter of higher priority
// (and of equal priority that came first), or gives up when ctx ends.
func (p *cpuPool) Acquire(ctx context.Context, priority int64) error {
	p.mu.Lock()
	if p.free > 0 && len(p.waiters) == 0 {
		p.free--
		p.mu.Unlock()
		return nil
	}
	p.seq++
	w := &waiter{priority: priority, seq: p.seq, ready: make(chan struct{})}
	heap.Push(&p.waiters, w)
	p.mu.Unlock()
	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		granted := w.granted
		w.cancelled = true
		p.mu.Unlock()
		if granted {
			p.Release()
		}
		return context.Cause(ctx)
	}
}

// Release returns a token, to the first waiter in line if any.
func (p *cpuPool) Release() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for len(p.waiters) > 0 {
		w := heap.Pop(&p.waiters).(*waiter)
		if w.cancelled {
			continue
		}
		w.granted = true
		close(w.ready)
		return
	}
	p.free++
}

// run runs f holding a token of the given priority; it does not run f if
// ctx ends first.
func (p *cpuPool) run(ctx context.Context, priority int64, f func()) error {
	if err := p.Acquire(ctx, priority); err != nil {
		return err
	}
	defer p.Release()
	f()
	return nil
}

type waiter struct {
	priority  int64
	seq       int
	ready     chan struct{}
	granted   bool
	cancelled bool
}

// waitHeap orders waiters by priority, then in the order they came.
type waitHeap []*waiter

func (h waitHeap) Len() int { return len(h) }
func (h waitHeap) Less(i, j int) bool {
	if h[i].priority != h[j].priority {
		return h[i].priority > h[j].priority
	}
	return h[i].seq < h[j].seq
}
func (h waitHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *waitHeap) Push(x any)   { *h = append(*h, x.(*waiter)) }
func (h *waitHeap) Pop() any {
	old := *h
	w := old[len(old)-1]
	*h = old[:len(old)-1]
	return w
}
