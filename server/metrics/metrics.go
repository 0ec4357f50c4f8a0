// Package metrics keeps the numbers an operator watches a running
// pixmatch by, and serves them in the Prometheus text format.
//
// A Metrics has its own registry, never the process-wide default one, so
// that every server (and every test) counts alone. It holds:
//
//	pixmatch_http_requests_total{api,action,status,code}     counter
//	pixmatch_http_request_duration_seconds{api,action,status} histogram
//	pixmatch_searches_total{api,outcome}                      counter (outcome: matched, no_match)
//	pixmatch_log_lines_dropped_total                          counter
//	pixmatch_gallery_targets{gallery}                         gauge
//	pixmatch_gallery_active_targets{gallery}                  gauge
//	pixmatch_request_body_bytes_in_flight                     gauge
//	pixmatch_request_body_bytes_capacity                      gauge
//	pixmatch_jobs_running                                     gauge
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
// Watch, and a later Watch replaces them (a restarted handler).
package metrics

import (
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the numbers of one server. It is safe for concurrent use.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	searches *prometheus.CounterVec
	dropped  prometheus.Counter
	sources  atomic.Pointer[Sources]
}

// Sources are where the gauges read the server's state. A nil field
// leaves its gauges out.
type Sources struct {
	// Galleries returns the size of every gallery's index.
	Galleries func() []Gallery
	// BodyBytes returns the bytes of request bodies held now and the
	// most the server holds at once.
	BodyBytes func() (inUse, capacity int64)
	// Jobs returns how many background jobs are running.
	Jobs func() int
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

// New returns metrics on a registry of their own.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmatch_http_requests_total",
		Help: "HTTP requests answered, by API, action, HTTP status and catalogue code.",
	}, []string{"api", "action", "status", "code"})
	m.duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "pixmatch_http_request_duration_seconds",
		Help:    "Time to answer an HTTP request, by API, action and HTTP status.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"api", "action", "status"})
	m.searches = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmatch_searches_total",
		Help: "Searches that ran, by API and outcome (matched, no_match).",
	}, []string{"api", "outcome"})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pixmatch_log_lines_dropped_total",
		Help: "Access log lines of refused requests left out to keep the log readable under attack.",
	})
	m.reg.MustRegister(m.requests, m.duration, m.searches, m.dropped, gauges{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Watch makes the gauges read s from now on.
func (m *Metrics) Watch(s Sources) { m.sources.Store(&s) }

// Answered counts an answered request.
func (m *Metrics) Answered(r Request) {
	status := strconv.Itoa(r.Status)
	m.requests.WithLabelValues(r.API, r.Action, status, r.Code).Inc()
	m.duration.WithLabelValues(r.API, r.Action, status).Observe(r.Duration.Seconds())
}

// Outcomes of a search.
const (
	Matched = "matched"
	NoMatch = "no_match"
)

// Searched counts a search that ran in api and matched or not.
func (m *Metrics) Searched(api string, matched bool) {
	outcome := NoMatch
	if matched {
		outcome = Matched
	}
	m.searches.WithLabelValues(api, outcome).Inc()
}

// LogDropped counts an access log line left out.
func (m *Metrics) LogDropped() { m.dropped.Inc() }
