//go:build js && wasm

package metrics

import (
	"net/http"
	"time"
)

// Built for js/wasm, the server is the Cloudflare Worker's, which serves
// no /metrics (each request runs in a fresh instance, so there is nothing
// to count across them): Metrics counts nothing, and the Prometheus
// client is not linked into the Worker's module.
type Metrics struct{}

// New returns metrics that count nothing.
func New() *Metrics { return &Metrics{} }

// Handler answers 404.
func (m *Metrics) Handler() http.Handler { return http.NotFoundHandler() }

// Watch does nothing.
func (m *Metrics) Watch(Sources) {}

// Answered does nothing.
func (m *Metrics) Answered(Request) {}

// Followed does nothing.
func (m *Metrics) Followed(time.Duration) {}

// Searched does nothing.
func (m *Metrics) Searched(string, string) {}

// StoreFailed does nothing.
func (m *Metrics) StoreFailed(string) {}

// LogDropped does nothing.
func (m *Metrics) LogDropped() {}
