// Package metrics keeps the numbers an operator watches a running
// pixmatch by, and serves them in the Prometheus text format.
//
// A Metrics has its own registry, never the process-wide default one, so
// that every server (and every test) counts alone. It holds:
//
//	pixmatch_http_requests_total{api,action,status,code}     counter
//	pixmatch_http_request_duration_seconds{api,action,status} histogram
//	pixmatch_searches_total{api,outcome}                      counter (outcome: hash, features, no_match)
//	pixmatch_log_lines_dropped_total                          counter
//	pixmatch_store_errors_total{method}                       counter
//	pixmatch_gallery_targets{gallery}                         gauge
//	pixmatch_gallery_active_targets{gallery}                  gauge
//	pixmatch_follow_delay_seconds                             histogram
//	pixmatch_request_body_bytes_in_flight                     gauge
//	pixmatch_request_body_bytes_capacity                      gauge
//	pixmatch_decode_bytes_in_flight                           gauge
//	pixmatch_decode_bytes_capacity                            gauge
//	pixmatch_jobs_running                                     gauge
//	pixmatch_task_items{gallery,kind,state}                   gauge (state: total, done, failed)
//	pixmatch_feature_pending                                  gauge
//
// and the Go runtime's and the process's standard collectors (go_*,
// process_*). api is crs, alibaba, sync, web or ops (the operator's own
// paths: /metrics, /healthz, /readyz); action is the route ("GET
// /target/:id") or the Alibaba action ("SearchImageByPic"), "unrouted"
// for a path no route serves; code is the catalogue code the request was
// answered with ("" for a success). Every label value comes from a fixed
// set the server defines, never from what a client sent, so that no
// client can grow the number of series.
//
// The gauges read their sources when scraped: the server names them with
// Watch, and a later Watch replaces them (a restarted handler). The
// galleries' sizes are read within the scrape request's context: a
// server that shares its store with others counts what every server
// committed (it catches up first), and leaves out a gallery it could not
// count (the store down), rather than report a size it cannot vouch for.
//
// pixmatch_follow_delay_seconds is, for a server sharing its store, how
// long after its commit (by the writing server's clock) each change of
// another server was in this server's indexes by following alone
// (Followed): the delay a request that does not catch up itself would
// see.
package metrics

import (
	"context"
	"time"
)

// Sources are where the gauges read the server's state. A nil field
// leaves its gauges out.
type Sources struct {
	// Galleries returns the size of every gallery's index, read within
	// the scrape's context (a server sharing its store catches up first).
	Galleries func(ctx context.Context) []Gallery
	// BodyBytes returns the bytes of request bodies held now and the
	// most the server holds at once.
	BodyBytes func() (inUse, capacity int64)
	// DecodeBytes returns the bytes the pictures being decoded hold now
	// and the most they hold at once.
	DecodeBytes func() (inUse, capacity int64)
	// Jobs returns how many background jobs are running.
	Jobs func() int
	// Tasks returns the imports and dumps running, with their progress.
	Tasks func() []Task
	// FeaturePending returns how many targets wait for their feature
	// record, which the feature tier finds them by.
	FeaturePending func() int
}

// Task is the progress of a running import or dump.
type Task struct {
	Gallery             string // the gallery's name
	Kind                string // import or dump
	Total, Done, Failed int    // items to process, processed, failed
}

// Gallery is the size of one gallery's index.
type Gallery struct {
	Name    string
	Targets int // every target
	Active  int // the targets searches find
}

// Request is one answered HTTP request.
type Request struct {
	API      string // crs, alibaba, sync, web or ops
	Action   string // the route or the Alibaba action
	Status   int    // the HTTP status
	Code     string // the catalogue code, "" for a success
	Duration time.Duration
}

// Outcomes of a search: the tier that found its best match, or none.
const (
	ByHash     = "hash"
	ByFeatures = "features"
	NoMatch    = "no_match"
)
