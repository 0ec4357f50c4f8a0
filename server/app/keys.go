package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
)

// Keys returns the stored API keys of svc as authentication sees them:
// the one place that ties the service's keys to the signatures of both
// dialects, so that neither package knows the other.
func Keys(svc *gallery.Service) auth.Keys { return keys{svc.Galleries} }

// keys implements Keys.
type keys struct{ galleries *gallery.Galleries }

// Credential returns the key with the given ID, or an error wrapping
// auth.ErrUnknownKey when there is none.
func (k keys) Credential(ctx context.Context, id string) (auth.Credential, error) {
	key, err := k.galleries.Key(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return auth.Credential{}, fmt.Errorf("key %q: %w", id, auth.ErrUnknownKey)
	}
	if err != nil {
		return auth.Credential{}, err
	}
	return auth.Credential{ID: key.ID, Secret: key.Secret, Gallery: key.Gallery}, nil
}
