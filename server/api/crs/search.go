package crs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/quality"
)

// search recognises the picture of POST /search (JSON, base64 image) and
// POST /v2/search (multipart, image file). It answers the best match as
// result.target and, when expectNumber asks for more, every match in
// result.targets, each with a score in (0, 1]. No match is HTTP 404 with
// statusCode 17.
func (h *Handler) search(c echo.Context) error {
	r, o, err := h.openSearch(c)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	policy := h.policy
	policy.Search = true
	read := func(ctx context.Context) (*gallery.Picture, error) { return h.decode(ctx, r, policy) }
	matches, err := h.svc.Recognition.Search(ctx(c), r.gallery.ID, read, o)
	return h.found(c, r, matches, err, o)
}

// openSearch opens a search request: authenticated for reading, from a
// client the database serves, with its expectNumber and notracking.
func (h *Handler) openSearch(c echo.Context) (*request, gallery.SearchOptions, error) {
	r, err := h.open(c, auth.Read)
	if err != nil {
		return nil, gallery.SearchOptions{}, err
	}
	if err := h.checkClient(c, r); err != nil {
		return r, gallery.SearchOptions{}, err
	}
	limit, err := h.expectNumber(r)
	if err != nil {
		return r, gallery.SearchOptions{}, err
	}
	notracking, _, err := r.flag("notracking")
	if err != nil {
		return r, gallery.SearchOptions{}, apierror.CRSParameterInvalid.Because(err)
	}
	return r, gallery.SearchOptions{Limit: limit, Images: !notracking}, nil
}

// searchFeatures recognises a picture a client describes instead of
// sending it (POST /search/features): "features", a feature record of the
// picture (shared/feature, QueryOptions, encoded), and optionally
// "fingerprint", its query fingerprint (shared/fingerprint), each base64
// in a JSON or form body or a file part of a multipart one. It answers as
// /search does; corners are in pixels of the record's plane.
func (h *Handler) searchFeatures(c echo.Context) error {
	r, o, err := h.openSearch(c)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	read := func(context.Context) (gallery.Query, error) {
		features, err := r.binary("features")
		if err != nil {
			return gallery.Query{}, apierror.CRSParameterInvalid.Because(err)
		}
		if features == nil {
			return gallery.Query{}, apierror.CRSParameterInvalid.Because(errors.New("no features"))
		}
		print, err := r.binary("fingerprint")
		if err != nil {
			return gallery.Query{}, apierror.CRSParameterInvalid.Because(err)
		}
		q, err := gallery.ParseQuery(print, features)
		if err != nil {
			return q, apierror.CRSParameterInvalid.Because(err)
		}
		return q, nil
	}
	o.Locate = true // the browser sent its features to learn where the target is
	matches, err := h.svc.Recognition.SearchQuery(ctx(c), r.gallery.ID, read, o)
	return h.found(c, r, matches, err, o)
}

// found answers a search: the best match as result.target and, when
// expectNumber asked for more, every match as result.targets; no match is
// statusCode 17.
func (h *Handler) found(c echo.Context, r *request, matches []gallery.Match, err error, o gallery.SearchOptions) error {
	if err != nil {
		return h.fail(c, searchError(err), apierror.CRSRPCError)
	}
	tier := ""
	if len(matches) > 0 {
		tier = matches[0].Tier()
	}
	dialect.Searched(c, tier)
	if len(matches) == 0 {
		return h.fail(c, apierror.CRSNoResult, nil)
	}
	targets := make([]map[string]any, len(matches))
	for i, m := range matches {
		targets[i] = targetJSON(m.Target, r.gallery.AppID, o.Images)
		matchJSON(targets[i], m)
	}
	result := map[string]any{"target": targets[0]}
	if o.Limit > 1 {
		result["targets"] = targets
	}
	return h.ok(c, result)
}

// matchJSON adds to a target's JSON what the search found of it: its
// score and, when the feature tier located it, "corners": where the
// target's four corners are in the query picture, clockwise from its
// top-left, in pixels of the upright picture.
func matchJSON(m map[string]any, found gallery.Match) {
	m["score"] = found.Score
	if found.Corners != nil {
		corners := make([]map[string]float64, len(found.Corners))
		for i, c := range found.Corners {
			corners[i] = map[string]float64{"x": math.Round(c.X*10) / 10, "y": math.Round(c.Y*10) / 10}
		}
		m["corners"] = corners
	}
}

