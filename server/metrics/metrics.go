//go:build !(js && wasm)

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
	store    *prometheus.CounterVec
	follow   prometheus.Histogram
	sources  atomic.Pointer[Sources]
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
		Help: "Searches that ran, by API and outcome: the tier that found the best match (hash, features), or no_match.",
	}, []string{"api", "outcome"})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "pixmatch_log_lines_dropped_total",
		Help: "Access log lines of refused requests left out to keep the log readable under attack.",
	})
	m.store = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "pixmatch_store_errors_total",
		Help: "Store calls that failed (not the contract's answers such as not found), by method.",
	}, []string{"method"})
	m.follow = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "pixmatch_follow_delay_seconds",
		Help:    "Time from another server's commit of a change (its clock) to this server's indexes holding it by following.",
		Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.reg.MustRegister(m.requests, m.duration, m.searches, m.dropped, m.store, m.follow, gauges{m},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format. The
// galleries' sizes are read within each scrape's request context.
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		scrape := prometheus.NewRegistry()
		scrape.MustRegister(galleryGauges{m: m, ctx: r.Context()})
		promhttp.HandlerFor(prometheus.Gatherers{m.reg, scrape}, promhttp.HandlerOpts{}).ServeHTTP(w, r)
	})
}

// Followed observes the delay of a change following applied.
func (m *Metrics) Followed(d time.Duration) { m.follow.Observe(d.Seconds()) }

// Watch makes the gauges read s from now on.
func (m *Metrics) Watch(s Sources) { m.sources.Store(&s) }

// Answered counts an answered request.
func (m *Metrics) Answered(r Request) {
	status := strconv.Itoa(r.Status)
	m.requests.WithLabelValues(r.API, r.Action, status, r.Code).Inc()
	m.duration.WithLabelValues(r.API, r.Action, status).Observe(r.Duration.Seconds())
}

// Searched counts a search that ran in api, whose best match the tier
// found ("hash" or "features"), or none ("").
func (m *Metrics) Searched(api string, tier string) {
	outcome := NoMatch
	switch tier {
	case ByHash, ByFeatures:
		outcome = tier
	}
	m.searches.WithLabelValues(api, outcome).Inc()
}

// StoreFailed counts a store call that failed (server/store/observed);
// method is one of store.Store's method names.
func (m *Metrics) StoreFailed(method string) { m.store.WithLabelValues(method).Inc() }

// LogDropped counts an access log line left out.
func (m *Metrics) LogDropped() { m.dropped.Inc() }
