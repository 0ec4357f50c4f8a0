//go:build js && wasm

package worker

import (
	"context"
	"errors"
	"syscall/js"

	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
)

// VocabularyAsset is the path of the trained vocabulary among the
// Worker's static assets (camera.EncodeVocabulary's bytes, as
// shared/camera/vocabulary.bin holds them). worker.mjs fetches it through
// the assets binding (wrangler.toml: [assets] binding = "ASSETS") once
// per isolate and keeps the bytes for the isolate's Go instances, so an
// instance retired and replaced does not fetch it again.
const VocabularyAsset = "/vocabulary.bin"

// loadVocabulary copies the bytes worker.mjs fetched
// (globalThis.pixmatchVocabulary) and decodes them.
func loadVocabulary(ctx context.Context) (*bow.Vocabulary, error) {
	bytes, err := await(ctx, js.Global().Call("pixmatchVocabulary"))
	if err != nil {
		return nil, err
	}
	return camera.DecodeVocabulary(goBytes(bytes))
}

// await waits for a JavaScript promise, or for ctx to end.
func await(ctx context.Context, p js.Value) (js.Value, error) {
	type settled struct {
		v   js.Value
		err error
	}
	done := make(chan settled, 1)
	var then, catch js.Func
	then = js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- settled{v: args[0]}
		return nil
	})
	catch = js.FuncOf(func(_ js.Value, args []js.Value) any {
		done <- settled{err: errors.New(args[0].Call("toString").String())}
		return nil
	})
	p.Call("then", then, catch)
	select {
	case s := <-done:
		then.Release()
		catch.Release()
		return s.v, s.err
	case <-ctx.Done():
		return js.Value{}, ctx.Err() // the callbacks stay, for the promise to settle into
	}
}
