package worker

import (
	"net/http"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// The collector's settings of a Worker's Go instance (TuneGC).
//
// An isolate's one Go instance serves many requests, and a search
// allocates tens of megabytes (a picture's planes, D1's rows, the
// feature tier's lists) over a live heap of 10–20 MB: at Go's default
// (GOGC=100) the collector ran several times a search. GCPercent lets
// the heap grow to five times what was live, and MemoryLimit caps it,
// well within the isolate's 128 MB (the module's data, JavaScript's heap
// and the runtime's own take the rest): past the limit the collector
// runs as often as it must, whatever GCPercent says. An instance whose
// live heap passed RetireLive is retired (Retiring) before the
// collector has to run that often.
const (
	GCPercent   = 400
	MemoryLimit = 64 << 20
	RetireLive  = 32 << 20
)

// TuneGC applies GCPercent and MemoryLimit to the running program.
func TuneGC() {
	debug.SetGCPercent(GCPercent)
	debug.SetMemoryLimit(MemoryLimit)
}

// liveHeap is the metric Retiring reads: the heap the last collection
// found live.
const liveHeap = "/gc/heap/live:bytes"

// Retiring has h answer each request, and calls retire once, after the
// request that finds the live heap past live bytes (RetireLive on a
// Worker). The instance's live heap grows by about 20 KB a request (the
// callbacks syumai/workers never releases); worker.mjs starts a fresh
// instance for the next request once retire has told it to, and stops
// this one when its requests are answered.
func Retiring(h http.Handler, live uint64, retire func()) http.Handler {
	var once sync.Once
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(w, r)
		s := []metrics.Sample{{Name: liveHeap}}
		metrics.Read(s)
		if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > live {
			once.Do(retire)
		}
	})
}

// The collector runs before a request with a large body (Collecting)
// once this much garbage waits: a body of CollectBody bytes or more,
// garbage of CollectGarbage bytes or more.
//
// The collector of a Worker's Go instance lags. The instance runs only
// while a request is being answered, and with GCPercent a cycle begins
// when the heap nears MemoryLimit, so the memory a large request
// allocates (the app's copy of its body, the form or JSON read from it,
// the picture decoded) comes before the cycle that would free the last
// large request's, and the instance grows past MemoryLimit by about that
// much: WebAssembly memory never shrinks. Measured under wrangler dev
// (TestUnderWorkerd's large bodies: unsigned Alibaba searches of 12 MB,
// one after another, which leave nothing live), the last three of six
// searches grew the instance by 27 MB; collecting first, by nothing. A
// collection costs a few milliseconds of CPU over the instance's live
// heap of 10-20 MB (4 to 8 ms measured), so it is paid only by the
// requests that need the room: a camera frame's body of 100 KB never
// triggers it, nor does a large body over a heap with little garbage.
const (
	CollectBody    = 2 << 20
	CollectGarbage = 16 << 20
)

// heapObjects is the metric Collecting reads beside liveHeap: the
// heap's objects, live and garbage not yet swept.
const heapObjects = "/memory/classes/heap/objects:bytes"

// Collecting has h answer each request, after a collection when the
// request's Content-Length is body bytes or more and the heap holds
// garbage bytes or more: the garbage is freed before the request
// allocates, and its memory is reused rather than added to.
func Collecting(h http.Handler, body int64, garbage uint64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength >= body && heapGarbage() >= garbage {
			runtime.GC()
		}
		h.ServeHTTP(w, r)
	})
}

// heapGarbage returns the bytes of the heap's objects that the last
// collection did not find live: garbage since, and what was allocated
// since and is still live, which no collection could free.
func heapGarbage() uint64 {
	s := []metrics.Sample{{Name: heapObjects}, {Name: liveHeap}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - min(s[0].Value.Uint64(), s[1].Value.Uint64())
}
