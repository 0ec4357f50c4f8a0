package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path/filepath"
	"strings"
	"time"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// databaseFile is the name of the embedded database inside the data folder.
const databaseFile = "pixmatch.db"

func openStore(ctx context.Context, dir string) (*sqlite.Store, error) {
	return sqlite.Open(ctx, filepath.Join(dir, databaseFile))
}

func serve(ctx context.Context, args []string, out io.Writer, getenv func(string) string, log *slog.Logger) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	dir := fs.String("data", "./data", "folder of the embedded database")
	cfg := config.Default()
	fs.Func("bucket", "NAME=DIR: a local folder Alibaba batch imports may read as BucketName NAME (repeatable)", func(v string) error {
		name, folder, ok := strings.Cut(v, "=")
		if !ok || name == "" || folder == "" {
			return fmt.Errorf("want NAME=DIR, not %q", v)
		}
		if cfg.Alibaba.Buckets == nil {
			cfg.Alibaba.Buckets = map[string]string{}
		}
		cfg.Alibaba.Buckets[name] = folder
		return nil
	})
	fs.Func("fetch-allow", "CIDR: a private network picture URLs may point into (repeatable)", func(v string) error {
		if _, err := netip.ParsePrefix(v); err != nil {
			return err
		}
		cfg.Alibaba.FetchAllow = append(cfg.Alibaba.FetchAllow, v)
		return nil
	})
	if err := fs.Parse(args); err != nil {
		return err
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	first, err := firstStart(ctx, st, out, getenv)
	if err != nil {
		return err
	}
	cfg.Alibaba.Files = filepath.Join(*dir, "files")
	svc, err := gallery.Open(ctx, st, cfg)
	if err != nil {
		return err
	}
	handler, err := app.New(ctx, svc, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	go refresh(ctx, svc, log)
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(shutdown)
	}()
	fmt.Fprintf(out, "pixmatch serving http://%s (data in %s)\n", ln.Addr(), *dir)
	if first != nil {
		fmt.Fprintf(out, "open the web app connected to it: http://%s/#connect?%s\n", ln.Addr(), first.Encode())
	}
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// refresh picks up galleries changed by the admin commands while the
// server runs.
func refresh(ctx context.Context, svc *gallery.Service, log *slog.Logger) {
	tick := time.NewTicker(2 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if err := svc.Refresh(ctx); err != nil && ctx.Err() == nil {
				log.Error("refresh galleries", "err", err)
			}
		}
	}
}

// firstStart gives an empty database its first gallery and API key, and
// returns the credentials for the web app's connect link (nil when the
// database had a gallery already).
func firstStart(ctx context.Context, st store.Store, out io.Writer, getenv func(string) string) (url.Values, error) {
	existing, err := st.Galleries(ctx)
	if err != nil || len(existing) > 0 {
		return nil, err
	}
	name := or(getenv("PIXMATCH_INSTANCE"), "default")
	appID := or(getenv("PIXMATCH_APP_ID"), randomHex(16))
	key := or(getenv("PIXMATCH_API_KEY"), randomHex(16))
	secret := or(getenv("PIXMATCH_API_SECRET"), randomHex(32))
	g, err := st.CreateGallery(ctx, store.Gallery{Name: name, AppID: appID, Created: time.Now().UnixMilli()})
	if err != nil {
		return nil, fmt.Errorf("create the first gallery: %w", err)
	}
	if err := st.CreateKey(ctx, store.Key{ID: key, Secret: secret, Created: time.Now().UnixMilli()}); err != nil {
		return nil, fmt.Errorf("create the first API key: %w", err)
	}
	fmt.Fprintf(out, "first start: created gallery %q and an API key for every gallery\n", g.Name)
	fmt.Fprintf(out, "  appId (CRS)            %s\n  instance (Alibaba)     %s\n", g.AppID, g.Name)
	fmt.Fprintf(out, "  apiKey / AccessKeyId   %s\n", key)
	if getenv("PIXMATCH_API_SECRET") == "" {
		fmt.Fprintf(out, "  apiSecret / Secret     %s   (printed only now; `pixmatch keys list` shows it later)\n", secret)
	}
	link := url.Values{"appId": {appID}, "apiKey": {key}}
	if getenv("PIXMATCH_API_SECRET") == "" { // a secret from the environment stays out of the logs
		link.Set("apiSecret", secret)
	}
	return link, nil
}

func or(v, fallback string) string {
	if v != "" {
		return v
	}
	return fallback
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
