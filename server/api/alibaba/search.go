package alibaba

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/pixmatch/pixmatch/server/api/dialect"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/filter"
	"github.com/pixmatch/pixmatch/shared/index"
)

// head sums up a search.
type head struct {
	DocsFound  int `json:"DocsFound"`  // results returned
	DocsReturn int `json:"DocsReturn"` // matches found in the instance
	SearchTime int `json:"SearchTime"` // milliseconds
}

// searchBody is the answer of SearchImageByPic and SearchImageByName.
type searchBody struct {
	result
	Head     head      `json:"Head"`
	Auctions []auction `json:"Auctions"`
	PicInfo  picInfo   `json:"PicInfo"`
}

// maxSortExpr is the SortExprValues of identical pictures, as Alibaba
// reports it for categories other than 0–2.
const maxSortExpr = 5.37633353624177e+24

// query holds what the search actions share. A CategoryId is checked
// and ignored: a generic instance searches every picture, so a client
// written for product search, which sends one, finds what it looks for.
type query struct {
	start, num int
	filter     index.Filter // Filter, or nil
	distinct   bool
	threshold  float64
}

func (k *call) query() (query, error) {
	var q query
	var err error
	if q.start, q.num, err = k.window(); err != nil {
		return q, err
	}
	if err = k.checkCategory(); err != nil {
		return q, err
	}
	f, err := k.filter()
	if err != nil {
		return q, err
	}
	q.filter = indexFilter(f)
	if q.distinct, err = k.flag("DistinctProductId", false); err != nil {
		return q, err
	}
	q.threshold, err = k.scoreThreshold()
	return q, err
}

// indexFilter is f as the index takes it: nil, not a nil *filter.Expr,
// when there is none.
func indexFilter(f *filter.Expr) index.Filter {
	if f == nil {
		return nil
	}
	return f
}

// reader decodes the picture a search action searches with, once the
// search is admitted, and says the region of it that is searched.
type reader func(ctx context.Context) (pic *gallery.Picture, region string, err error)

// search runs a search with the picture read gives and returns the
// matches and the region searched. An empty instance finds nothing, once
// the picture is checked.
func (h *Handler) search(k *call, read reader, o gallery.SearchOptions) ([]gallery.Match, string, error) {
	var (
		region  string
		readErr error
	)
	pictureOf := func(ctx context.Context) (*gallery.Picture, error) {
		pic, r, err := read(ctx)
		region, readErr = r, err
		return pic, err
	}
	matches, err := h.svc.Recognition.Search(k.ctx(), k.gallery.ID, pictureOf, o)
	if errors.Is(err, gallery.ErrNoActiveTargets) { // read before it was asked: the picture's verdict
		err = readErr
	}
	if err != nil {
		return nil, "", searchError(err)
	}
	return matches, region, nil
}

// run searches with the picture read gives and writes the answer.
func (h *Handler) run(k *call, read reader, q query) error {
	matches, region, err := h.search(k, read, gallery.SearchOptions{
		Limit: q.start + q.num, Filter: q.filter, Near: true, DistinctProducts: q.distinct,
	})
	if err != nil {
		return err
	}
	info := newPicInfo(region)
	found := 0
	var auctions []auction
	for i, m := range matches {
		if m.Score < q.threshold {
			break
		}
		found++
		if i < q.start {
			continue
		}
		a := newAuction(m.Target)
		score := m.Score
		a.Score = &score
		a.Corners = cornersOf(m)
		a.SortExprValues = strconv.FormatFloat(score*maxSortExpr, 'g', 15, 64) + ";0"
		auctions = append(auctions, a)
	}
	tier := ""
	if found > 0 {
		tier = matches[0].Tier()
	}
	dialect.Searched(k.c, tier)
	return k.ok(searchBody{
		result:   k.result(),
		Head:     head{DocsFound: len(auctions), DocsReturn: found, SearchTime: int(h.now().Sub(k.start).Milliseconds())},
		Auctions: nonNilAuctions(auctions),
		PicInfo:  info,
	})
}

func nonNilAuctions(a []auction) []auction {
	if a == nil {
		return []auction{}
	}
	return a
}

// searchError maps why a search could not run; a failure of the index or
// the store is AccessEngineFailed.
func searchError(err error) error { return serviceError(err, apierror.AccessEngineFailed) }

