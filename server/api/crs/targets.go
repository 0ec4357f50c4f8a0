package crs

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// knownFields are the create fields CRS defines, and pixmatch's
// extension fields (attrs.go); any other field is kept with the target
// and returned unmodified.
var knownFields = map[string]bool{
	"image": true, "name": true, "size": true, "meta": true, "type": true, "active": true,
	"allowSimilar": true, "timestamp": true, "appId": true, "apiKey": true, "appKey": true,
	"signature": true, "targetId": true,
	"productId": true, "picName": true, "categoryId": true,
	"intAttr": true, "intAttr2": true, "intAttr3": true, "intAttr4": true,
	"strAttr": true, "strAttr2": true, "strAttr3": true, "strAttr4": true,
}

func (h *Handler) create(c echo.Context) error {
	r, err := h.open(c, auth.Write)
	if err != nil {
		return h.fail(c, err, apierror.CRSAddFailed)
	}
	f, err := h.readFields(r, true)
	if err != nil {
		return h.fail(c, err, apierror.CRSParameterInvalid)
	}
	t := f.target()
	policy := h.policy
	policy.Added = t.AllowSimilar // no similar check: the add needs no more of the picture than its codes
	pic, err := h.decode(ctx(c), r, policy)
	if err != nil {
		return h.fail(c, err, apierror.CRSImageNotCorrect)
	}
	t, err = h.svc.Targets.Add(ctx(c), r.gallery.ID, t, pic, gallery.AddOptions{RefuseDuplicate: true, RefuseSimilar: !t.AllowSimilar})
	if err != nil {
		return h.fail(c, writeError(err), apierror.CRSAddFailed)
	}
	return h.ok(c, withTarget(targetJSON(t, r.gallery.AppID, false)))
}

// fields are the descriptive fields a create or an update sends,
// validated; nil where the request does not send them.
type fields struct {
	name, size, meta, typ *string
	active, allowSimilar  *bool
	extra                 string // custom fields, on a create
	attrs                 attributes
}

// readFields validates the descriptive fields of a create (where the name
// is required, and custom fields are kept) or an update.
func (h *Handler) readFields(r *request, create bool) (fields, error) {
	var f fields
	var err error
	check := func(e error) {
		if err == nil && e != nil {
			err = apierror.CRSParameterInvalid.Because(e)
		}
	}
	if name, ok, e := r.text("name", false); ok || create || e != nil {
		check(e)
		check(h.checkName(name))
		f.name = &name
	}
	if size, ok, e := r.text("size", true); ok || e != nil {
		check(e)
		check(checkSize(size))
		f.size = &size
	}
	if meta, ok, e := r.text("meta", false); ok || e != nil {
		check(e)
		if len(meta) > h.cfg.MaxMetaBytes && err == nil {
			err = apierror.CRSTooLarge.Because(fmt.Errorf("meta of %d bytes, over %d", len(meta), h.cfg.MaxMetaBytes))
		}
		f.meta = &meta
	}
	if typ, ok, e := r.text("type", false); ok || e != nil {
		check(e)
		if typ != gallery.TargetType {
			check(fmt.Errorf("type must be %q, not %q", gallery.TargetType, typ))
		}
		f.typ = &typ
	}
	if v, ok, e := r.flag("active"); ok || e != nil {
		check(e)
		f.active = &v
	}
	if v, ok, e := r.flag("allowSimilar"); ok || e != nil {
		check(e)
		f.allowSimilar = &v
	}
	if err == nil {
		f.attrs, err = readAttributes(r, create)
	}
	if create && err == nil {
		f.extra, err = extraFields(r)
	}
	return f, err
}

// target is the new target the fields of a create describe.
func (f fields) target() gallery.Target {
	t := gallery.NewTarget()
	t.Extra = f.extra
	f.attrs.apply(&t)
	f.patch().Apply(&t)
	return t
}

