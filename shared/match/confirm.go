package match

import (
	"context"

	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
)

// Confirmation: where the two tiers disagree, the feature tier settles
// it. A hash-tier match that rests on part of a picture (Hit.Partial) —
// a corner or central window, a Centre80 turned back — is confirmed by
// verifying the target's feature record in the query; unconfirmed, it
// is refuted (Refute). A smooth crop can come within the threshold of a
// corner of another picture; its features cannot be mistaken for the
// other picture's.
//
// A match of Whole or Trimmed windows on both sides — a copy, a
// re-encode, a flip, a resize, what the hash tier answers best and the
// feature tier worst (tiny and mirrored pictures) — is never judged; nor
// is an exact one (distance below MinDistance), nor one the feature tier
// cannot judge: a target without a record (a browser without records, a
// server still remaking them), or a record or a query with fewer
// features than the verification needs inliers. Those stand as the hash
// tier scored them.

// ConfirmOptions say which partial matches the feature tier judges and
// how much evidence confirms one.
type ConfirmOptions struct {
	// MinDistance is the least distance of a judged match: a pair whose
	// hash and checks agree bit for bit (distance 0) is the hash tier's
	// strongest evidence, and most often a small or smooth copy whose
	// features cannot be verified.
	MinDistance int
	// MinInliers is the verification's (feature.VerifyOptions): a match
	// the hash tier found needs less evidence to be confirmed than a
	// target the feature tier finds on its own. A query or a record with
	// fewer features cannot be judged.
	MinInliers int
}

// Confirmation are the options of a search, chosen by measurement with
// make bench-quality (shared/fingerprint/QUALITY.md, "Confirming partial
// matches"): judging every partial match with 20 inliers, as the feature
// tier finds a target, cost resize-25 and crop-20 up to 4 % of their
// matches (small and smooth copies); 8 inliers — above the 5 that pairs
// matched at random reach — and exact pairs left standing cost at most
// one crop-20 query in 120, and refuted the off-centre crop of a smooth
// non-member that had matched a corner of a textured picture.
var Confirmation = ConfirmOptions{MinDistance: 1, MinInliers: 8}

// Verify returns the options of a confirming verification:
// feature.DefaultVerifyOptions with o.MinInliers.
func (o ConfirmOptions) Verify() feature.VerifyOptions {
	v := feature.DefaultVerifyOptions
	v.MinInliers = o.MinInliers
	return v
}

// Candidates returns the IDs of the hits, of a query with queryFeatures
// features, that o may judge: matches on part of a picture, not exact,
// when the query has features enough. They are the targets whose
// feature records a caller reads for Confirm.
func (o ConfirmOptions) Candidates(hits []Hit, queryFeatures int) []string {
	var ids []string
	for _, h := range hits {
		if o.candidate(h, queryFeatures) {
			ids = append(ids, h.ID)
		}
	}
	return ids
}

// candidate reports whether o may judge h, found by a query with
// queryFeatures features, before its target's record is read.
func (o ConfirmOptions) candidate(h Hit, queryFeatures int) bool {
	return h.Score >= 0.5 && h.Distance >= o.MinDistance && h.Partial() && queryFeatures >= o.MinInliers
}

// A Verifier reports whether the feature record rec of the target id is
// found in the query: the feature tier's verification (camera.VerifyWith,
// ConfirmOptions.Verify) of a shortlist of that one target.
type Verifier func(ctx context.Context, id string, rec feature.Record) (bool, error)

// Confirm returns hits, of a query with queryFeatures features, in the
// same order, each match that o judges — a candidate (Candidates) whose
// target has a record in records of at least o.MinInliers features —
// and verify does not find refuted (Refute). The error is verify's; hits
// is not changed.
func Confirm(ctx context.Context, hits []Hit, queryFeatures int, records map[string]feature.Record, verify Verifier, o ConfirmOptions) ([]Hit, error) {
	out := make([]Hit, len(hits))
	for i, h := range hits {
		out[i] = h
		rec, has := records[h.ID]
		if !o.candidate(h, queryFeatures) || !has || len(rec.Features) < o.MinInliers {
			continue
		}
		found, err := verify(ctx, h.ID, rec)
		if err != nil {
			return nil, err
		}
		if !found {
			out[i] = Refute(h)
		}
	}
	return out, nil
}

// Refute returns h as a match the feature tier refuted (Refuted), scored
// at most as the nearest distance beyond fingerprint.Threshold, below
// 0.5: no match, but it may be listed among the near neighbours
// (Options.Near).
func Refute(h Hit) Hit {
	h.Score, h.Refuted = min(h.Score, fingerprint.Score(fingerprint.Threshold+1)), true
	return h
}
