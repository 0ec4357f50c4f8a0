package main

import (
	"context"
	"fmt"
	"io"
	"net/url"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
)

// firstStart gives an empty database its first gallery and API key, by
// the same rules as the admin commands, and returns the credentials for
// the web app's connect link (nil when the database had a gallery
// already, or another server sharing the database gave it one
// meanwhile). Values the environment does not give are generated.
func firstStart(ctx context.Context, st store.Store, out io.Writer, getenv func(string) string) (url.Values, error) {
	admin := gallery.NewAdmin(st)
	existing, err := admin.Galleries(ctx)
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	name := getenv("PIXMATCH_INSTANCE")
	if name == "" {
		name = "default"
	}
	g, err := admin.CreateGallery(ctx, store.Gallery{Name: name, AppID: getenv("PIXMATCH_APP_ID")})
	if err != nil {
		// Another server on the same PostgreSQL database made it first.
		if now, lerr := admin.Galleries(ctx); lerr == nil && len(now) > 0 {
			return nil, nil
		}
		return nil, fmt.Errorf("create the first gallery (PIXMATCH_INSTANCE, PIXMATCH_APP_ID): %w", err)
	}
	k, err := admin.CreateKey(ctx, store.Key{ID: getenv("PIXMATCH_API_KEY"), Secret: getenv("PIXMATCH_API_SECRET")})
	if err != nil {
		return nil, fmt.Errorf("create the first API key (PIXMATCH_API_KEY, PIXMATCH_API_SECRET): %w", err)
	}
	fmt.Fprintf(out, "first start: created gallery %q and an API key for every gallery\n", g.Name)
	fmt.Fprintf(out, "  appId (CRS)            %s\n  instance (Alibaba)     %s\n", g.AppID, g.Name)
	fmt.Fprintf(out, "  apiKey / AccessKeyId   %s\n", k.ID)
	link := url.Values{"appId": {g.AppID}, "apiKey": {k.ID}}
	if getenv("PIXMATCH_API_SECRET") == "" { // a secret from the environment stays out of the logs
		fmt.Fprintf(out, "  apiSecret / Secret     %s   (printed only now; `pixmatch keys list` shows it later)\n", k.Secret)
		link.Set("apiSecret", k.Secret)
	}
	return link, nil
}
