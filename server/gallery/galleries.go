package gallery

import (
	"context"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
)

// Galleries are the galleries a server serves and the API keys that use
// them: changed under Admin's rules, and applied to the running service
// at once.
type Galleries struct{ s *Service }

// List returns every gallery, by ID, as the service holds it now: on a
// store shared with other servers, its Version may be behind theirs
// (Fresh catches up).
func (gs *Galleries) List() []store.Gallery {
	shelves := gs.s.shelfList()
	out := make([]store.Gallery, len(shelves))
	for i, sh := range shelves {
		out[i] = sh.settings()
	}
	return out
}

// ByID returns a gallery by ID.
func (gs *Galleries) ByID(id int64) (store.Gallery, error) {
	sh, err := gs.s.shelf(id)
	if err != nil {
		return store.Gallery{}, err
	}
	return sh.settings(), nil
}

// ByAppID finds a gallery by its CRS appId.
func (gs *Galleries) ByAppID(appID string) (store.Gallery, error) {
	return gs.find(func(g store.Gallery) bool { return g.AppID == appID }, "appId "+appID)
}

// ByName finds a gallery by its name (the Alibaba instance name).
func (gs *Galleries) ByName(name string) (store.Gallery, error) {
	return gs.find(func(g store.Gallery) bool { return g.Name == name }, "name "+name)
}

func (gs *Galleries) find(match func(store.Gallery) bool, what string) (store.Gallery, error) {
	for _, g := range gs.List() {
		if match(g) {
			return g, nil
		}
	}
	return store.Gallery{}, fmt.Errorf("gallery with %s: %w", what, ErrNotFound)
}

// Serving reports whether a gallery serves requests: nil, or the error
// every operation on it would fail with (ErrNotFound, ErrSuspended).
// Dialects call it to refuse a request before they read it.
func (gs *Galleries) Serving(id int64) error {
	_, err := gs.s.live(id)
	return err
}

// Create creates an empty gallery under the rules of Admin and serves it
// at once.
func (gs *Galleries) Create(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	s := gs.s
	g, err := s.admin.CreateGallery(ctx, g)
	if err != nil {
		return g, err
	}
	s.mu.Lock()
	s.shelves[g.ID] = s.newShelf(g)
	s.mu.Unlock()
	return g, nil
}

// Update makes an administrator's change to the named gallery under the
// rules of Admin, and applies it at once.
func (gs *Galleries) Update(ctx context.Context, name string, c GalleryChange) (store.Gallery, error) {
	_, g, err := gs.s.admin.UpdateGallery(ctx, name, c)
	if err != nil {
		return g, err
	}
	if sh, err := gs.s.shelf(g.ID); err == nil {
		sh.adopt(g)
	}
	return g, nil
}

// Delete removes the named gallery as Admin does, and stops serving it.
func (gs *Galleries) Delete(ctx context.Context, name string) (Removed, error) {
	s := gs.s
	r, err := s.admin.DeleteGallery(ctx, name)
	if err != nil {
		return r, err
	}
	s.mu.Lock()
	delete(s.shelves, r.Gallery.ID)
	s.mu.Unlock()
	return r, nil
}

// CreateKey saves an API key under the rules of Admin and returns it.
func (gs *Galleries) CreateKey(ctx context.Context, k store.Key) (store.Key, error) {
	return gs.s.admin.CreateKey(ctx, k)
}

// Keys lists the API keys.
func (gs *Galleries) Keys(ctx context.Context) ([]store.Key, error) { return gs.s.admin.Keys(ctx) }

// Key returns one API key (ErrNotFound when there is none): what
// authentication checks signatures with.
func (gs *Galleries) Key(ctx context.Context, id string) (store.Key, error) {
	return gs.s.store.Key(ctx, id)
}

// DeleteKey removes an API key and returns it as it was.
func (gs *Galleries) DeleteKey(ctx context.Context, id string) (store.Key, error) {
	return gs.s.admin.DeleteKey(ctx, id)
}
