package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/pixmatch/pixmatch/server/store"
)

// galleryFlags are the settings of a gallery on the command line.
type galleryFlags struct {
	appID                string
	capacity, qps, daily int
	dau, suspended       bool
}

func (f *galleryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.appID, "app-id", "", "CRS appId (generated when empty)")
	fs.IntVar(&f.capacity, "capacity", 0, "most targets the gallery may hold (0: unlimited)")
	fs.IntVar(&f.qps, "qps", 0, "search requests per second (0: unlimited)")
	fs.IntVar(&f.daily, "daily-searches", 0, "search requests per UTC day (0: unlimited)")
	fs.BoolVar(&f.dau, "dau", false, "bill by daily active users: serve only SDK clients older than Sense 4.6")
	fs.BoolVar(&f.suspended, "suspended", false, "refuse every request to the gallery")
}

// apply copies the flags given on the command line into g.
func (f *galleryFlags) apply(fs *flag.FlagSet, g *store.Gallery) {
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "app-id":
			g.AppID = f.appID
		case "capacity":
			g.Capacity = f.capacity
		case "qps":
			g.QPS = f.qps
		case "daily-searches":
			g.DailySearches = f.daily
		case "dau":
			g.DAU = f.dau
		case "suspended":
			g.Suspended = f.suspended
		}
	})
}

func galleries(ctx context.Context, args []string, out io.Writer) error {
	verb, rest := "list", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		verb, rest = args[0], args[1:]
	}
	fs := flag.NewFlagSet("galleries "+verb, flag.ContinueOnError)
	dir := fs.String("data", "./data", "folder of the embedded database")
	var gf galleryFlags
	gf.register(fs)
	var name string
	if verb != "list" {
		if len(rest) == 0 || rest[0] == "" || rest[0][0] == '-' {
			return fmt.Errorf("galleries %s needs a gallery name", verb)
		}
		name, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	switch verb {
	case "list":
		return listGalleries(ctx, st, out)
	case "create":
		g := store.Gallery{Name: name, AppID: randomHex(16), Created: time.Now().UnixMilli()}
		gf.apply(fs, &g)
		g, err := st.CreateGallery(ctx, g)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "created gallery %q, appId %s\n", g.Name, g.AppID)
		return nil
	case "update":
		g, err := st.GalleryByName(ctx, name)
		if err != nil {
			return err
		}
		gf.apply(fs, &g)
		return st.UpdateGallery(ctx, g)
	case "delete":
		g, err := st.GalleryByName(ctx, name)
		if err != nil {
			return err
		}
		return st.DeleteGallery(ctx, g.ID)
	}
	return fmt.Errorf("unknown galleries command %q", verb)
}

func listGalleries(ctx context.Context, st store.Store, out io.Writer) error {
	gs, err := st.Galleries(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tAPP ID\tTARGETS\tCAPACITY\tQPS\tDAILY\tDAU\tSUSPENDED")
	for _, g := range gs {
		n, err := st.CountTargets(ctx, g.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%v\t%v\n", g.Name, g.AppID, n, g.Capacity, g.QPS, g.DailySearches, g.DAU, g.Suspended)
	}
	return w.Flush()
}

func keys(ctx context.Context, args []string, out io.Writer) error {
	verb, rest := "list", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		verb, rest = args[0], args[1:]
	}
	fs := flag.NewFlagSet("keys "+verb, flag.ContinueOnError)
	dir := fs.String("data", "./data", "folder of the embedded database")
	galleryName := fs.String("gallery", "", "bind the key to this gallery only (a CRS appKey); empty: every gallery")
	id := fs.String("id", "", "key ID (generated when empty)")
	secret := fs.String("secret", "", "key secret (generated when empty)")
	var target string
	if verb == "delete" {
		if len(rest) == 0 {
			return errors.New("keys delete needs a key ID")
		}
		target, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	st, err := openStore(ctx, *dir)
	if err != nil {
		return err
	}
	defer st.Close()
	switch verb {
	case "list":
		return listKeys(ctx, st, out)
	case "create":
		k := store.Key{ID: or(*id, randomHex(16)), Secret: or(*secret, randomHex(32)), Created: time.Now().UnixMilli()}
		if *galleryName != "" {
			g, err := st.GalleryByName(ctx, *galleryName)
			if err != nil {
				return err
			}
			k.Gallery = g.ID
		}
		if err := st.CreateKey(ctx, k); err != nil {
			return err
		}
		fmt.Fprintf(out, "created key %s with secret %s\n", k.ID, k.Secret)
		return nil
	case "delete":
		return st.DeleteKey(ctx, target)
	}
	return fmt.Errorf("unknown keys command %q", verb)
}

func listKeys(ctx context.Context, st store.Store, out io.Writer) error {
	ks, err := st.Keys(ctx)
	if err != nil {
		return err
	}
	gs, err := st.Galleries(ctx)
	if err != nil {
		return err
	}
	names := map[int64]string{0: "(every gallery)"}
	for _, g := range gs {
		names[g.ID] = g.Name
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY\tSECRET\tGALLERY")
	for _, k := range ks {
		fmt.Fprintf(w, "%s\t%s\t%s\n", k.ID, k.Secret, names[k.Gallery])
	}
	return w.Flush()
}
