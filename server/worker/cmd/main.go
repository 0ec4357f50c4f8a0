//go:build js && wasm

// Command cmd is the entry point of pixmatch's Cloudflare Worker (see
// package worker), built by `make worker` into server/worker/build. It
// runs once per request: it opens the D1 database bound as DB and the R2
// bucket bound as BUCKET (server/worker/wrangler.toml), assembles the app
// and serves the request.
package main

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"os"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"
	_ "github.com/syumai/workers/cloudflare/d1" // the "d1" database/sql driver

	"github.com/pixmatch/pixmatch/server/worker"
)

// The names of the bindings in wrangler.toml.
const (
	databaseBinding = "DB"
	bucketBinding   = "BUCKET"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	workers.Serve(handler(context.Background(), log))
}

func handler(ctx context.Context, log *slog.Logger) (h http.Handler) {
	db, err := sql.Open("d1", databaseBinding)
	if err != nil {
		return worker.Failed(err, log)
	}
	blobs, err := worker.OpenR2(bucketBinding)
	if err != nil {
		return worker.Failed(err, log)
	}
	h, err = worker.New(ctx, db, blobs, cloudflare.Getenv, log)
	if err != nil {
		return worker.Failed(err, log)
	}
	return h
}
