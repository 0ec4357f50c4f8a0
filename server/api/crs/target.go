package crs

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/quality"
)

// targetJSON writes a target the way CRS does: size, active, allowSimilar
// and grade as strings, modified as milliseconds, the grade metrics as
// numbers, and any custom fields given at creation as they were given.
func targetJSON(t gallery.Target, appID string, tracking bool) map[string]any {
	m := listedJSON(t, appID)
	m["allowSimilar"] = bit(t.AllowSimilar)
	m["date"] = strconv.FormatInt(t.Created, 10)
	if r := t.Grade; r != nil {
		m["grade"] = strconv.Itoa(r.Detection())
		gradeFields(m, *r)
	}
	if tracking && t.Image != nil {
		m["trackingImage"] = base64.StdEncoding.EncodeToString(t.Image)
	}
	return m
}

// gradeFields sets the metrics of a grade report on m, by their CRS
// names (and pixmatch's detectableFeatureStability).
func gradeFields(m map[string]any, r quality.Report) {
	m["detectableRate"] = r.DetectableRate
	m["detectableDistinctiveness"] = r.DetectableDistinctiveness
	m["detectableFeatureCount"] = r.DetectableFeatureCount
	m["detectableFeatureDistribution"] = r.DetectableFeatureDistribution
	m["detectableFeatureStability"] = r.DetectableFeatureStability
	m["trackableRate"] = r.TrackableRate
	m["trackableDistinctiveness"] = r.TrackableDistinctiveness
	m["trackableFeatureCount"] = r.TrackableFeatureCount
	m["trackableFeatureDistribution"] = r.TrackableFeatureDistribution
	m["trackablePatchContrast"] = r.TrackablePatchContrast
	m["trackablePatchAmbiguity"] = r.TrackablePatchAmbiguity
}

// listedJSON is the short form of a target in GET /targets/infos, with
// its custom fields as they were given.
func listedJSON(t gallery.Target, appID string) map[string]any {
	m := extraJSON(t)
	m["targetId"] = t.ID
	m["name"] = t.Name
	m["size"] = t.Size
	m["meta"] = t.Meta
	m["type"] = t.Type
	m["appKey"] = appID
	m["active"] = bit(t.Active)
	m["modified"] = t.Modified
	return m
}

// extraJSON returns the custom fields given at creation, each as the raw
// JSON it was sent as: 12345678901234567890 and 1.50 come back as they
// are, not as the float64 that decoding would make of them.
func extraJSON(t gallery.Target) map[string]any {
	m := map[string]any{}
	var extra map[string]json.RawMessage
	if t.Extra == "" || json.Unmarshal([]byte(t.Extra), &extra) != nil {
		return m
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// withTarget returns the target's fields at the top level and again under
// "target": the documented shape and the one the official clients read.
func withTarget(m map[string]any) map[string]any {
	out := make(map[string]any, len(m)+1)
	for k, v := range m {
		out[k] = v
	}
	out["target"] = m
	return out
}

func bit(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
