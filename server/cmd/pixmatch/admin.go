package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/pixmatch/pixmatch/server/api/alibaba"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
)

// The admin commands change galleries and keys through gallery.Admin, the
// rules the server applies too. They open the store alone: no gallery's
// targets are loaded, and a running server picks the changes up within
// two seconds (Service.Refresh).

// galleryFlags are the settings of a gallery on the command line.
type galleryFlags struct {
	appID                string
	capacity, qps, daily int
	dau, suspended       bool
	resume               bool
}

func (f *galleryFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.appID, "app-id", "", "CRS appId (create only; generated when empty)")
	fs.IntVar(&f.capacity, "capacity", 0, "most targets the gallery may hold (0: unlimited)")
	fs.IntVar(&f.qps, "qps", 0, "search requests per second (0: unlimited)")
	fs.IntVar(&f.daily, "daily-searches", 0, "search requests per UTC day (0: unlimited)")
	fs.BoolVar(&f.dau, "dau", false, "bill by daily active users: serve only SDK clients older than Sense 4.6 (--dau=false undoes it)")
	fs.BoolVar(&f.suspended, "suspended", false, "refuse every request to the gallery")
	fs.BoolVar(&f.resume, "resume", false, "serve a suspended gallery again (the same as --suspended=false)")
}

// change returns the settings given on the command line.
func (f *galleryFlags) change(fs *flag.FlagSet) (gallery.GalleryChange, error) {
	var c gallery.GalleryChange
	var err error
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "capacity":
			c.Capacity = &f.capacity
		case "qps":
			c.QPS = &f.qps
		case "daily-searches":
			c.DailySearches = &f.daily
		case "dau":
			c.DAU = &f.dau
		case "suspended", "resume":
			if c.Suspended != nil {
				err = errors.New("--suspended and --resume contradict each other")
			}
			suspended := fl.Name == "suspended" && f.suspended || fl.Name == "resume" && !f.resume
			c.Suspended = &suspended
		}
	})
	return c, err
}

// verbAndName splits "VERB [NAME] flags…"; the verb is list when absent.
func verbAndName(args []string, named func(verb string) bool) (verb, name string, rest []string) {
	verb, rest = "list", args
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		verb, rest = args[0], args[1:]
	}
	if named(verb) && len(rest) > 0 && rest[0] != "" && rest[0][0] != '-' {
		name, rest = rest[0], rest[1:]
	}
	return verb, name, rest
}

func galleries(ctx context.Context, args []string, out io.Writer) error {
	verb, name, rest := verbAndName(args, func(v string) bool { return v != "list" })
	fs := flag.NewFlagSet("galleries "+verb, flag.ContinueOnError)
	var where storeFlags
	where.register(fs)
	var gf galleryFlags
	gf.register(fs)
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("galleries %s: unexpected %q", verb, fs.Arg(0))
	}
	c, err := gf.change(fs)
	if err != nil {
		return err
	}
	switch verb {
	case "list", "create", "update", "delete":
	default:
		return fmt.Errorf("unknown galleries command %q", verb)
	}
	if verb != "list" && name == "" {
		return fmt.Errorf("galleries %s needs a gallery name", verb)
	}
	if verb == "update" && gf.appID != "" {
		return errors.New("the appId of a gallery cannot change: create a new gallery instead")
	}
	return withAdmin(ctx, where, func(a *gallery.Admin) error {
		switch verb {
		case "create":
			g, err := a.CreateGallery(ctx, c.Apply(store.Gallery{Name: name, AppID: gf.appID}))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "created gallery %q, appId %s\n", g.Name, g.AppID)
			return nil
		case "update":
			return updateGallery(ctx, a, name, c, out)
		case "delete":
			return deleteGallery(ctx, a, name, where.dir, out)
		}
		return listGalleries(ctx, a, out)
	})
}

