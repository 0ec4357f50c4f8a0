package main

import (
	"cmp"
	"slices"

	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
)

// A bothPolicy is a way of merging the answers of the hash tier and the
// feature tier into one, each hit's score brought to the scale on which
// both tiers match at 0.5 (fingerprint.Score, feature.Verdict.Score).
type bothPolicy struct {
	name string
	// cascade: the hash tier's answer when its best hit matches, else the
	// feature tier's; otherwise every hit of both, by score.
	cascade bool
	// confirm scores below the threshold every match of the hash tier
	// on part of a picture that the feature tier refuted (match.Confirm),
	// as a server does.
	confirm bool
}

// bothPolicies are the merges measured, each a column of its own.
var bothPolicies = []bothPolicy{
	{name: "both, cascade", cascade: true, confirm: true},
	{name: "both, by score", confirm: true},
	{name: "both, unconfirmed"},
}

// bothThreshold is the score at which a merged hit matches.
const bothThreshold = 0.5

// merge returns the merged hits of one query: hash holds the hash tier's
// (Score = bits that agree, matching from hashThreshold), features the
// feature tier's (the verdict's Score, matching from bothThreshold).
// Hits below the threshold of either tier rank after every match, by
// score, so the best entry at any score is the hash tier's nearest when
// nothing matched. A policy that confirms takes a hash-tier match the
// feature tier refuted (Hit.Hash.Refuted) for a near hit.
func (p bothPolicy) merge(hash, features []Hit, hashThreshold float64) []Hit {
	scaled := make([]Hit, 0, len(hash)+len(features))
	for _, h := range hash {
		h.Score = fingerprint.Score(fingerprint.Bits - int(h.Score))
		if p.confirm && h.Hash.Refuted {
			h.Score = match.Refute(match.Hit{Score: h.Score}).Score
		}
		scaled = append(scaled, h)
	}
	hashMatched := slices.ContainsFunc(hash, func(h Hit) bool { return h.Score >= hashThreshold && !(p.confirm && h.Hash.Refuted) })
	if p.cascade && hashMatched {
		return scaled
	}
	for _, h := range features {
		if i := slices.IndexFunc(scaled, func(o Hit) bool { return o.ID == h.ID }); i >= 0 {
			if h.Score > scaled[i].Score {
				scaled[i] = h
			}
			continue
		}
		scaled = append(scaled, h)
	}
	slices.SortStableFunc(scaled, func(a, b Hit) int { return cmp.Compare(b.Score, a.Score) })
	return scaled
}

// addBothColumns appends to cr a column for every policy of bothPolicies,
// merging the answers of column hash (the hash tier) and column features
// (the feature tier) query by query. Their enrolment and query times are
// the sums of the two tiers'.
func addBothColumns(cr *CameraResults, hash, features int) {
	for _, p := range bothPolicies {
		h, f := cr.Columns[hash], cr.Columns[features]
		cr.Columns = append(cr.Columns, ColumnInfo{Name: p.name, Threshold: bothThreshold, Entries: max(h.Entries, f.Entries),
			EnrolSeconds: h.EnrolSeconds + f.EnrolSeconds, QuerySeconds: h.QuerySeconds + f.QuerySeconds})
		merged := make([][][]Hit, len(cr.Edits))
		for e := range cr.Edits {
			merged[e] = make([][]Hit, len(cr.Hits[hash][e]))
			for i := range merged[e] {
				merged[e][i] = p.merge(cr.Hits[hash][e][i], cr.Hits[features][e][i], h.Threshold)
			}
		}
		cr.Hits = append(cr.Hits, merged)
	}
}
