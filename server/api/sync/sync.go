// Package sync serves followers of a gallery — the browser's WebAssembly
// module above all — with the gallery's searchable part: a snapshot, or
// the changes since the version they hold, in the shared/syncwire format;
// and, per target, its details and a thumbnail. Requests authenticate like
// CRS requests (an access token with READ, or a signed query).
//
// Every target comes with the part of its codes a follower keeps
// (profileFor). A gallery of at most FeatureTargets active targets also
// sends each active target's feature record, cut to FeaturesPerTarget
// features (synced), with which the follower finds prints in camera
// frames itself; a larger one's batches carry no records. A follower whose
// copy holds records, asking for the changes of a gallery that has grown
// past FeatureTargets (or the other way round), finds the delta does not
// follow its copy (syncwire.ErrGap) and fetches a snapshot.
package sync

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/crs"
	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/match"
	"github.com/pixmatch/pixmatch/shared/syncwire"
)

// ContentType is the media type of a syncwire batch.
const ContentType = "application/x-pixmatch-sync"

// thumbSide is the longer side of a thumbnail, in pixels.
const thumbSide = 256

// Handler serves the sync API.
type Handler struct {
	svc       *gallery.Service
	verifier  *auth.Verifier
	log       *slog.Logger
	snapshots *snapshotCache // each gallery's latest snapshot, encoded
}

// New returns the sync handler over svc: requests authenticate with
// verifier as CRS requests do.
func New(svc *gallery.Service, verifier *auth.Verifier, log *slog.Logger) *Handler {
	return &Handler{svc: svc, verifier: verifier, log: dialect.Logger(log), snapshots: newSnapshotCache(snapshotCacheBytes)}
}

// Routes adds the routes to e.
func (h *Handler) Routes(e *echo.Echo) {
	e.GET("/sync/:appId", h.batch)
	e.GET("/sync/:appId/targets/:ref", h.target)
	e.GET("/sync/:appId/targets/:ref/image", h.image)
}

// open authenticates a request for READ on the gallery its path names.
func (h *Handler) open(c echo.Context) (store.Gallery, error) {
	appID := c.Param("appId")
	params := auth.ParamsFromValues(c.QueryParams())
	params["appId"] = appID
	p, err := h.verifier.Verify(c.Request().Context(), params, c.Request().Header.Get(echo.HeaderAuthorization))
	if err != nil {
		return store.Gallery{}, err
	}
	g, err := h.svc.Galleries.ByAppID(appID)
	if err != nil {
		return g, apierror.CRSAppIDNotExist.Because(err)
	}
	if !p.Can(appID, g.ID, auth.Read) {
		if p.Method == auth.Token {
			return g, apierror.CRSInvalidAppKeyToken.Because(fmt.Errorf("key %q may not read %q", p.KeyID, appID))
		}
		return g, apierror.CRSAppIDNotExist.Because(fmt.Errorf("key %q may not read %q", p.KeyID, appID))
	}
	if err := h.svc.Galleries.Serving(g.ID); err != nil {
		return g, apierror.CRSAppIDNotExist.Because(err)
	}
	return g, nil
}

// fail answers with a CRS envelope.
func (h *Handler) fail(c echo.Context, err error) error {
	e, ok := errors.AsType[*apierror.Error](err)
	if !ok || e.Dialect != apierror.CRS {
		e = apierror.CRSRPCError.Because(err)
	}
	dialect.Failed(h.log, c, e, err)
	return crs.Error(c, e, time.Now())
}

// etag names a gallery version.
func etag(v int64) string { return `"v` + strconv.FormatInt(v, 10) + `"` }

