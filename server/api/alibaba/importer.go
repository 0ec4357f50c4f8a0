package alibaba

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// maxMetaBytes bounds an increment.meta file.
const maxMetaBytes = 64 << 20

// progressEvery is how many lines an import goes between saving its
// progress.
const progressEvery = 100

// startImport begins adding and deleting the pictures an increment.meta
// lists. Only one import per instance runs at a time.
func (h *Handler) startImport(ctx context.Context, g store.Gallery, bucket, path, callback, base string) (gallery.Task, error) {
	src, err := h.resolve(bucket, path)
	if err != nil {
		return gallery.Task{}, err
	}
	t, job, err := h.startTask(ctx, gallery.Task{Gallery: g.ID, Kind: gallery.TaskImport, Status: gallery.TaskRunning,
		Bucket: bucket, Path: path, Callback: callback})
	if err != nil {
		src.close()
		return t, err
	}
	job.Go(func(ctx context.Context) {
		defer src.close()
		done := h.runImport(ctx, t, g, src) // its own copy: the caller answers with t
		if callback != "" {
			h.call(ctx, done, g, callback, base)
		}
	})
	return t, nil
}

// importError is one line of an import report.
type importError struct {
	Line      int    `json:"Line"`
	ProductID string `json:"ProductId,omitempty"`
	PicName   string `json:"PicName,omitempty"`
	Code      string `json:"Code"`
	Message   string `json:"Message"`
}

// report is an import's report of the lines that failed, written to a
// file made when the first line fails.
type report struct {
	h    *Handler
	t    *gallery.Task
	file *os.File
	enc  *json.Encoder
}

// add writes a failed line, with the catalogue's code and message only.
func (r *report) add(line int, l metaLine, err error) error {
	if r.file == nil {
		r.t.Result = fmt.Sprintf("import-%d.errors", r.t.ID)
		f, err := r.h.createFile(r.t.Gallery, r.t.Result)
		if err != nil {
			r.t.Result = ""
			return err
		}
		r.file, r.enc = f, json.NewEncoder(f)
	}
	e := asAlibaba(err)
	return r.enc.Encode(importError{Line: line, ProductID: l.ProductID, PicName: l.PicName, Code: e.Code, Message: e.Message})
}

// close syncs and closes the file, if there is one.
func (r *report) close() error {
	if r.file == nil {
		return nil
	}
	return errors.Join(r.file.Sync(), r.file.Close())
}

// runImport applies every line of the increment.meta, recording the
// lines that fail in a report, until the lines or ctx end.
func (h *Handler) runImport(ctx context.Context, t gallery.Task, g store.Gallery, src source) gallery.Task {
	meta, err := src.read(ctx, "increment.meta", maxMetaBytes)
	if ctx.Err() != nil {
		return h.interrupted(ctx, t)
	}
	if err != nil {
		e := asAlibaba(fetchError(err))
		h.log.Warn("import: read increment.meta", "gallery", g.Name, "task", t.ID, "err", err)
		return h.finish(ctx, t, gallery.TaskFailed, e.Code, "increment.meta: "+e.Message)
	}
	lines := bytes.Split(bytes.TrimRight(meta, "\n"), []byte("\n"))
	t.Total = len(lines)
	rep := &report{h: h, t: &t}
	for i, raw := range lines {
		var lineErr error
		var l metaLine
		if len(bytes.TrimSpace(raw)) > 0 {
			l, lineErr = h.applyLine(ctx, g, src, raw)
		}
		if ctx.Err() != nil {
			rep.close()
			return h.interrupted(ctx, t)
		}
		t.Done++
		if lineErr != nil {
			t.Failed++
			if err := rep.add(i+1, l, lineErr); err != nil {
				rep.close()
				return h.failTask(ctx, t, apierror.InternalOssError.Because(fmt.Errorf("import report: %w", err)))
			}
		}
		if t.Done%progressEvery == 0 {
			h.svc.Tasks.Update(ctx, t)
		}
	}
	if err := rep.close(); err != nil {
		return h.failTask(ctx, t, apierror.InternalOssError.Because(fmt.Errorf("import report: %w", err)))
	}
	msg := "success"
	if t.Failed > 0 {
		msg = fmt.Sprintf("%d of %d lines failed", t.Failed, t.Total)
	}
	return h.finish(ctx, t, statusNormal, "0", msg)
}