// patch is the change the fields of an update make.
func (f fields) patch() gallery.Patch {
	return gallery.Patch{Name: f.name, Size: f.size, Meta: f.meta, Type: f.typ,
		Active: f.active, AllowSimilar: f.allowSimilar, IntAttr: f.attrs.ints, StrAttr: f.attrs.strs}
}

func (h *Handler) checkName(name string) error {
	if name == "" || len(name) > h.cfg.MaxNameLength {
		return fmt.Errorf("name must have 1 to %d characters, not %d", h.cfg.MaxNameLength, len(name))
	}
	for _, c := range []byte(name) {
		if c < 0x20 || c > 0x7e {
			return fmt.Errorf("name %q has a character that is not printable ASCII", name)
		}
	}
	return nil
}

// checkSize accepts a positive, finite decimal number of centimetres (up
// to ten kilometres): digits with an optional fraction and exponent, as
// "20", "20.5", ".5" or "2e1". NaN, Inf, hexadecimal, digit separators,
// signs and zero are refused.
func checkSize(size string) error {
	s := strings.TrimSpace(size)
	v, err := strconv.ParseFloat(s, 64)
	if !decimal(s) || err != nil || v <= 0 || v > 1e6 {
		return fmt.Errorf("size must be a positive number of centimetres, not %q", size)
	}
	return nil
}

// decimal reports whether s is digits with an optional fraction and an
// optional exponent, with a digit before or after the point.
func decimal(s string) bool {
	mantissa, exp, hasExp := strings.Cut(strings.ToLower(s), "e")
	whole, frac, _ := strings.Cut(mantissa, ".")
	if hasExp {
		exp = strings.TrimPrefix(strings.TrimPrefix(exp, "-"), "+")
		if !digits(exp) || exp == "" {
			return false
		}
	}
	return digits(whole) && digits(frac) && whole+frac != ""
}

// digits reports whether s holds only ASCII digits (an empty s does).
func digits(s string) bool {
	return strings.Trim(s, "0123456789") == ""
}

// extraFields returns the request's unknown fields as a JSON object.
func extraFields(r *request) (string, error) {
	extra := map[string]json.RawMessage{}
	for k, raw := range r.json {
		if !knownFields[k] {
			extra[k] = raw
		}
	}
	if len(extra) == 0 {
		return "", nil
	}
	var b strings.Builder // the values as sent: no HTML escaping
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	err := enc.Encode(extra)
	return strings.TrimSuffix(b.String(), "\n"), err
}

// writeError maps what can refuse a new or changed target.
func writeError(err error) error {
	var similar *gallery.SimilarError
	switch {
	case errors.As(err, &similar):
		return apierror.CRSSimilarExists.Because(err)
	case errors.Is(err, gallery.ErrDuplicate), errors.Is(err, gallery.ErrExists):
		return apierror.CRSTargetExists.Because(err)
	case errors.Is(err, gallery.ErrNotFound):
		return apierror.CRSTargetNotFound.Because(err)
	case errors.Is(err, gallery.ErrSuspended):
		return apierror.CRSAppIDNotExist.Because(err)
	}
	return imageError(err)
}

func (h *Handler) update(c echo.Context) error {
	r, err := h.open(c, auth.Write)
	if err != nil {
		return h.fail(c, err, apierror.CRSEnableFailed)
	}
	f, err := h.readFields(r, false)
	if err != nil {
		return h.fail(c, err, apierror.CRSParameterInvalid)
	}
	p := f.patch()
	if r.has("image") || r.file != nil {
		if p.Picture, err = h.picture(ctx(c), r); err != nil {
			return h.fail(c, err, apierror.CRSImageNotCorrect)
		}
	}
	fallback := apierror.CRSAddFailed // an update re-adds the target
	if p.Active != nil {
		fallback = apierror.CRSEnableFailed
	}
	t, err := h.svc.Targets.Update(ctx(c), r.gallery.ID, c.Param("id"), p)
	if err != nil {
		return h.fail(c, writeError(err), fallback)
	}
	return h.ok(c, withTarget(targetJSON(t, r.gallery.AppID, false)))
}