// batch answers GET /sync/{appId}?since=V: 304 when the gallery is still
// at V, else the changes since V, or a snapshot when V is 0, unknown, or
// further behind than a snapshot is large.
func (h *Handler) batch(c echo.Context) error {
	g, err := h.open(c)
	if err != nil {
		return h.fail(c, err)
	}
	ctx := c.Request().Context()
	// The version and the counts are those of the store, not of this
	// server's indexes, which may follow another server's writes a moment
	// late: a follower that synced through that server is never answered
	// "not modified", or sent an older snapshot, by this one.
	if g, err = h.svc.Galleries.Fresh(ctx, g.ID); err != nil {
		return h.fail(c, err)
	}
	since, _ := strconv.ParseInt(c.QueryParam("since"), 10, 64)
	if since < 0 || since > g.Version {
		since = 0 // a copy from another life of the gallery: start over
	}
	if match := c.Request().Header.Get("If-None-Match"); match != "" && match == etag(g.Version) && since == g.Version {
		c.Response().Header().Set("ETag", etag(g.Version))
		return c.NoContent(http.StatusNotModified)
	}
	n, active, err := h.svc.Targets.Counts(ctx, g.ID)
	if err != nil {
		return h.fail(c, err)
	}
	profile, features := profileFor(n), carriesFeatures(active)
	zipped := strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip")
	if since > 0 {
		d, err := h.svc.Sync.Changed(ctx, g.ID, since, max(64, n/2))
		switch {
		case errors.Is(err, gallery.ErrTooManyChanges):
			since = 0
		case err != nil:
			return h.fail(c, err)
		default:
			b, at := delta(d, profile)
			data, err := h.encode(c, g.ID, b, at, features)
			if err != nil {
				return h.fail(c, err)
			}
			if zipped {
				data = compress(data)
			}
			return send(c, data, b.To, zipped)
		}
	}
	data, to, err := h.snapshots.snapshot(g, zipped, func() ([]byte, int64, error) {
		b, at, err := h.snapshot(c, g.ID, profile)
		if err != nil {
			return nil, 0, err
		}
		data, err := h.encode(c, g.ID, b, at, features)
		return data, b.To, err
	})
	if err != nil {
		return h.fail(c, err)
	}
	return send(c, data, to, zipped)
}

// encode gives b's puts at the positions at their feature records when
// the gallery's followers are sent them, and encodes b.
func (h *Handler) encode(c echo.Context, gallery int64, b syncwire.Batch, at map[string]int, features bool) ([]byte, error) {
	if features {
		if err := h.attachFeatures(c.Request().Context(), gallery, &b, at); err != nil {
			return nil, err
		}
	}
	return syncwire.Encode(b)
}

// send answers with an encoded batch that takes a follower to version to,
// gzip-compressed when zipped.
func send(c echo.Context, data []byte, to int64, zipped bool) error {
	res := c.Response()
	res.Header().Set("ETag", etag(to))
	res.Header().Set("X-Pixmatch-Version", strconv.FormatInt(to, 10))
	res.Header().Set("Cache-Control", "no-cache")
	if zipped {
		res.Header().Set("Content-Encoding", "gzip")
		res.Header().Set("Vary", "Accept-Encoding")
	}
	return c.Blob(http.StatusOK, ContentType, data)
}

// browserProfileTargets is the most targets a gallery may hold for its
// followers to be sent match.Browser codes; a larger one's are sent
// match.Compact codes. Measured (make bench, BenchmarkBrowserSearch), a
// first sync of 50,000 targets of match.Browser and one of 100,000 of
// match.Compact each stay within 3 MB.
const browserProfileTargets = 50_000

// profileFor returns the part of each target's codes followers of a
// gallery of n targets are sent.
func profileFor(n int) match.Profile {
	if n > browserProfileTargets {
		return match.Compact
	}
	return match.Browser
}

// snapshot returns every live target of a gallery as a snapshot batch of
// codes of profile p, and the positions of its active targets' puts by
// target ID.
func (h *Handler) snapshot(c echo.Context, id int64, p match.Profile) (syncwire.Batch, map[string]int, error) {
	b := newBatch(syncwire.Snapshot, p)
	at := map[string]int{}
	v, err := h.svc.Sync.Snapshot(c.Request().Context(), id, func(t gallery.Target, fp fingerprint.Fingerprint) error {
		if r, ok := record(t, fp, p); ok {
			if t.Active {
				at[t.ID] = len(b.Records)
			}
			b.Records = append(b.Records, r)
		}
		return nil
	})
	b.To = v
	return b, at, err
}