// expectNumber reads how many results a search wants: 1 to the maximum.
// More than the maximum is CRSTooManyCandidates.
func (h *Handler) expectNumber(r *request) (int, error) {
	n, ok, err := r.integer("expectNumber")
	switch {
	case err != nil:
		return 0, apierror.CRSParameterInvalid.Because(err)
	case !ok:
		return 1, nil
	case n > h.cfg.MaxExpectNumber:
		return 0, apierror.CRSTooManyCandidates.Because(fmt.Errorf("expectNumber %d is over %d", n, h.cfg.MaxExpectNumber))
	case n < 1:
		return 0, apierror.CRSParameterInvalid.Because(fmt.Errorf("expectNumber %d is under 1", n))
	}
	return n, nil
}

// checkClient enforces what a database billed by daily active users (DAU)
// accepts: only the SDK's multipart /v2/search (CRSNonSDKClient
// otherwise), and only from SDKs older than Sense 4.6 (CRSDAUIncompatible).
func (h *Handler) checkClient(c echo.Context, r *request) error {
	if !r.gallery.DAU {
		return nil
	}
	if !strings.HasPrefix(c.Path(), "/v2/") || r.file == nil {
		return apierror.CRSNonSDKClient.Because(fmt.Errorf("database %q is billed by DAU and %s is not the SDK's search", r.gallery.AppID, c.Path()))
	}
	major, minor, ok := senseVersion(c.Request().UserAgent())
	if !ok {
		return nil
	}
	if major > 4 || (major == 4 && minor >= 6) {
		return apierror.CRSDAUIncompatible.Because(fmt.Errorf("Sense %d.%d on DAU database %q", major, minor, r.gallery.AppID))
	}
	return nil
}

// searchError maps why a search could not run.
func searchError(err error) error {
	switch {
	case errors.Is(err, gallery.ErrThrottled):
		return apierror.CRSOutOfQPS.Because(err)
	case errors.Is(err, gallery.ErrDailyLimit):
		return apierror.CRSOutOfLimit.Because(err)
	case errors.Is(err, gallery.ErrSearchTimeout), errors.Is(err, gallery.ErrFeatureTimeout):
		return apierror.CRSTimeout.Because(err)
	case errors.Is(err, gallery.ErrNoActiveTargets):
		return apierror.CRSNoTarget.Because(err)
	case errors.Is(err, gallery.ErrSuspended):
		return apierror.CRSAppIDNotExist.Because(err)
	}
	return imageError(err)
}

// similar lists the targets, active or not, that look like the image: the
// ones that would refuse it as a new target.
func (h *Handler) similar(c echo.Context) error {
	r, err := h.open(c, auth.Read)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	pic, err := h.picture(ctx(c), r)
	if err != nil {
		return h.fail(c, err, apierror.CRSImageNotCorrect)
	}
	matches, err := h.svc.Recognition.Similar(ctx(c), r.gallery.ID, pic)
	if err != nil {
		return h.fail(c, searchError(err), apierror.CRSRPCError)
	}
	results := make([]map[string]any, len(matches))
	for i, m := range matches {
		results[i] = targetJSON(m.Target, r.gallery.AppID, false)
		matchJSON(results[i], m)
	}
	return h.ok(c, map[string]any{"results": results, "date": h.now().UTC().Format(dateLayout)})
}

// grade scores how well an image would work as a target: -1 for a bad
// image, 0 (easy) to 4 (hard) otherwise.
func (h *Handler) grade(kind string) echo.HandlerFunc {
	return func(c echo.Context) error {
		r, err := h.open(c, auth.Read)
		if err != nil {
			return h.fail(c, err, apierror.CRSRPCError)
		}
		// Any size is graded: a picture too small to use is a bad image, -1.
		lenient := h.policy
		lenient.Limits.MinSide = 0
		pic, err := h.decode(ctx(c), r, lenient)
		if err != nil {
			return h.fail(c, err, nil)
		}
		report := pic.Grade()
		switch kind {
		case "detection":
			return h.ok(c, map[string]any{"grade": report.Detection()})
		case "tracking":
			return h.ok(c, map[string]any{"grade": report.Tracking()})
		}
		return h.ok(c, detail(report))
	}
}

func detail(r quality.Report) map[string]any {
	m := map[string]any{"grade": r.Detection(), "detectionGrade": r.Detection(), "trackingGrade": r.Tracking()}
	gradeFields(m, r)
	return m
}