func (h *Handler) get(c echo.Context) error {
	r, err := h.open(c, auth.Read)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	t, err := h.svc.Targets.Get(ctx(c), r.gallery.ID, c.Param("id"), true)
	if errors.Is(err, gallery.ErrNotFound) {
		return h.fail(c, apierror.CRSTargetNotFound.Because(err), nil)
	}
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	return h.ok(c, targetJSON(t, r.gallery.AppID, true))
}

func (h *Handler) delete(c echo.Context) error {
	r, err := h.open(c, auth.Write)
	if err != nil {
		return h.fail(c, err, apierror.CRSDeleteFailed)
	}
	gone, err := h.svc.Targets.Delete(ctx(c), r.gallery.ID, c.Param("id"))
	if err != nil {
		return h.fail(c, writeError(err), apierror.CRSDeleteFailed)
	}
	return h.ok(c, withTarget(targetJSON(gone[0], r.gallery.AppID, false)))
}

// deleteMany removes the targets listed, comma-separated, in targetId:
// all of them, or none when one is missing.
func (h *Handler) deleteMany(c echo.Context) error {
	r, err := h.open(c, auth.Write)
	if err != nil {
		return h.fail(c, err, apierror.CRSDeleteFailed)
	}
	list, _, err := r.text("targetId", false)
	if err != nil {
		return h.fail(c, apierror.CRSParameterInvalid.Because(err), nil)
	}
	var ids []string
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return h.fail(c, apierror.CRSParameterInvalid.Because(errors.New("targetId lists no target")), nil)
	}
	gone, err := h.svc.Targets.Delete(ctx(c), r.gallery.ID, ids...)
	if err != nil {
		return h.fail(c, writeError(err), apierror.CRSDeleteFailed)
	}
	targets := make([]map[string]any, len(gone))
	for i, t := range gone {
		targets[i] = targetJSON(t, r.gallery.AppID, false)
	}
	return h.ok(c, map[string]any{"targetId": strings.Join(ids, ","), "count": len(gone), "targets": targets})
}

func (h *Handler) list(c echo.Context) error {
	r, err := h.open(c, auth.Read)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	num, size, err := h.page(r)
	if err != nil {
		return h.fail(c, apierror.CRSParameterInvalid.Because(err), nil)
	}
	ts, err := h.svc.Targets.List(ctx(c), r.gallery.ID, store.Page{Offset: (num - 1) * size, Limit: size})
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	out := make([]map[string]any, len(ts))
	for i, t := range ts {
		out[i] = listedJSON(t, r.gallery.AppID)
	}
	return h.ok(c, map[string]any{"targets": out})
}

// page reads pageNum (from 1) and pageSize (1 to the maximum).
func (h *Handler) page(r *request) (num, size int, err error) {
	num, size = 1, h.cfg.DefaultPageSize
	if n, ok, e := r.integer("pageNum"); e != nil {
		return 0, 0, e
	} else if ok {
		num = n
	}
	if n, ok, e := r.integer("pageSize"); e != nil {
		return 0, 0, e
	} else if ok {
		size = n
	}
	if num < 1 || num > 1<<30 {
		return 0, 0, fmt.Errorf("pageNum %d is not a page number", num)
	}
	if size < 1 || size > h.cfg.MaxPageSize {
		return 0, 0, fmt.Errorf("pageSize %d is outside 1–%d", size, h.cfg.MaxPageSize)
	}
	return num, size, nil
}

func (h *Handler) count(c echo.Context) error {
	r, err := h.open(c, auth.Read)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	n, err := h.svc.Targets.CountContext(ctx(c), r.gallery.ID)
	if err != nil {
		return h.fail(c, err, apierror.CRSRPCError)
	}
	return h.ok(c, map[string]any{"count": n})
}
