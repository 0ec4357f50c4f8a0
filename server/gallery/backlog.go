package gallery

import (
	"cmp"
	"slices"
	"sync"
)

// A backlog is the list of a gallery's added targets whose feature
// record the record maker (maker.go) has still to make, oldest first.
// Each entry has a ticket, numbered in the order the adds were
// acknowledged, so that a search can wait for exactly the records of the
// adds acknowledged before it (settled), however many makers (the
// maker, and searches making records themselves) work on the list at
// once and in whatever order they finish.
type backlog struct {
	mu      sync.Mutex
	queue   []queued          // not taken yet, oldest first
	taken   map[uint64]string // being made, by ticket
	issued  uint64            // the last ticket handed out
	changed chan struct{}     // closed when an entry is done
}

// queued is an entry of a backlog: target id, added with ticket.
type queued struct {
	id     string
	ticket uint64
}

// push adds the target id and returns the entry's ticket.
func (b *backlog) push(id string) uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.issued++
	b.queue = append(b.queue, queued{id: id, ticket: b.issued})
	return b.issued
}

// mark returns the ticket of the latest entry pushed: the entries a
// caller may wait for are those up to it.
func (b *backlog) mark() uint64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.issued
}

// take takes the oldest entry not taken when its ticket is at most upTo;
// the taker must call done with it.
func (b *backlog) take(upTo uint64) (queued, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.queue) == 0 || b.queue[0].ticket > upTo {
		return queued{}, false
	}
	q := b.queue[0]
	b.queue = b.queue[1:]
	if b.taken == nil {
		b.taken = map[uint64]string{}
	}
	b.taken[q.ticket] = q.id
	return q, true
}

// done notes that a taken entry's record is made (or cannot be, or is
// no longer needed) and wakes whoever waits in settled.
func (b *backlog) done(q queued) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.taken, q.ticket)
	if b.changed != nil {
		close(b.changed)
		b.changed = nil
	}
}

// giveBack returns a taken entry to the list, in its place by ticket,
// unmade: its taker stopped.
func (b *backlog) giveBack(q queued) {
	b.mu.Lock()
	i, _ := slices.BinarySearchFunc(b.queue, q.ticket, func(e queued, t uint64) int { return cmp.Compare(e.ticket, t) })
	b.queue = slices.Insert(b.queue, i, q)
	b.mu.Unlock()
	b.done(q)
}

// settled reports whether every entry up to ticket upTo is done; when not,
// it returns a channel closed at the next entry done.
func (b *backlog) settled(upTo uint64) (bool, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	pending := len(b.queue) > 0 && b.queue[0].ticket <= upTo
	for t := range b.taken {
		pending = pending || t <= upTo
	}
	if !pending {
		return true, nil
	}
	if b.changed == nil {
		b.changed = make(chan struct{})
	}
	return false, b.changed
}

// len returns how many entries are not done.
func (b *backlog) len() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.queue) + len(b.taken)
}
