package crs

import (
	"encoding/base64"
	"encoding/json"
	"strconv"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/quality"
)

// targetJSON writes a target the way CRS does: size, active, allowSimilar
// and grade as strings, modified as milliseconds, the grade metrics as
// numbers, and any custom fields given at creation as they were given.
func targetJSON(t store.Target, appID string, tracking bool) map[string]any {
	m := map[string]any{}
	if t.Extra != "" {
		var extra map[string]any
		if json.Unmarshal([]byte(t.Extra), &extra) == nil {
			for k, v := range extra {
				m[k] = v
			}
		}
	}
	m["targetId"] = t.ID
	m["name"] = t.Name
	m["size"] = t.Size
	m["meta"] = t.Meta
	m["type"] = t.Type
	m["active"] = bit(t.Active)
	m["allowSimilar"] = bit(t.AllowSimilar)
	m["modified"] = t.Modified
	m["date"] = strconv.FormatInt(t.Created, 10)
	m["appKey"] = appID
	var r quality.Report
	if r.UnmarshalBinary(t.Grade) == nil {
		m["grade"] = strconv.Itoa(r.Detection())
		m["detectableRate"] = r.DetectableRate
		m["detectableDistinctiveness"] = r.DetectableDistinctiveness
		m["detectableFeatureCount"] = r.DetectableFeatureCount
		m["detectableFeatureDistribution"] = r.DetectableFeatureDistribution
		m["trackableRate"] = r.TrackableRate
		m["trackableDistinctiveness"] = r.TrackableDistinctiveness
		m["trackableFeatureCount"] = r.TrackableFeatureCount
		m["trackableFeatureDistribution"] = r.TrackableFeatureDistribution
		m["trackablePatchContrast"] = r.TrackablePatchContrast
		m["trackablePatchAmbiguity"] = r.TrackablePatchAmbiguity
	}
	if tracking && t.Image != nil {
		m["trackingImage"] = base64.StdEncoding.EncodeToString(t.Image)
	}
	return m
}

// listedJSON is the short form of a target in GET /targets/infos.
func listedJSON(t store.Target, appID string) map[string]any {
	return map[string]any{
		"targetId": t.ID,
		"name":     t.Name,
		"size":     t.Size,
		"meta":     t.Meta,
		"type":     t.Type,
		"appKey":   appID,
		"active":   bit(t.Active),
		"modified": t.Modified,
	}
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
