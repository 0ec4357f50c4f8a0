package gallery

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

func openAdmin(t *testing.T) (*Admin, *sqlite.Store) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return NewAdmin(st), st
}

func ptr[T any](v T) *T { return &v }

// TestAdminRefusesBadGalleries checks every rule of a new gallery: each
// refusal names the problem, wraps its sentinel and stores nothing.
func TestAdminRefusesBadGalleries(t *testing.T) {
	ctx := context.Background()
	a, st := openAdmin(t)
	shop, err := a.CreateGallery(ctx, store.Gallery{Name: "shop", QPS: 5})
	if err != nil {
		t.Fatal(err)
	}
	if len(shop.AppID) != 32 || shop.ID == 0 || shop.Created == 0 || shop.QPS != 5 {
		t.Fatalf("created %+v: want a generated 32-digit appId, an ID, a creation time", shop)
	}
	for _, tt := range []struct {
		g    store.Gallery
		kind error
		text string
	}{
		{store.Gallery{Name: "shop"}, ErrExists, `a gallery named "shop" already exists`},
		{store.Gallery{Name: "other", AppID: shop.AppID}, ErrExists, `a gallery with appId "` + shop.AppID + `" already exists ("shop")`},
		{store.Gallery{}, ErrInvalid, "a gallery name is 1 to 20"},
		{store.Gallery{Name: strings.Repeat("n", 21)}, ErrInvalid, "a gallery name is 1 to 20"},
		{store.Gallery{Name: "two words"}, ErrInvalid, "a gallery name"},
		{store.Gallery{Name: "ok", AppID: "app/../x"}, ErrInvalid, "an appId is"},
		{store.Gallery{Name: "ok", AppID: strings.Repeat("a", 65)}, ErrInvalid, "an appId is"},
		{store.Gallery{Name: "ok", Capacity: -1}, ErrInvalid, "capacity must be 0 (unlimited) or more, not -1"},
		{store.Gallery{Name: "ok", QPS: -2}, ErrInvalid, "qps must be"},
		{store.Gallery{Name: "ok", DailySearches: -3}, ErrInvalid, "daily searches must be"},
	} {
		_, err := a.CreateGallery(ctx, tt.g)
		if !errors.Is(err, tt.kind) || !strings.HasPrefix(err.Error(), tt.text) {
			t.Errorf("CreateGallery(%+v) = %v; want %v starting %q", tt.g, err, tt.kind, tt.text)
		}
	}
	if gs, _ := st.Galleries(ctx); len(gs) != 1 {
		t.Fatalf("refused creates stored galleries: %+v", gs)
	}
}

