package gallery

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
)

// Admin keeps the rules for galleries and API keys. It works over the
// store alone and never loads a gallery's targets, so the admin commands
// use it on a database of any size while a server runs on it; Service
// makes the same changes through it. The rules:
//
//   - A gallery's name is 1 to 20 characters (the longest Alibaba
//     InstanceName) of ASCII letters, digits, '-', '_' and '.', and no
//     other gallery has it. It cannot change.
//   - A gallery's appId is 1 to 64 characters of ASCII letters, digits,
//     '-', '_', '.' and ':', and no other gallery has it. It is generated
//     (32 hex digits) when not given, and cannot change.
//   - Capacity, QPS and daily searches are 0 (unlimited) or more.
//   - Deleting a gallery removes its targets, its change log, its tasks
//     and the API keys bound to it.
//   - A key's ID is 1 to 64 characters of ASCII letters, digits, '-', '_'
//     and '.', and no other key has it; generated (32 hex digits) when
//     empty. Its secret is 1 to 128 printable ASCII characters other than
//     the space; generated (64 hex digits) when empty.
//   - A key is bound to one gallery, which must exist (a CRS appKey), or
//     to none (Gallery 0: every gallery, a CRS apiKey).
//
// A refusal wraps ErrInvalid, ErrExists or ErrNotFound, and its text is
// worded for the administrator.
type Admin struct {
	store store.Store
	now   func() time.Time
}

// ErrInvalid is wrapped by a refusal of a name, appId, limit, key ID or
// secret that breaks a rule.
var ErrInvalid = errors.New("invalid setting")

// NewAdmin returns the rules over st.
func NewAdmin(st store.Store) *Admin { return &Admin{store: st, now: time.Now} }

// refusal is a rule's refusal, worded for the administrator; errors.Is
// finds the sentinel it wraps.
type refusal struct {
	text string
	kind error
}

func (r *refusal) Error() string { return r.text }
func (r *refusal) Unwrap() error { return r.kind }

func refuse(kind error, format string, args ...any) error {
	return &refusal{text: fmt.Sprintf(format, args...), kind: kind}
}

// GalleryChange says which settings of a gallery to change; nil fields
// stay as they are.
type GalleryChange struct {
	Capacity, QPS, DailySearches *int
	DAU, Suspended               *bool
}

// Apply returns g with the change made.
func (c GalleryChange) Apply(g store.Gallery) store.Gallery {
	assign(&g.Capacity, c.Capacity)
	assign(&g.QPS, c.QPS)
	assign(&g.DailySearches, c.DailySearches)
	assign(&g.DAU, c.DAU)
	assign(&g.Suspended, c.Suspended)
	return g
}

