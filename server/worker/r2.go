//go:build js && wasm

package worker

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"syscall/js"

	"github.com/syumai/workers/cloudflare/r2"

	"github.com/pixmatch/pixmatch/server/store/d1"
)

// R2 is the blob store of a Worker: the R2 bucket bound under binding.
type R2 struct {
	bucket  *r2.Bucket
	binding string
}

var _ d1.Blobs = R2{}

// OpenR2 returns the blob store of the bucket bound under binding.
func OpenR2(binding string) (R2, error) {
	b, err := r2.NewBucket(binding)
	if err != nil {
		return R2{}, fmt.Errorf("r2 bucket %s: %w", binding, err)
	}
	return R2{b, binding}, nil
}

// Put stores value under key.
func (r R2) Put(ctx context.Context, key string, value []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := r.bucket.Put(key, io.NopCloser(bytes.NewReader(value)), nil)
	return err
}

// Get returns the value under key, or an error wrapping d1.ErrNoBlob.
// worker.mjs reads it whole (globalThis.pixmatchBlob), in one promise:
// syumai/workers' Bucket.Get and its body's reader made several, each a
// wait of the Go instance and callbacks, and converted all the object's
// metadata — a fifth of the time a search of the feature tier spent on
// its shortlist's records. Feature records come from the isolate's
// keeping when it has them (worker.mjs says why that is safe).
func (r R2) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v, err := await(ctx, js.Global().Call("pixmatchBlob", r.binding, key))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", key, err)
	}
	if v.IsNull() {
		return nil, fmt.Errorf("blob %s: %w", key, d1.ErrNoBlob)
	}
	return goBytes(v), nil
}

var _ d1.ManyGetter = R2{}

// GetMany returns the values under keys, nil for a key R2 does not hold,
// read together in one promise (globalThis.pixmatchBlobs): a shortlist's
// 40 records cost the Go instance one wait, not 40.
func (r R2) GetMany(ctx context.Context, keys []string) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	ks := make([]any, len(keys))
	for i, k := range keys {
		ks[i] = k
	}
	v, err := await(ctx, js.Global().Call("pixmatchBlobs", r.binding, ks))
	if err != nil {
		return nil, fmt.Errorf("blobs: %w", err)
	}
	out := make([][]byte, len(keys))
	for i := range keys {
		if b := v.Index(i); !b.IsNull() {
			out[i] = goBytes(b)
		}
	}
	return out, nil
}

// Delete removes the values under keys.
func (r R2) Delete(ctx context.Context, keys ...string) error {
	for _, k := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		js.Global().Call("pixmatchForget", k)
		if err := r.bucket.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
