package worker

import (
	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
)

// A Worker isolate has 128 MB for everything: V8's own heap (worker.mjs,
// the D1 and R2 clients, a body as the runtime reads it) and the Go
// instance's WebAssembly memory, which never shrinks. worker.mjs hands
// the instance one request at a time and retires it once its memory
// passed 80 MB after a request; between requests it holds about 25 MB
// live (the vocabulary decoded, the feature records it keeps, the
// runtime), and its collector lets the heap grow towards a soft limit of
// 64 MB (TuneGC). What one request adds to that is bounded here, for the
// isolate as a whole (each request has an app of its own: Isolate). A
// server's bounds (config.Default: 512 MB of pictures being decoded, 128
// MB of bodies) let one search of a 265 KB PNG of 8000×8000 pixels take
// the Go instance to 282 MB, which on Cloudflare ends the isolate and
// every request it serves.
const (
	// IsolateDecodeBytes is the memory a picture being decoded may take,
	// as its header declares it (imagefile.Info.Cost; a search's JPEG
	// that lumajpeg reads, imagefile.LumaCost): a baseline JPEG searched
	// for of up to about 24 megapixels when read at full size, more when
	// its planes let it be read reduced; a target's, or a progressive
	// one, of up to about 16 (4:2:0); a PNG of up to 6 of 8-bit RGBA.
	// A picture that would need more is refused as too large (CRS 422,
	// Alibaba UnsupportedPicPixels). Searches of pictures just under it,
	// one after another, took the instance's memory from 25 MB to 48, 73
	// and 96–101 MB, after which the instance retired (measured before
	// WholeBody let go of each body at its request's end and Collecting
	// ran the collector before a large one).
	IsolateDecodeBytes = 24 << 20
	// IsolateBodyBytes is the memory the apps' copies of the request
	// bodies of an isolate may hold: the largest body the APIs take
	// (Alibaba's 16 MB) fits once. (The app's copy is the only one in the
	// Go instance: WholeBody hands it the bytes worker.mjs read, and the
	// bodies worker.mjs reads ahead are bounded there.)
	IsolateBodyBytes = 20 << 20
)

// MaxWholeBody is the largest body an API of the app reads: worker.mjs
// reads a body whole up to it (bodyLimit) before the request's turn, and
// WholeBody hands it over in one piece.
func MaxWholeBody() int64 {
	c := config.Default()
	return max(c.CRS.MaxBodyBytes(), c.Alibaba.MaxBodyBytes)
}

// BodyMarkHeader is the header worker.mjs marks a request with when it
// took its body (a client's own is removed): "read N" when it read the
// body ahead and keeps it for the Go instance to take, "late" when the
// body did not arrive within config.Server.BodyTimeout, "busy" when the
// bodies read ahead of their turns held all they may. WholeBody gives
// the app the body read, or one that fails with a passed deadline, or
// busy.
const BodyMarkHeader = "X-Pixmatch-Body"

// Config returns the configuration of a Worker's apps: the services'
// defaults, with the memory bounds of a server cut to an isolate's.
func Config() config.Config {
	c := config.Default()
	c.Server.DecodeBytes = IsolateDecodeBytes
	c.Server.BodyBytes = IsolateBodyBytes
	return c
}

// Shared is what the requests of one isolate share, each through an app
// of its own: the feature records decoded for verification (a checked
// cache: see Isolate), and the budgets of the memory pictures being
// decoded and bodies being held may take at once.
type Shared struct {
	Records *gallery.RecordCache
	Decodes *budget.Budget
	Bodies  *budget.Budget
}

// NewShared returns the shares of a new isolate: a record cache of
// IsolateRecordFeatures, budgets of Config's sizes.
func NewShared() *Shared {
	c := Config()
	return &Shared{
		Records: gallery.NewCheckedRecordCache(IsolateRecordFeatures),
		Decodes: budget.New(c.Server.DecodeBytes),
		Bodies:  budget.New(c.Server.BodyBytes),
	}
}
