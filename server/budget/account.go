package budget

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Account is what one request holds of a budget. Each Take waits at most
// the account's wait; Close gives back everything taken. An Account is
// safe for concurrent use.
type Account struct {
	budget *Budget
	wait   time.Duration

	mu     sync.Mutex
	held   int64
	closed bool
}

// Open starts an account on b whose shares wait at most wait for room.
func (b *Budget) Open(wait time.Duration) *Account { return &Account{budget: b, wait: wait} }

// Take acquires n more units for the account (see Budget.Acquire), waiting
// at most the account's wait and no longer than ctx allows.
func (a *Account) Take(ctx context.Context, n int64) error {
	ctx, cancel := context.WithTimeout(ctx, a.wait)
	defer cancel()
	if err := a.budget.Acquire(ctx, n); err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed { // taken after Close: give it straight back
		a.budget.Release(n)
		return fmt.Errorf("%w: the account is closed", ErrBusy)
	}
	a.held += max(n, 0)
	return nil
}

// Held returns how much the account holds.
func (a *Account) Held() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.held
}

// Close gives back everything the account holds; later Takes fail.
func (a *Account) Close() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.budget.Release(a.held)
	a.held, a.closed = 0, true
}

type accountKey struct{}

// NewContext returns ctx carrying the account, for ReadAll to charge.
func NewContext(ctx context.Context, a *Account) context.Context {
	return context.WithValue(ctx, accountKey{}, a)
}

// FromContext returns the account ctx carries, or nil.
func FromContext(ctx context.Context) *Account {
	a, _ := ctx.Value(accountKey{}).(*Account)
	return a
}

// ErrBodyTooLarge is returned by ReadAll for a body over its limit.
var ErrBodyTooLarge = errors.New("budget: body over its limit")

// chunk is the first share ReadAll takes of a body of unknown length; it
// doubles from there.
const chunk = 256 << 10

// ReadAll reads a request body of size bytes (negative when the length is
// not known beforehand) of at most limit bytes. The bytes are charged to
// the account ctx carries, if any, before they are read: a body of known
// length all at once, one of unknown length a chunk at a time. It fails
// with ErrBodyTooLarge beyond limit (at once when size says so), with
// ErrBusy when the account cannot take the bytes in time, and with the
// reader's error otherwise; whatever was charged stays charged until the
// account is closed.
func ReadAll(ctx context.Context, r io.Reader, size, limit int64) ([]byte, error) {
	a := FromContext(ctx)
	take := func(n int64) error {
		if a == nil {
			return nil
		}
		err := a.Take(ctx, n)
		if errors.Is(err, ErrTooLarge) { // a body bigger than the whole budget: no room, ever
			return fmt.Errorf("%w: %w", ErrBusy, err)
		}
		return err
	}
	if size > limit {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrBodyTooLarge, size, limit)
	}
	if size >= 0 {
		if err := take(size); err != nil {
			return nil, err
		}
		b := make([]byte, size)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, fmt.Errorf("read %d-byte body: %w", size, err)
		}
		return b, nil
	}
	var b []byte
	for {
		if len(b) == cap(b) { // double, charging the growth
			grow := min(max(int64(chunk), int64(cap(b))), limit+1-int64(cap(b)))
			if err := take(grow); err != nil {
				return nil, err
			}
			nb := make([]byte, len(b), int64(cap(b))+grow)
			copy(nb, b)
			b = nb
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("%w: over %d bytes", ErrBodyTooLarge, limit)
		}
		if errors.Is(err, io.EOF) {
			return b, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
	}
}
