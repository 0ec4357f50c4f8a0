package worker

import (
	"net/http"
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