// TestAdminUpdateGallery changes only what is given, refuses negative
// limits and unknown names, and writes nothing for a change to nothing.
func TestAdminUpdateGallery(t *testing.T) {
	ctx := context.Background()
	a, st := openAdmin(t)
	g, err := a.CreateGallery(ctx, store.Gallery{Name: "shop", AppID: "app1", QPS: 5, DAU: true})
	if err != nil {
		t.Fatal(err)
	}
	before, after, err := a.UpdateGallery(ctx, "shop", GalleryChange{QPS: ptr(7), Suspended: ptr(true)})
	if err != nil {
		t.Fatal(err)
	}
	want := g
	want.QPS, want.Suspended = 7, true
	if before != g || after != want {
		t.Fatalf("update: before %+v after %+v; want %+v then %+v", before, after, g, want)
	}
	if stored, _ := st.Gallery(ctx, g.ID); stored != want {
		t.Fatalf("stored %+v, want %+v", stored, want)
	}
	if _, _, err := a.UpdateGallery(ctx, "shop", GalleryChange{Capacity: ptr(-1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("negative capacity: %v", err)
	}
	if _, _, err := a.UpdateGallery(ctx, "nope", GalleryChange{QPS: ptr(1)}); !errors.Is(err, ErrNotFound) || err.Error() != `there is no gallery named "nope"` {
		t.Errorf("unknown gallery: %v", err)
	}
	if stored, _ := st.Gallery(ctx, g.ID); stored != want {
		t.Fatalf("refused updates changed the gallery: %+v", stored)
	}
	before, after, err = a.UpdateGallery(ctx, "shop", GalleryChange{QPS: ptr(7)})
	if err != nil || before != after {
		t.Fatalf("a change to nothing: %+v -> %+v, %v", before, after, err)
	}
}

// TestAdminKeysAndDelete binds keys to galleries that exist, refuses bad
// and taken IDs, and deletes a gallery with its targets and bound keys.
func TestAdminKeysAndDelete(t *testing.T) {
	ctx := context.Background()
	a, st := openAdmin(t)
	shop, _ := a.CreateGallery(ctx, store.Gallery{Name: "shop"})
	other, _ := a.CreateGallery(ctx, store.Gallery{Name: "other"})
	bound, err := a.CreateKey(ctx, store.Key{ID: "k1", Secret: "s1", Gallery: shop.ID})
	if err != nil || bound.ID != "k1" || bound.Secret != "s1" || bound.Gallery != shop.ID {
		t.Fatalf("CreateKey: %+v, %v", bound, err)
	}
	global, err := a.CreateKey(ctx, store.Key{})
	if err != nil || len(global.ID) != 32 || len(global.Secret) != 64 || global.Gallery != 0 {
		t.Fatalf("CreateKey with generated ID and secret: %+v, %v", global, err)
	}
	for _, tt := range []struct {
		k    store.Key
		kind error
	}{
		{store.Key{ID: "k1"}, ErrExists},
		{store.Key{ID: "k2", Gallery: 999}, ErrNotFound},
		{store.Key{ID: "a:b"}, ErrInvalid},
		{store.Key{ID: strings.Repeat("k", 65)}, ErrInvalid},
		{store.Key{ID: "k3", Secret: "with space"}, ErrInvalid},
		{store.Key{ID: "k4", Secret: strings.Repeat("s", 129)}, ErrInvalid},
	} {
		if _, err := a.CreateKey(ctx, tt.k); !errors.Is(err, tt.kind) {
			t.Errorf("CreateKey(%+v) = %v, want %v", tt.k, err, tt.kind)
		}
	}
	if ks, _ := st.Keys(ctx); len(ks) != 2 {
		t.Fatalf("refused keys were stored: %+v", ks)
	}
	if _, err := st.CreateTarget(ctx, store.Target{Gallery: shop.ID, ID: "t1", Name: "t1", ProductID: "t1", PicName: "t1"}); err != nil {
		t.Fatal(err)
	}
	r, err := a.DeleteGallery(ctx, "shop")
	if err != nil || r.Gallery.ID != shop.ID || r.Targets != 1 || len(r.Keys) != 1 || r.Keys[0].ID != "k1" {
		t.Fatalf("DeleteGallery: %+v, %v", r, err)
	}
	if _, err := st.Key(ctx, "k1"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the bound key survived its gallery: %v", err)
	}
	if _, err := a.DeleteGallery(ctx, "shop"); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleting a deleted gallery: %v", err)
	}
	if _, err := st.Gallery(ctx, other.ID); err != nil {
		t.Errorf("the other gallery went too: %v", err)
	}
	if k, err := a.DeleteKey(ctx, global.ID); err != nil || k != global {
		t.Fatalf("DeleteKey: %+v, %v", k, err)
	}
	if _, err := a.DeleteKey(ctx, global.ID); !errors.Is(err, ErrNotFound) || err.Error() != `there is no key "`+global.ID+`"` {
		t.Errorf("deleting a deleted key: %v", err)
	}
}

// TestServiceUsesAdmin holds the service to the same rules, and checks
// that its changes apply at once, without waiting for Refresh.
func TestServiceUsesAdmin(t *testing.T) {
	ctx := context.Background()
	svc, _, g := open(t)
	if _, err := svc.Galleries.Create(ctx, store.Gallery{Name: "g"}); !errors.Is(err, ErrExists) {
		t.Errorf("service created a second gallery named g: %v", err)
	}
	if _, err := svc.Galleries.Create(ctx, store.Gallery{Name: "bad name"}); !errors.Is(err, ErrInvalid) {
		t.Errorf("service created a gallery with a bad name: %v", err)
	}
	if _, err := svc.Galleries.Update(ctx, "g", GalleryChange{Suspended: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Targets.CountContext(t.Context(), g.ID); !errors.Is(err, ErrSuspended) {
		t.Fatalf("suspension not applied at once: %v", err)
	}
	if _, err := svc.Galleries.Update(ctx, "g", GalleryChange{QPS: ptr(-1)}); !errors.Is(err, ErrInvalid) {
		t.Errorf("service set a negative QPS: %v", err)
	}
	if _, err := svc.Galleries.CreateKey(ctx, store.Key{ID: "k", Gallery: g.ID + 100}); !errors.Is(err, ErrNotFound) {
		t.Errorf("service bound a key to a missing gallery: %v", err)
	}
	if _, err := svc.Galleries.Delete(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Galleries.ByAppID(g.AppID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted gallery still served: %v", err)
	}
}