// applyLine adds or deletes the picture one line names.
func (h *Handler) applyLine(ctx context.Context, g store.Gallery, src source, raw []byte) (metaLine, error) {
	var l metaLine
	if err := json.Unmarshal(raw, &l); err != nil {
		return l, apierror.BadRequest.Because(fmt.Errorf("not a JSON object: %w", err))
	}
	if l.ProductID == "" {
		return l, apierror.NoSpecifiedProductId.Because(errors.New("no ProductId"))
	}
	switch strings.ToUpper(l.OperationType) {
	case "DELETE":
		_, err := h.svc.Targets.DeleteByName(ctx, g.ID, l.ProductID, l.PicName)
		return l, err
	case "ADD", "":
	default:
		return l, apierror.UnsupportedOperationType.Because(fmt.Errorf("OperationType %q", l.OperationType))
	}
	t, err := l.target()
	if err != nil {
		return l, err
	}
	data, err := src.read(ctx, l.PicName, int64(h.cfg.MaxImageBytes))
	if err != nil {
		return l, fetchError(err)
	}
	pic, err := h.decode(ctx, data)
	if err != nil {
		return l, err
	}
	if t.Region, err = focus(pic, l.Region, l.Crop == nil || *l.Crop); err != nil {
		return l, err
	}
	_, err = h.svc.Targets.Add(ctx, g.ID, t, pic, gallery.AddOptions{Replace: true})
	if err != nil {
		return l, writeError(err)
	}
	return l, nil
}

// target checks a line's fields and makes the target they describe.
func (l metaLine) target() (gallery.Target, error) {
	t := gallery.NewTarget()
	t.ProductID, t.PicName, t.Name = l.ProductID, l.PicName, l.PicName
	t.CustomContent, t.Meta = l.CustomContent, l.CustomContent
	switch {
	case l.PicName == "":
		return t, apierror.NoSpecifiedPicName.Because(errors.New("no PicName"))
	case len([]rune(l.ProductID)) > maxNameLength:
		return t, apierror.InvalidProductId.Because(errors.New("ProductId over 256 characters"))
	case len([]rune(l.PicName)) > maxNameLength:
		return t, apierror.InvalidPicName.Because(errors.New("PicName over 256 characters"))
	case len([]rune(l.CustomContent)) > maxCustom:
		return t, apierror.InvalidCustomContent.Because(errors.New("CustomContent over 4096 characters"))
	}
	if l.CategoryID != nil { // checked, then ignored: the instance is generic
		if err := checkCategory(*l.CategoryID); err != nil {
			return t, err
		}
	}
	for i, v := range [4]*int32{l.IntAttr, l.IntAttr2, l.IntAttr3, l.IntAttr4} {
		if v != nil {
			t.IntAttr[i] = *v
		}
	}
	for i, v := range [4]string{l.StrAttr, l.StrAttr2, l.StrAttr3, l.StrAttr4} {
		if err := checkStrAttr(strAttrNames[i], v); err != nil {
			return t, err
		}
		t.StrAttr[i] = v
	}
	return t, nil
}

// asAlibaba returns the catalogue entry err carries, or InternalError.
func asAlibaba(err error) *apierror.Error {
	if e, ok := errors.AsType[*apierror.Error](err); ok && e.Dialect == apierror.Alibaba {
		return e
	}
	return apierror.InternalError
}

// call tells a client's callback address that its import has ended.
func (h *Handler) call(ctx context.Context, t gallery.Task, g store.Gallery, callback, base string) {
	body := map[string]any{
		"InstanceName": g.Name, "Id": t.ID, "Status": t.Status, "Code": t.Code, "Msg": t.Message,
		"Total": t.Total, "Done": t.Done, "Failed": t.Failed,
	}
	if t.Result != "" {
		body["ErrorUrl"] = h.fileURL(t, base)
	}
	b, _ := json.Marshal(body)
	if err := h.fetcher.Post(ctx, callback, "application/json", b); err != nil {
		h.log.Warn("import callback failed", "task", t.ID, "err", err)
	}
}
