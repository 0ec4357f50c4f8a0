// Package observed wraps a store.Store and reports its failures, for the
// server's metrics: every error a method returns is a failure of the store
// unless it is one of the contract's answers (ErrNotFound, ErrExists,
// ErrTaskRunning), the caller's context ending, or what the caller's own
// callback returned (EachTarget, EachFeatures, Snapshot). The wrapper
// changes nothing else: results and errors pass through as they are.
package observed

import (
	"context"
	"errors"

	"github.com/pixmatch/pixmatch/server/store"
)

// Store is a store.Store whose failures are reported to Failed.
type Store struct {
	store.Store
	failed func(method string)
}

// New wraps st: failed is called with the name of the method that failed
// (e.g. "CreateTarget"), on the caller's goroutine.
func New(st store.Store, failed func(method string)) *Store {
	return &Store{Store: st, failed: failed}
}

// note reports err as a failure of method unless it is an answer, the
// context's end, or own (the callback's error), and returns it.
func (s *Store) note(method string, err, own error) error {
	switch {
	case err == nil, own != nil && errors.Is(err, own),
		errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists), errors.Is(err, store.ErrTaskRunning),
		errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	default:
		s.failed(method)
	}
	return err
}