// assign sets *dst to *v when v is not nil: a field of a partial change.
func assign[T any](dst, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Galleries lists every gallery, by ID.
func (a *Admin) Galleries(ctx context.Context) ([]store.Gallery, error) {
	return a.store.Galleries(ctx)
}

// GalleryByName finds a gallery by its name.
func (a *Admin) GalleryByName(ctx context.Context, name string) (store.Gallery, error) {
	g, err := a.store.GalleryByName(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return g, refuse(ErrNotFound, "there is no gallery named %q", name)
	}
	return g, err
}

// CountTargets returns how many targets a gallery holds, from the store.
func (a *Admin) CountTargets(ctx context.Context, gallery int64) (int, error) {
	return a.store.CountTargets(ctx, gallery)
}

// CreateGallery creates an empty gallery with g's name, appId (generated
// when empty), limits and flags; g's ID, version and creation time are
// set by the store and the clock.
func (a *Admin) CreateGallery(ctx context.Context, g store.Gallery) (store.Gallery, error) {
	if g.AppID == "" {
		g.AppID = randomHex(16)
	}
	g.ID, g.Version, g.Created = 0, 0, a.now().UnixMilli()
	if err := checkGallery(g); err != nil {
		return store.Gallery{}, err
	}
	if err := a.unique(ctx, g); err != nil {
		return store.Gallery{}, err
	}
	made, err := a.store.CreateGallery(ctx, g)
	if errors.Is(err, store.ErrExists) {
		// Another process took the name or appId since unique looked.
		if taken := a.unique(ctx, g); taken != nil {
			return store.Gallery{}, taken
		}
	}
	if err != nil {
		return store.Gallery{}, fmt.Errorf("create gallery %q: %w", g.Name, err)
	}
	return made, nil
}

// unique refuses g's name or appId when another gallery has it.
func (a *Admin) unique(ctx context.Context, g store.Gallery) error {
	switch other, err := a.store.GalleryByName(ctx, g.Name); {
	case err == nil:
		return refuse(ErrExists, "a gallery named %q already exists", other.Name)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	switch other, err := a.store.GalleryByAppID(ctx, g.AppID); {
	case err == nil:
		return refuse(ErrExists, "a gallery with appId %q already exists (%q)", g.AppID, other.Name)
	case !errors.Is(err, store.ErrNotFound):
		return err
	}
	return nil
}

// UpdateGallery makes the change to the named gallery and returns it as
// it was and as it is. A change that changes nothing writes nothing.
func (a *Admin) UpdateGallery(ctx context.Context, name string, c GalleryChange) (before, after store.Gallery, err error) {
	before, err = a.GalleryByName(ctx, name)
	if err != nil {
		return before, before, err
	}
	after = c.Apply(before)
	if err := checkLimits(after); err != nil {
		return before, before, err
	}
	if after == before {
		return before, after, nil
	}
	if err := a.store.UpdateGallery(ctx, after); errors.Is(err, store.ErrNotFound) {
		return before, before, refuse(ErrNotFound, "there is no gallery named %q", name)
	} else if err != nil {
		return before, before, fmt.Errorf("update gallery %q: %w", name, err)
	}
	return before, after, nil
}

// Removed is what deleting a gallery removed.
type Removed struct {
	Gallery store.Gallery
	Targets int         // how many targets it held
	Keys    []store.Key // the keys bound to it
}

// DeleteGallery removes the named gallery with its targets, change log,
// tasks and the keys bound to it.
func (a *Admin) DeleteGallery(ctx context.Context, name string) (Removed, error) {
	g, err := a.GalleryByName(ctx, name)
	if err != nil {
		return Removed{}, err
	}
	r := Removed{Gallery: g}
	if r.Targets, err = a.store.CountTargets(ctx, g.ID); err != nil {
		return Removed{}, err
	}
	keys, err := a.store.Keys(ctx)
	if err != nil {
		return Removed{}, err
	}
	for _, k := range keys {
		if k.Gallery == g.ID {
			r.Keys = append(r.Keys, k)
		}
	}
	if err := a.store.DeleteGallery(ctx, g.ID); errors.Is(err, store.ErrNotFound) {
		return Removed{}, refuse(ErrNotFound, "there is no gallery named %q", name)
	} else if err != nil {
		return Removed{}, fmt.Errorf("delete gallery %q: %w", name, err)
	}
	return r, nil
}

// Keys lists the API keys, oldest first.
func (a *Admin) Keys(ctx context.Context) ([]store.Key, error) { return a.store.Keys(ctx) }

// CreateKey saves an API key and returns it: its ID and secret generated
// when empty, bound to the gallery with ID k.Gallery (0: every gallery).
func (a *Admin) CreateKey(ctx context.Context, k store.Key) (store.Key, error) {
	if k.ID == "" {
		k.ID = randomHex(16)
	}
	if k.Secret == "" {
		k.Secret = randomHex(32)
	}
	k.Created = a.now().UnixMilli()
	if err := checkKey(k); err != nil {
		return store.Key{}, err
	}
	if k.Gallery != 0 {
		if _, err := a.store.Gallery(ctx, k.Gallery); errors.Is(err, store.ErrNotFound) {
			return store.Key{}, refuse(ErrNotFound, "there is no gallery %d to bind key %s to", k.Gallery, k.ID)
		} else if err != nil {
			return store.Key{}, err
		}
	}
	err := a.store.CreateKey(ctx, k)
	if errors.Is(err, store.ErrExists) {
		return store.Key{}, refuse(ErrExists, "a key %q already exists", k.ID)
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("create key %s: %w", k.ID, err)
	}
	return k, nil
}

// DeleteKey removes an API key and returns it as it was.
func (a *Admin) DeleteKey(ctx context.Context, id string) (store.Key, error) {
	k, err := a.store.Key(ctx, id)
	if err == nil {
		err = a.store.DeleteKey(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.Key{}, refuse(ErrNotFound, "there is no key %q", id)
	}
	if err != nil {
		return store.Key{}, fmt.Errorf("delete key %s: %w", id, err)
	}
	return k, nil
}

// checkGallery applies the rules of a new gallery.
func checkGallery(g store.Gallery) error {
	if !wellFormed(g.Name, 20, "-_.") {
		return refuse(ErrInvalid, "a gallery name is 1 to 20 letters, digits, '-', '_' or '.', not %q", g.Name)
	}
	if !wellFormed(g.AppID, 64, "-_.:") {
		return refuse(ErrInvalid, "an appId is 1 to 64 letters, digits, '-', '_', '.' or ':', not %q", g.AppID)
	}
	return checkLimits(g)
}

// checkLimits refuses a negative limit.
func checkLimits(g store.Gallery) error {
	for _, l := range []struct {
		name  string
		value int
	}{{"capacity", g.Capacity}, {"qps", g.QPS}, {"daily searches", g.DailySearches}} {
		if l.value < 0 {
			return refuse(ErrInvalid, "%s must be 0 (unlimited) or more, not %d", l.name, l.value)
		}
	}
	return nil
}

// checkKey applies the rules of a new key.
func checkKey(k store.Key) error {
	if !wellFormed(k.ID, 64, "-_.") {
		return refuse(ErrInvalid, "a key ID is 1 to 64 letters, digits, '-', '_' or '.', not %q", k.ID)
	}
	if len(k.Secret) > 128 {
		return refuse(ErrInvalid, "a key secret has at most 128 characters, not %d", len(k.Secret))
	}
	for _, c := range []byte(k.Secret) {
		if c <= ' ' || c > '~' {
			return refuse(ErrInvalid, "a key secret is printable ASCII without spaces")
		}
	}
	return nil
}

// wellFormed reports whether s has 1 to most characters, each an ASCII
// letter, a digit or one of extra.
func wellFormed(s string, most int, extra string) bool {
	if s == "" || len(s) > most {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		for i := 0; !ok && i < len(extra); i++ {
			ok = c == extra[i]
		}
		if !ok {
			return false
		}
	}
	return true
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
