package auth

// The memory of one-time values that refuses replayed requests.
//
// A captured request stays valid, signature and all, for as long as its
// date is within the allowed skew. Within that window the only thing that
// tells a replay from the original is that it was seen before, so the
// verifiers remember each request's one-time value (an Alibaba nonce; a
// CRS write's signature) until its date leaves the window, and refuse a
// value seen again:
//
//   - AlibabaVerifier: the nonce of every request, scoped by AccessKeyId,
//     until the request's date plus the skew (RPC SignatureNonce and ACS3
//     x-acs-signature-nonce are required; an ROA request without
//     x-acs-signature-nonce is remembered by its signature).
//   - Verifier: the signature of every signed (apiKey or appKey) request
//     that writes, through Consume, until its timestamp plus the skew.
//     Reads and token-authenticated requests are not remembered: a read
//     replayed changes nothing, and a token is a bearer credential meant
//     to be sent many times.
//
// One memory serves both dialects; their keys never collide.

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"sync"
	"time"
)

// ErrReplayed is returned by Replays.Use for a key recorded before and not
// expired yet.
var ErrReplayed = errors.New("auth: one-time value used already")

// ErrReplaysFull is returned by Replays.Use when the memory cannot record
// another key, even after forgetting the expired ones. The request is
// refused as the server being overloaded: accepting it unrecorded would
// let it be replayed.
var ErrReplaysFull = errors.New("auth: the memory of one-time values is full")

// Replays is the memory of one-time values. Memory implements it within
// one process; servers sharing a database implement it over that database,
// so that a value used on one server is refused by every other.
type Replays interface {
	// Use records key as used until expires, inclusive: a request dated
	// exactly the allowed skew ago is still accepted, so its key must
	// still be known. It returns ErrReplayed if key is recorded and not
	// expired yet, and ErrReplaysFull if it cannot record it; any other
	// error is a failure to look. A key whose expiry has passed is not
	// recorded, and is not an error.
	Use(ctx context.Context, key string, expires time.Time) error
}

// DefaultReplaysMax is the number of keys a Memory holds at most when its
// Max is zero. A key takes 25 to 45 bytes (Go's maps double as they grow;
// measured by TestMemoryBytesPerEntry and BenchmarkMemoryUse), so a full
// memory takes at most some 45 MiB; filling it takes some 580 remembered
// requests a second sustained for the 30 minutes an Alibaba nonce may be
// kept. A Memory grows with the keys it holds, not with Max, and keeps
// the size of its busiest moment (Go's maps do not shrink).
const DefaultReplaysMax = 1 << 20

// replayGranule is the width of the time slices a Memory files its keys
// under. A key is kept until the end of its expiry's slice, up to one
// granule longer than asked, so that keys expire only at slice ends, a
// slice at a time.
const replayGranule = time.Minute

// replayChunk is the number of keys in each chunk of a slice's list.
const replayChunk = 1024

// Memory is Replays within one process, with bounded memory. It keeps a
// 64-bit hash of each key under a random per-process seed (two keys share
// a hash with a chance of about 2⁻⁶⁴ each, which would refuse the second
// one) in a set, and in the list of its expiry's one-minute slice, so
// that a slice that ends is forgotten without a scan of the rest. Expired
// slices are forgotten before each Use, and a Use beyond Max keys is
// refused with ErrReplaysFull. The zero Memory is ready to use; set its
// fields before the first Use. It is safe for concurrent use.
type Memory struct {
	// Max is the most keys held at once; DefaultReplaysMax when zero.
	Max int
	// Now tells the time; time.Now when nil.
	Now func() time.Time

	mu     sync.Mutex
	seed   maphash.Seed
	seen   map[uint64]struct{}  // the hashes of the keys held
	slices map[int64][][]uint64 // end of a slice, in granules since the epoch -> its hashes, in chunks of replayChunk
}

// Use records key until expires, as Replays describes.
func (m *Memory) Use(_ context.Context, key string, expires time.Time) error {
	now := m.now()
	if expires.Before(now) {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.seen == nil {
		m.seed = maphash.MakeSeed()
		m.seen = make(map[uint64]struct{})
		m.slices = make(map[int64][][]uint64)
	}
	m.forget(now)
	h := maphash.String(m.seed, key)
	if _, seen := m.seen[h]; seen {
		return ErrReplayed
	}
	if len(m.seen) >= m.max() {
		return ErrReplaysFull
	}
	m.seen[h] = struct{}{}
	end := granuleEnd(expires)
	chunks := m.slices[end]
	if n := len(chunks); n == 0 || len(chunks[n-1]) == replayChunk {
		chunks = append(chunks, make([]uint64, 0, replayChunk))
	}
	chunks[len(chunks)-1] = append(chunks[len(chunks)-1], h)
	m.slices[end] = chunks
	return nil
}

// Len returns the number of keys the memory holds, expired ones included
// until the next Use forgets them.
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.seen)
}

// forget drops every slice that ends before now, and its keys.
func (m *Memory) forget(now time.Time) {
	for end, chunks := range m.slices {
		if end*int64(replayGranule) >= now.UnixNano() {
			continue
		}
		for _, chunk := range chunks {
			for _, h := range chunk {
				delete(m.seen, h)
			}
		}
		delete(m.slices, end)
	}
}

// granuleEnd returns the end of the slice t falls in, in granules since
// the epoch: t rounded up to a whole granule.
func granuleEnd(t time.Time) int64 {
	ns := t.UnixNano()
	end := ns / int64(replayGranule)
	if ns%int64(replayGranule) > 0 {
		end++
	}
	return end
}

func (m *Memory) max() int {
	if m.Max <= 0 {
		return DefaultReplaysMax
	}
	return m.Max
}

func (m *Memory) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

// onceKey joins the parts of a one-time value's key, each prefixed by its
// length, so that no two different lists of parts give the same key.
func onceKey(parts ...string) string {
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return string(b)
}