// delta returns the changes d as a delta batch of codes of profile p, and
// the positions of the puts of active targets by target ID.
func delta(d gallery.Delta, p match.Profile) (syncwire.Batch, map[string]int) {
	b := newBatch(syncwire.Delta, p)
	b.From, b.To = d.From, d.To
	at := map[string]int{}
	for _, c := range d.Put {
		if c.Fingerprint == nil {
			continue // a target being fingerprinted anew: it comes with its next change
		}
		r, ok := record(c.Target, *c.Fingerprint, p)
		switch {
		case !ok:
			r = syncwire.Record{Seq: uint64(c.Target.Seq), Deleted: true}
		case c.Target.Active:
			at[c.Target.ID] = len(b.Records)
		}
		b.Records = append(b.Records, r)
	}
	for _, seq := range d.Deleted {
		b.Records = append(b.Records, syncwire.Record{Seq: uint64(seq), Deleted: true})
	}
	return b, at
}

// newBatch returns an empty batch of the given kind carrying codes of
// profile p.
func newBatch(kind syncwire.Kind, p match.Profile) syncwire.Batch {
	return syncwire.Batch{Kind: kind, Fingerprint: fingerprint.Version, Tables: int(fingerprint.Windows), Checks: p.Checks}
}

// record returns the record of a target with fingerprint fp, and false if
// p keeps no code of fp.
func record(t gallery.Target, fp fingerprint.Fingerprint, p match.Profile) (syncwire.Record, bool) {
	codes := p.Codes(fp)
	return syncwire.Record{Seq: uint64(t.Seq), Active: t.Active, Codes: codes, Name: t.Name, Attrs: t.Attributes()}, len(codes) > 0
}

// lookup finds the target a path names by sequence number or targetId.
func (h *Handler) lookup(c echo.Context, g store.Gallery, image bool) (gallery.Target, error) {
	ref := c.Param("ref")
	ctx := c.Request().Context()
	var t gallery.Target
	var err error
	if seq, perr := strconv.ParseInt(ref, 10, 64); perr == nil {
		t, err = h.svc.Sync.BySeq(ctx, g.ID, seq, image)
	} else {
		t, err = h.svc.Targets.Get(ctx, g.ID, ref, image)
	}
	if errors.Is(err, gallery.ErrNotFound) {
		return t, apierror.CRSTargetNotFound.Because(err)
	}
	return t, err
}

// target answers a target's details.
func (h *Handler) target(c echo.Context) error {
	g, err := h.open(c)
	if err != nil {
		return h.fail(c, err)
	}
	t, err := h.lookup(c, g, false)
	if err != nil {
		return h.fail(c, err)
	}
	return c.JSON(http.StatusOK, map[string]any{
		"seq": t.Seq, "targetId": t.ID, "name": t.Name, "meta": t.Meta, "active": t.Active,
		"size": t.Size, "modified": t.Modified, "productId": t.ProductID, "picName": t.PicName,
		"customContent": t.CustomContent,
	})
}

// image answers a target's thumbnail.
func (h *Handler) image(c echo.Context) error {
	g, err := h.open(c)
	if err != nil {
		return h.fail(c, err)
	}
	t, err := h.lookup(c, g, true)
	if err != nil {
		return h.fail(c, err)
	}
	tag := fmt.Sprintf(`"%x-%d"`, t.ImageHash[:8], thumbSide)
	c.Response().Header().Set("ETag", tag)
	c.Response().Header().Set("Cache-Control", "private, max-age=86400")
	if c.Request().Header.Get("If-None-Match") == tag {
		return c.NoContent(http.StatusNotModified)
	}
	jpg, err := h.svc.Pictures.Thumbnail(c.Request().Context(), t.Image, thumbSide)
	if errors.Is(err, gallery.ErrBusy) {
		return h.fail(c, apierror.CRSOverloaded.Because(err))
	}
	if err != nil {
		return h.fail(c, apierror.CRSImageNotCorrect.Because(err))
	}
	return c.Blob(http.StatusOK, "image/jpeg", jpg)
}
