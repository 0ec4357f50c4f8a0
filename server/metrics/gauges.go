//go:build !(js && wasm)

package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Descriptions of the gauges read from Sources.
var (
	targetsDesc = prometheus.NewDesc("pixmatch_gallery_targets",
		"Targets in a gallery's index, active or not.", []string{"gallery"}, nil)
	activeDesc = prometheus.NewDesc("pixmatch_gallery_active_targets",
		"Active targets in a gallery's index: what searches find.", []string{"gallery"}, nil)
	bodyDesc = prometheus.NewDesc("pixmatch_request_body_bytes_in_flight",
		"Bytes of request bodies the server holds now.", nil, nil)
	bodyCapDesc = prometheus.NewDesc("pixmatch_request_body_bytes_capacity",
		"Most bytes of request bodies the server holds at once.", nil, nil)
	decodeDesc = prometheus.NewDesc("pixmatch_decode_bytes_in_flight",
		"Bytes the pictures being decoded hold now, by their headers' account.", nil, nil)
	decodeCapDesc = prometheus.NewDesc("pixmatch_decode_bytes_capacity",
		"Most bytes the pictures being decoded hold at once.", nil, nil)
	taskDesc = prometheus.NewDesc("pixmatch_task_items",
		"Items of a running import or dump: to process (total), processed (done), failed.", []string{"gallery", "kind", "state"}, nil)
	jobsDesc = prometheus.NewDesc("pixmatch_jobs_running",
		"Background jobs running: imports, dumps, callbacks, feature remakes.", nil, nil)
	pendingDesc = prometheus.NewDesc("pixmatch_feature_pending",
		"Targets whose feature record is still to be made: added and not yet made, or found without one at the start.", nil, nil)
)

// gauges is the collector of the values read from the Sources at scrape
// time.
type gauges struct{ m *Metrics }

// Describe sends every description the collector may use.
func (g gauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{bodyDesc, bodyCapDesc, decodeDesc, decodeCapDesc, taskDesc, jobsDesc, pendingDesc} {
		ch <- d
	}
}

// Collect reads the sources Watch named.
func (g gauges) Collect(ch chan<- prometheus.Metric) {
	s := g.m.sources.Load()
	if s == nil {
		return
	}
	if s.BodyBytes != nil {
		inUse, capacity := s.BodyBytes()
		ch <- prometheus.MustNewConstMetric(bodyDesc, prometheus.GaugeValue, float64(inUse))
		ch <- prometheus.MustNewConstMetric(bodyCapDesc, prometheus.GaugeValue, float64(capacity))
	}
	if s.DecodeBytes != nil {
		inUse, capacity := s.DecodeBytes()
		ch <- prometheus.MustNewConstMetric(decodeDesc, prometheus.GaugeValue, float64(inUse))
		ch <- prometheus.MustNewConstMetric(decodeCapDesc, prometheus.GaugeValue, float64(capacity))
	}
	if s.Tasks != nil {
		for _, t := range s.Tasks() {
			for state, n := range map[string]int{"total": t.Total, "done": t.Done, "failed": t.Failed} {
				ch <- prometheus.MustNewConstMetric(taskDesc, prometheus.GaugeValue, float64(n), t.Gallery, t.Kind, state)
			}
		}
	}
	if s.Jobs != nil {
		ch <- prometheus.MustNewConstMetric(jobsDesc, prometheus.GaugeValue, float64(s.Jobs()))
	}
	if s.FeaturePending != nil {
		ch <- prometheus.MustNewConstMetric(pendingDesc, prometheus.GaugeValue, float64(s.FeaturePending()))
	}
}

// galleryGauges is the collector of the galleries' sizes, registered for
// one scrape: it reads them within that scrape's request context.
type galleryGauges struct {
	m   *Metrics
	ctx context.Context
}

// Describe sends the galleries' descriptions.
func (g galleryGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- targetsDesc
	ch <- activeDesc
}

// Collect reads the galleries' sizes.
func (g galleryGauges) Collect(ch chan<- prometheus.Metric) {
	s := g.m.sources.Load()
	if s == nil || s.Galleries == nil {
		return
	}
	for _, gal := range s.Galleries(g.ctx) {
		ch <- prometheus.MustNewConstMetric(targetsDesc, prometheus.GaugeValue, float64(gal.Targets), gal.Name)
		ch <- prometheus.MustNewConstMetric(activeDesc, prometheus.GaugeValue, float64(gal.Active), gal.Name)
	}
}
