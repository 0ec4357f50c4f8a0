package d1

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// ErrNoBlob reports a key the blob store does not hold.
var ErrNoBlob = errors.New("no such blob")

// Blobs keeps the values the store does not put in D1 rows: pictures,
// feature records, long meta and unknown fields. A Worker backs it with an
// R2 bucket (server/worker); MemoryBlobs keeps them in memory for tests.
// Implementations are safe for concurrent use.
type Blobs interface {
	// Put stores value under key, replacing any value there.
	Put(ctx context.Context, key string, value []byte) error
	// Get returns the value under key, or an error wrapping ErrNoBlob.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the values under keys; an absent key is no error.
	Delete(ctx context.Context, keys ...string) error
}

// ManyGetter is a Blobs that reads several values in one call: on a
// Worker, one wait of the Go instance for all of them rather than one
// each. The store reads a shortlist's feature records through it when
// its Blobs has it.
type ManyGetter interface {
	// GetMany returns the values under keys, in their order, nil for a
	// key the store does not hold (an empty value is not nil).
	GetMany(ctx context.Context, keys []string) ([][]byte, error)
}

// MemoryBlobs is a Blobs in memory, for tests and tools: it keeps what
// the store puts for as long as the value lives.
type MemoryBlobs struct {
	mu   sync.Mutex
	vals map[string][]byte
}

// Put stores a copy of value under key.
func (m *MemoryBlobs) Put(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.vals == nil {
		m.vals = map[string][]byte{}
	}
	m.vals[key] = slices.Clone(value)
	return nil
}

// Get returns a copy of the value under key.
func (m *MemoryBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.vals[key]
	if !ok {
		return nil, fmt.Errorf("blob %s: %w", key, ErrNoBlob)
	}
	return slices.Clone(v), nil
}

// Delete removes the values under keys.
func (m *MemoryBlobs) Delete(ctx context.Context, keys ...string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, k := range keys {
		delete(m.vals, k)
	}
	return nil
}

// Keys returns the keys held, sorted.
func (m *MemoryBlobs) Keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.vals))
	for k := range m.vals {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
