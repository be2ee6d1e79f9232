package prefetch

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

func TestCPUPoolOrder(t *testing.T) {
	p := newCPUPool(1)
	ctx := context.Background()
	if err := p.Acquire(ctx, 0); err != nil {
		t.Fatal(err)
	}
	// Waiters queue up while the only token is held; they must be served
	// highest priority first, then in the order they came.
	type w struct {
		name string
		prio int64
	}
	order := []w{{"small", 10}, {"big", 1000}, {"follow-1", followPriority}, {"mid", 500}, {"follow-2", followPriority}, {"big-2", 1000}}
	got := make(chan string, len(order))
	for i, x := range order {
		go func() {
			p.Acquire(ctx, x.prio)
			got <- x.name
			p.Release()
		}()
		// Wait until the goroutine is queued, so arrival order is known.
		for queued(p) < i+1 {
			runtime.Gosched()
		}
	}
	p.Release()
	want := []string{"follow-1", "follow-2", "big", "big-2", "mid", "small"}
	for i, name := range want {
		if g := <-got; g != name {
			t.Fatalf("grant %d went to %s, want %s", i, g, name)
		}
	}
}

// queued is the number of waiters.
func queued(p *cpuPool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.waiters)
}

func TestCPUPoolCancel(t *testing.T) {
	p := newCPUPool(1)
	if err := p.Acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancelCause(context.Background())
	cause := errors.New("not needed")
	done := make(chan error)
	go func() { done <- p.Acquire(ctx, 5) }()
	for queued(p) < 1 {
		runtime.Gosched()
	}
	cancel(cause)
	if err := <-done; !errors.Is(err, cause) {
		t.Fatalf("Acquire after cancel = %v", err)
	}
	// The cancelled waiter must not swallow the token.
	p.Release()
	if err := p.Acquire(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	p.Release()
	if p.free != 1 {
		t.Errorf("%d tokens free, want 1", p.free)
	}
}
