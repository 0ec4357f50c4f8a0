//go:build js && wasm

// Command cmd is the entry point of pixmatch's Cloudflare Worker (see
// package worker), built by `make worker` into server/worker/build. It
// runs once per isolate: server/worker/worker.mjs starts it on the
// isolate's first request and hands it every request after. It opens the
// D1 database bound as DB and the R2 bucket bound as BUCKET
// (server/worker/wrangler.toml) on the first request, and assembles an
// app for each request (worker.Isolate), whose headers it gives back as
// the runtime had them (worker.Rejoined), whose bodies it reads whole
// (worker.WholeBody) and whose answers it hands over whole (worker.Whole:
// no leak across requests). It sets the collector (worker.TuneGC) and
// the signatures' SHA-256 to the platform's (worker.SHA256), logs
// a line per request only when PIXMATCH_LOG_REQUESTS says so
// (worker.Requests; failed and slow requests always) to console.log
// (worker.Console), collects its garbage before a request with a large
// body (worker.Collecting), and asks to be retired once its live heap
// passed worker.RetireLive (worker.Retiring). It returns when
// worker.mjs retires the instance.
package main

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"syscall/js"

	"github.com/syumai/workers"
	"github.com/syumai/workers/cloudflare"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/worker"
)

// The names of the bindings in wrangler.toml.
const (
	databaseBinding = "DB"
	bucketBinding   = "BUCKET"
)

func main() {
	worker.TuneGC()
	auth.UseSHA256(worker.SHA256)
	all, _ := strconv.ParseBool(cloudflare.Getenv(worker.EnvLogRequests))
	log := slog.New(worker.Requests(slog.NewTextHandler(worker.Console(), &slog.HandlerOptions{Level: slog.LevelInfo}), all))
	// Not workers.Serve: it returns after the first response, ending the
	// instance, where this one serves the isolate's requests until
	// worker.mjs retires it (binding.stop).
	stopped := stopFunc()
	// Collecting inside WholeBody, which gives the request the length of
	// the body worker.mjs read (its request to Go has none of its own).
	app := worker.Rejoined(worker.NewIsolate(open, cloudflare.Getenv, log))
	app = worker.Whole(worker.WholeBody(worker.Collecting(app, worker.CollectBody, worker.CollectGarbage)))
	workers.ServeNonBlock(worker.Retiring(app, worker.RetireLive, retire))
	workers.Ready()
	<-stopped
}

// stopFunc registers binding.stop, which worker.mjs calls to end a
// retired instance that serves no request any more, and returns the
// channel closed by its first call.
func stopFunc() <-chan struct{} {
	stopped := make(chan struct{})
	var once sync.Once
	js.Global().Get("context").Get("binding").Set("stop", js.FuncOf(func(js.Value, []js.Value) any {
		once.Do(func() { close(stopped) })
		return nil
	}))
	return stopped
}

// retire tells worker.mjs to retire the instance (binding.retire): its
// next request goes to a fresh one.
func retire() {
	js.Global().Get("context").Get("binding").Set("retire", true)
}

// open opens the store over the isolate's bindings.
func open(ctx context.Context) (*d1.Store, error) {
	db := worker.OpenD1(databaseBinding)
	blobs, err := worker.OpenR2(bucketBinding)
	if err != nil {
		return nil, err
	}
	return worker.OpenStore(ctx, db, blobs)
}
