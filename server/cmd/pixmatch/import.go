package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/pixmatch/pixmatch/server/importer"
)

// importPictures loads a folder of pictures into a gallery of a running
// server through the CRS API (package importer), with a progress bar on
// stderr, and prints the report. Failed pictures make it end in an error,
// after the report.
func importPictures(ctx context.Context, args []string, out io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	var o importer.Options
	fs.StringVar(&o.URL, "url", "http://127.0.0.1:8080", "the server")
	fs.StringVar(&o.AppID, "app-id", getenv("PIXMATCH_APP_ID"), "the gallery's appId (default $PIXMATCH_APP_ID)")
	fs.StringVar(&o.AppID, "gallery", getenv("PIXMATCH_APP_ID"), "the gallery, by its appId: another name of --app-id")
	fs.StringVar(&o.Key, "api-key", getenv("PIXMATCH_API_KEY"), "an API key (default $PIXMATCH_API_KEY)")
	fs.StringVar(&o.Secret, "api-secret", getenv("PIXMATCH_API_SECRET"), "its secret (default $PIXMATCH_API_SECRET)")
	fs.StringVar(&o.Meta, "meta", "", "a CSV or JSON lines file of per-picture file, name, meta, active, size and Alibaba attributes (productId, picName, categoryId, intAttr…, strAttr…)")
	fs.StringVar(&o.Journal, "journal", "", "the journal of outcomes (default DIR/"+importer.JournalName+")")
	fs.IntVar(&o.Clients, "clients", 4, "requests in flight at once")
	fs.BoolVar(&o.AllowSimilar, "allow-similar", false, "add a picture similar to a target already there, instead of reporting it (statusCode 419)")
	// The folder may come before the flags, as the usage line shows it.
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		o.Dir, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.Dir == "" && fs.NArg() == 1 {
		o.Dir = fs.Arg(0)
	} else if fs.NArg() > 0 || o.Dir == "" {
		return fmt.Errorf("usage: pixmatch import DIR [--url URL] [--app-id ID] [--meta FILE] [--clients N] [--allow-similar]")
	}
	if o.AppID == "" || o.Key == "" || o.Secret == "" {
		return fmt.Errorf("import needs the gallery's appId and an API key: --app-id, --api-key, --api-secret (or PIXMATCH_APP_ID, PIXMATCH_API_KEY, PIXMATCH_API_SECRET)")
	}
	o.Progress = os.Stderr
	rep, err := importer.Run(ctx, o)
	if err != nil && rep.Pictures == 0 {
		return err // refused before any request: nothing to report
	}
	rep.Write(out)
	if errors.Is(err, context.Canceled) {
		return errors.New("interrupted: run the same command again to resume")
	}
	if err != nil {
		return err
	}
	if len(rep.Failed) > 0 {
		return fmt.Errorf("%d of %d pictures failed", len(rep.Failed), rep.Pictures)
	}
	return nil
}
