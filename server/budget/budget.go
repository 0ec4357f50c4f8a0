// Package budget shares a fixed amount of a process's memory between the
// requests that need it: the bytes of request bodies in flight, the
// buffers of pictures being decoded. A request takes its share before it
// uses the memory and gives it back after, so that however many requests
// arrive at once, the sum of what they hold never exceeds the budget.
//
// A request that does not fit waits, but only as long as its context
// allows (callers give it a short deadline): a server that is full answers
// "busy" at once rather than queueing work it cannot do, and never runs
// out of memory. Waiting requests are served in arrival order among those
// that fit, so small requests are not held up behind a large one that is
// waiting for room; a large request that keeps finding no room gives up at
// its deadline.
package budget

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// Errors of Acquire, wrapped with detail.
var (
	// ErrBusy is returned when the share did not become free before the
	// context ended.
	ErrBusy = errors.New("budget: no room before the deadline")
	// ErrTooLarge is returned for a share larger than the whole budget.
	ErrTooLarge = errors.New("budget: more than the whole budget")
)

// Budget is an amount shared by concurrent holders. It is safe for
// concurrent use; the zero value is a budget of nothing.
type Budget struct {
	mu       sync.Mutex
	capacity int64
	used     int64
	waiting  []*waiter // in arrival order
}

// waiter is one Acquire waiting for room.
type waiter struct {
	n     int64
	ready chan struct{} // closed when the share is granted
}

// New returns a budget of capacity units (bytes, say).
func New(capacity int64) *Budget { return &Budget{capacity: capacity} }

// Capacity returns the budget's size.
func (b *Budget) Capacity() int64 { return b.capacity }

// InUse returns how much is held now.
func (b *Budget) InUse() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// Acquire takes n units, waiting while they are not free until ctx ends.
// It fails with ErrTooLarge at once when n exceeds the capacity, and with
// ErrBusy when ctx ends first. A share of 0 or less is always granted.
func (b *Budget) Acquire(ctx context.Context, n int64) error {
	if n <= 0 {
		return nil
	}
	b.mu.Lock()
	if n > b.capacity {
		b.mu.Unlock()
		return fmt.Errorf("%w: %d of %d", ErrTooLarge, n, b.capacity)
	}
	if b.used+n <= b.capacity {
		b.used += n
		b.mu.Unlock()
		return nil
	}
	w := &waiter{n: n, ready: make(chan struct{})}
	b.waiting = append(b.waiting, w)
	b.mu.Unlock()

	select {
	case <-w.ready:
		return nil
	case <-ctx.Done():
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	select {
	case <-w.ready: // granted while the context ended: keep it
		return nil
	default:
	}
	for i, x := range b.waiting {
		if x == w {
			b.waiting = append(b.waiting[:i], b.waiting[i+1:]...)
			break
		}
	}
	return fmt.Errorf("%w: %d wanted, %d of %d in use: %w", ErrBusy, n, b.used, b.capacity, context.Cause(ctx))
}

// Release gives back n units taken by Acquire, and grants them to the
// waiting shares that now fit, oldest first.
func (b *Budget) Release(n int64) {
	if n <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.used -= n
	if b.used < 0 {
		panic("budget: released more than was acquired")
	}
	kept := b.waiting[:0]
	for _, w := range b.waiting {
		if b.used+w.n <= b.capacity {
			b.used += w.n
			close(w.ready)
			continue
		}
		kept = append(kept, w)
	}
	clear(b.waiting[len(kept):])
	b.waiting = kept
}