// withAdmin opens the store the flags name and runs fn with the rules
// over it.
func withAdmin(ctx context.Context, where storeFlags, fn func(*gallery.Admin) error) error {
	st, err := where.open(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	return fn(gallery.NewAdmin(st))
}

func updateGallery(ctx context.Context, a *gallery.Admin, name string, c gallery.GalleryChange, out io.Writer) error {
	before, after, err := a.UpdateGallery(ctx, name, c)
	if err != nil {
		return err
	}
	var changed []string
	for _, s := range []struct {
		name          string
		before, after any
	}{
		{"capacity", before.Capacity, after.Capacity},
		{"qps", before.QPS, after.QPS},
		{"daily searches", before.DailySearches, after.DailySearches},
		{"dau", before.DAU, after.DAU},
		{"suspended", before.Suspended, after.Suspended},
	} {
		if s.before != s.after {
			changed = append(changed, fmt.Sprintf("%s %v -> %v", s.name, s.before, s.after))
		}
	}
	if len(changed) == 0 {
		fmt.Fprintf(out, "gallery %q unchanged\n", name)
		return nil
	}
	fmt.Fprintf(out, "updated gallery %q: %s\n", name, strings.Join(changed, ", "))
	return nil
}

// deleteGallery deletes a gallery, and the dumps and import reports it
// left in the data folder dir.
func deleteGallery(ctx context.Context, a *gallery.Admin, name, dir string, out io.Writer) error {
	r, err := a.DeleteGallery(ctx, name)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(alibaba.TaskFolder(filepath.Join(dir, filesFolder), r.Gallery.ID)); err != nil {
		fmt.Fprintf(out, "deleted gallery %q, but not its task files: %v\n", r.Gallery.Name, err)
	}
	ids := make([]string, len(r.Keys))
	for i, k := range r.Keys {
		ids[i] = k.ID
	}
	fmt.Fprintf(out, "deleted gallery %q (appId %s) with %s and %s", r.Gallery.Name, r.Gallery.AppID,
		count(r.Targets, "target"), count(len(r.Keys), "key bound to it"))
	if len(ids) > 0 {
		fmt.Fprintf(out, " (%s)", strings.Join(ids, ", "))
	}
	fmt.Fprintln(out)
	return nil
}

// count writes n things, "1 target" or "2 targets".
func count(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	noun, rest, _ := strings.Cut(thing, " ")
	return strings.TrimSpace(fmt.Sprintf("%d %ss %s", n, noun, rest))
}

func listGalleries(ctx context.Context, a *gallery.Admin, out io.Writer) error {
	gs, err := a.Galleries(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tAPP ID\tTARGETS\tCAPACITY\tQPS\tDAILY\tDAU\tSUSPENDED")
	for _, g := range gs {
		n, err := a.CountTargets(ctx, g.ID)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%d\t%d\t%v\t%v\n", g.Name, g.AppID, n, g.Capacity, g.QPS, g.DailySearches, g.DAU, g.Suspended)
	}
	return w.Flush()
}

func keys(ctx context.Context, args []string, out io.Writer) error {
	verb, id, rest := verbAndName(args, func(v string) bool { return v == "delete" })
	fs := flag.NewFlagSet("keys "+verb, flag.ContinueOnError)
	var where storeFlags
	where.register(fs)
	galleryName := fs.String("gallery", "", "bind the key to this gallery only (a CRS appKey); empty: every gallery")
	keyID := fs.String("id", "", "key ID (generated when empty)")
	secret := fs.String("secret", "", "key secret (generated when empty)")
	if err := fs.Parse(rest); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("keys %s: unexpected %q", verb, fs.Arg(0))
	}
	switch verb {
	case "list", "create":
	case "delete":
		if id == "" {
			return errors.New("keys delete needs a key ID")
		}
	default:
		return fmt.Errorf("unknown keys command %q", verb)
	}
	return withAdmin(ctx, where, func(a *gallery.Admin) error {
		switch verb {
		case "create":
			return createKey(ctx, a, store.Key{ID: *keyID, Secret: *secret}, *galleryName, out)
		case "delete":
			k, err := a.DeleteKey(ctx, id)
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "deleted key %s (%s)\n", k.ID, boundTo(ctx, a, k))
			return nil
		}
		return listKeys(ctx, a, out)
	})
}

func createKey(ctx context.Context, a *gallery.Admin, k store.Key, galleryName string, out io.Writer) error {
	if galleryName != "" {
		g, err := a.GalleryByName(ctx, galleryName)
		if err != nil {
			return err
		}
		k.Gallery = g.ID
	}
	k, err := a.CreateKey(ctx, k)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "created key %s with secret %s for %s\n", k.ID, k.Secret, boundTo(ctx, a, k))
	return nil
}

// boundTo says which galleries a key may use.
func boundTo(ctx context.Context, a *gallery.Admin, k store.Key) string {
	if k.Gallery == 0 {
		return "every gallery"
	}
	names, err := galleryNames(ctx, a)
	if name, ok := names[k.Gallery]; err == nil && ok {
		return fmt.Sprintf("gallery %q", name)
	}
	return fmt.Sprintf("gallery %d", k.Gallery)
}

// galleryNames maps gallery IDs to names.
func galleryNames(ctx context.Context, a *gallery.Admin) (map[int64]string, error) {
	gs, err := a.Galleries(ctx)
	names := make(map[int64]string, len(gs))
	for _, g := range gs {
		names[g.ID] = g.Name
	}
	return names, err
}

func listKeys(ctx context.Context, a *gallery.Admin, out io.Writer) error {
	ks, err := a.Keys(ctx)
	if err != nil {
		return err
	}
	names, err := galleryNames(ctx, a)
	if err != nil {
		return err
	}
	names[0] = "(every gallery)"
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "KEY\tSECRET\tGALLERY")
	for _, k := range ks {
		fmt.Fprintf(w, "%s\t%s\t%s\n", k.ID, k.Secret, names[k.Gallery])
	}
	return w.Flush()
}
