package alibaba

import (
	"context"
	"fmt"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/api/alibaba/metabody"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// The legacy 2018-01-20 API: POST /item/{add,search,delete}?instanceName=
// with a raw meta^content body, signed ROA-style.

// legacyResult is the head of every legacy answer.
type legacyResult struct {
	Success   bool   `json:"Success"`
	RequestID string `json:"RequestId"`
	Code      int    `json:"Code"`
	Message   string `json:"Message"`
}

func (h *Handler) legacy(op string) echo.HandlerFunc {
	run := map[string]func(*call, []byte) error{
		"add": h.legacyAdd, "search": h.legacySearch, "delete": h.legacyDelete,
	}[op]
	return func(c echo.Context) error {
		k := &call{c: c, start: h.now(), requestID: newRequestID(), action: "item/" + op}
		body, err := h.readBody(c)
		if err != nil {
			return h.fail(k, err)
		}
		k.params = url.Values(c.QueryParams())
		k.key, err = h.verifier.Verify(c.Request().Context(), auth.AlibabaRequest{
			Method: c.Request().Method, Path: c.Request().URL.Path, Query: c.QueryParams(),
			Header: c.Request().Header, Host: c.Request().Host, Body: body,
		})
		if err != nil {
			return h.fail(k, err)
		}
		if err := h.instance(k, c.QueryParam("instanceName")); err != nil {
			return h.fail(k, err)
		}
		if err := run(k, body); err != nil {
			return h.fail(k, err)
		}
		return nil
	}
}

func (k *call) legacyOK() legacyResult {
	return legacyResult{Success: true, RequestID: k.requestID, Message: "success"}
}

// legacyAdd indexes every picture of an item.
func (h *Handler) legacyAdd(k *call, body []byte) error {
	req, err := metabody.ParseAdd(body)
	if err != nil {
		return err
	}
	base := gallery.NewTarget()
	base.ProductID, base.CustomContent, base.Meta = req.ItemID, req.CustContent, req.CustContent
	if len([]rune(req.ItemID)) > maxNameLength {
		return apierror.InvalidProductId.Because(fmt.Errorf("item_id over %d characters", maxNameLength))
	}
	if req.CatID != nil { // checked, then ignored: the instance is generic
		if err := checkCategory(*req.CatID); err != nil {
			return err
		}
	}
	if req.IntAttr != nil {
		base.IntAttr[0] = *req.IntAttr
	}
	if req.StrAttr != "" {
		if err := checkStrAttr("str_attr", req.StrAttr); err != nil {
			return err
		}
		base.StrAttr[0] = req.StrAttr
	}
	if len([]rune(req.CustContent)) > maxCustom {
		return apierror.InvalidCustomContent.Because(fmt.Errorf("cust_content over %d characters", maxCustom))
	}
	crop := req.Crop == nil || *req.Crop
	type added struct {
		pic *gallery.Picture
		t   gallery.Target
	}
	var all []added
	for _, p := range req.Pics { // check every picture before adding any
		pic, err := h.decode(k.ctx(), p.Data)
		if err != nil {
			return err
		}
		t := base
		t.PicName, t.Name = p.Name, p.Name
		if len([]rune(p.Name)) > maxNameLength {
			return apierror.InvalidPicName.Because(fmt.Errorf("pic name over %d characters", maxNameLength))
		}
		if t.Region, err = focus(pic, req.Region, crop); err != nil {
			return err
		}
		all = append(all, added{pic, t})
	}
	for _, a := range all {
		if _, err := h.svc.Targets.Add(k.ctx(), k.gallery.ID, a.t, a.pic, gallery.AddOptions{Replace: true}); err != nil {
			return writeError(err)
		}
	}
	return k.ok(k.legacyOK())
}

// legacySearch finds the pictures like the search picture.
func (h *Handler) legacySearch(k *call, body []byte) error {
	req, err := metabody.ParseSearch(body)
	if err != nil {
		return err
	}
	if req.CatID != nil { // checked, then ignored: the instance is generic
		if err := checkCategory(*req.CatID); err != nil {
			return err
		}
	}
	f, err := parseFilter(req.Filter)
	if err != nil {
		return err
	}
	matches, r, err := h.search(k, func(ctx context.Context) (*gallery.Picture, string, error) {
		pic, err := h.decodeFor(ctx, req.Pic, true)
		if err != nil {
			return nil, "", err
		}
		r, err := focus(pic, req.Region, req.Crop == nil || *req.Crop)
		return pic, r, err
	}, gallery.SearchOptions{Limit: req.Start + req.Num, Filter: indexFilter(f), Near: true})
	if err != nil {
		return err
	}
	type legacyAuction struct {
		CatID          int32  `json:"CatId"`
		ItemID         string `json:"ItemId"`
		ProductID      string `json:"ProductId"`
		CustContent    string `json:"CustContent"`
		PicName        string `json:"PicName"`
		SortExprValues string `json:"SortExprValues"`
	}
	auctions := []legacyAuction{}
	for i, m := range matches {
		if i < req.Start {
			continue
		}
		auctions = append(auctions, legacyAuction{
			CatID: OtherCategory, ItemID: m.Target.ProductID, ProductID: m.Target.ProductID,
			CustContent: m.Target.CustomContent, PicName: m.Target.PicName,
			SortExprValues: strconv.FormatFloat(m.Score*maxSortExpr, 'g', 15, 64) + ";0",
		})
	}
	cat := int32(OtherCategory)
	return k.ok(struct {
		legacyResult
		Head struct {
			DocsReturn int `json:"DocsReturn"`
			DocsFound  int `json:"DocsFound"`
			SearchTime int `json:"SearchTime"`
		} `json:"Head"`
		PicInfo struct {
			Category    string      `json:"Category"`
			Region      string      `json:"Region"`
			AllCategory []catOption `json:"AllCategory"`
		} `json:"PicInfo"`
		Auctions []legacyAuction `json:"Auctions"`
	}{
		legacyResult: k.legacyOK(),
		Head: struct {
			DocsReturn int `json:"DocsReturn"`
			DocsFound  int `json:"DocsFound"`
			SearchTime int `json:"SearchTime"`
		}{len(auctions), len(matches), int(h.now().Sub(k.start).Milliseconds())},
		PicInfo: struct {
			Category    string      `json:"Category"`
			Region      string      `json:"Region"`
			AllCategory []catOption `json:"AllCategory"`
		}{strconv.Itoa(int(cat)), r, []catOption{{cat, categories[cat]}}},
		Auctions: auctions,
	})
}

// legacyDelete removes the listed pictures of an item, or all of them.
func (h *Handler) legacyDelete(k *call, body []byte) error {
	req, err := metabody.ParseDelete(body)
	if err != nil {
		return err
	}
	if req.PicNames == nil {
		if _, err := h.svc.Targets.DeleteByName(k.ctx(), k.gallery.ID, req.ItemID, ""); err != nil {
			return writeError(err)
		}
		return k.ok(k.legacyOK())
	}
	for _, name := range req.PicNames {
		if _, err := h.svc.Targets.DeleteByName(k.ctx(), k.gallery.ID, req.ItemID, name); err != nil {
			return writeError(err)
		}
	}
	return k.ok(k.legacyOK())
}