// searchByPic finds the pictures like PicContent.
func (h *Handler) searchByPic(k *call) error {
	q, err := k.query()
	if err != nil {
		return err
	}
	crop, err := k.flag("Crop", true)
	if err != nil {
		return err
	}
	regionParam, _ := k.get("Region")
	return h.run(k, func(ctx context.Context) (*gallery.Picture, string, error) {
		pic, err := h.searchPicture(ctx, k, "PicContent")
		if err != nil {
			return nil, "", err
		}
		r, err := focus(pic, regionParam, crop)
		return pic, r, err
	}, q)
}

// searchByName searches with a picture the instance already holds.
func (h *Handler) searchByName(k *call) error {
	product, name, err := k.names()
	if err != nil {
		return err
	}
	q, err := k.query()
	if err != nil {
		return err
	}
	t, err := h.svc.Targets.ByName(k.ctx(), k.gallery.ID, product, name)
	if errors.Is(err, gallery.ErrNotFound) {
		return apierror.PicNotExist.Because(err)
	}
	if err != nil {
		return apierror.AccessEngineFailed.Because(err)
	}
	return h.run(k, func(ctx context.Context) (*gallery.Picture, string, error) {
		return h.stored(ctx, k, t.ID)
	}, q)
}

// stored decodes a picture the instance holds, focused on its region.
func (h *Handler) stored(ctx context.Context, k *call, id string) (*gallery.Picture, string, error) {
	t, err := h.svc.Targets.Get(ctx, k.gallery.ID, id, true)
	if err != nil {
		return nil, "", apierror.AccessEngineFailed.Because(err)
	}
	pic, err := h.svc.Pictures.Read(ctx, t.Image, gallery.Policy{})
	if errors.Is(err, gallery.ErrBusy) {
		return nil, "", apierror.DeniedRequest.Because(err)
	}
	if err != nil {
		return nil, "", apierror.AccessEngineFailed.Because(fmt.Errorf("stored picture: %w", err))
	}
	if pic.Focus, err = gallery.ParseRegion(t.Region); err != nil {
		return nil, "", apierror.AccessEngineFailed.Because(err)
	}
	return pic, t.Region, nil
}

// searchByText answers as a generic instance does: searching by text
// needs a product multimodal instance, which pixmatch does not offer.
func (h *Handler) searchByText(k *call) error {
	if v, _ := k.get("Text"); v == "" {
		return apierror.BadRequest.Because(errors.New("no Text"))
	}
	return apierror.UnsupportedInstanceType.Because(errors.New("searching by text needs a product multimodal instance; this one is generic"))
}

// searchByFilter lists the pictures whose attributes Filter matches.
func (h *Handler) searchByFilter(k *call) error {
	start, num, err := k.window()
	if err != nil {
		return err
	}
	v, _ := k.get("Filter")
	f, err := parseFilter(v)
	if err != nil {
		return err
	}
	if f == nil {
		return apierror.InvalidFilterClause.Because(errors.New("no Filter"))
	}
	ts, err := h.svc.Targets.Find(k.ctx(), k.gallery.ID, f, start, num)
	if err != nil {
		return apierror.AccessEngineFailed.Because(err)
	}
	auctions := make([]auction, len(ts))
	for i, t := range ts {
		auctions[i] = newAuction(t)
	}
	return k.ok(struct {
		result
		Auctions []auction `json:"Auctions"`
	}{k.result(), auctions})
}

// searchImage is the 2019-03-25 SearchImage action: Type SearchByPic or
// SearchByName picks the search.
func (h *Handler) searchImage(k *call) error {
	switch typ, _ := k.get("Type"); typ {
	case "SearchByPic", "":
		return h.searchByPic(k)
	case "SearchByName":
		return h.searchByName(k)
	default:
		return apierror.InvalidType.Because(fmt.Errorf("Type %q is neither SearchByPic nor SearchByName", typ))
	}
}

// compare scores how alike two pictures are, from 0 to 1: how well a
// search with the primary picture would find the secondary one, by either
// tier (a print of it in a camera frame scores as a copy does).
func (h *Handler) compare(k *call) error {
	a, err := h.picture(k.ctx(), k, "PrimaryPicContent")
	if err != nil {
		return err
	}
	b, err := h.picture(k.ctx(), k, "SecondaryPicContent")
	if err != nil {
		return err
	}
	score, err := h.svc.Recognition.Compare(k.ctx(), a, b)
	if err != nil {
		return writeError(err)
	}
	return k.ok(struct {
		result
		Score float64 `json:"Score"`
	}{k.result(), score})
}
