package modproxy

import "sync"

// pool runs queued jobs on at most n goroutines. A job waiting for a
// worker is a closure in a queue, not a goroutine, so that a go.mod with
// thousands of requirements costs thousands of small records and n
// goroutines, not thousands of goroutines parked on a semaphore. Workers
// start as jobs arrive and end when the queue is empty. Go never blocks:
// the caller is go's own request.
//
// A job must not wait for another job of its pool (the walk of a tree's
// tiles, which waits for its tiles, has a pool of its own).
type pool struct {
	mu      sync.Mutex
	n       int
	workers int
	peak    int // most workers ever running at once (tests)
	queue   []func()
}

// Go queues job.
func (p *pool) Go(job func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.queue = append(p.queue, job)
	if p.workers < max(p.n, 1) {
		p.workers++
		p.peak = max(p.peak, p.workers)
		go p.work()
	}
}

func (p *pool) work() {
	for {
		p.mu.Lock()
		if len(p.queue) == 0 {
			p.workers--
			p.mu.Unlock()
			return
		}
		job := p.queue[0]
		p.queue[0] = nil
		p.queue = p.queue[1:]
		p.mu.Unlock()
		job()
	}
}

// maxWorkers returns the most workers the pool ever ran at once.
func (p *pool) maxWorkers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.peak
}
