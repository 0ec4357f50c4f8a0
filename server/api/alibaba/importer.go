package alibaba

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pixmatch/pixmatch/server/fetch"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// maxMetaBytes bounds an increment.meta file.
const maxMetaBytes = 64 << 20

// source is where a batch import reads its increment.meta and pictures:
// a local folder named by a configured bucket, or an http(s) base URL.
type source struct {
	dir  string // local folder, or ""
	base string // URL of the folder, or ""
	f    *fetch.Fetcher
}

// resolve finds the folder a BucketName and Path name.
func (h *Handler) resolve(bucket, path string) (source, error) {
	if fetch.IsURL(bucket) {
		return source{base: strings.TrimRight(bucket, "/") + path, f: h.Fetcher}, nil
	}
	root, ok := h.Config.Buckets[bucket]
	if !ok {
		return source{}, apierror.BadRequest.Because(fmt.Errorf("no bucket %q is configured", bucket))
	}
	dir := filepath.Join(root, filepath.FromSlash(path))
	if rel, err := filepath.Rel(root, dir); err != nil || strings.HasPrefix(rel, "..") {
		return source{}, apierror.BadRequest.Because(fmt.Errorf("Path %q leaves bucket %q", path, bucket))
	}
	return source{dir: dir}, nil
}

// read returns a file of the folder.
func (s source) read(ctx context.Context, name string, limit int64) ([]byte, error) {
	if s.base != "" {
		return s.f.Fetch(ctx, s.base+"/"+name)
	}
	if strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("%w: %q leaves the folder", fetch.ErrURL, name)
	}
	f, err := os.Open(filepath.Join(s.dir, filepath.FromSlash(name)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %v", fetch.ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readAtMost(f, limit)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func readAtMost(f *os.File, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", fetch.ErrTooLarge, limit)
	}
	return b, nil
}

// startImport begins adding and deleting the pictures an increment.meta
// lists. Only one import per instance runs at a time.
func (h *Handler) startImport(ctx context.Context, g store.Gallery, bucket, path, callback, base string) (store.Task, error) {
	src, err := h.resolve(bucket, path)
	if err != nil {
		return store.Task{}, err
	}
	running, _, err := h.Service.Tasks(ctx, g.ID, store.TaskImport, store.Page{Limit: 1})
	if err != nil {
		return store.Task{}, err
	}
	if len(running) > 0 && running[0].Status == statusProcessing {
		return store.Task{}, apierror.DeniedRequest.Because(fmt.Errorf("import %d of instance %q is still running", running[0].ID, g.Name))
	}
	if err := os.MkdirAll(h.folder(g.ID), 0o755); err != nil {
		return store.Task{}, apierror.InternalOssError.Because(err)
	}
	t, err := h.Service.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskImport, Status: statusProcessing,
		Source: bucket + "\n" + path, Callback: callback})
	if err != nil {
		return t, err
	}
	h.running.Add(1)
	go func(t store.Task) { // its own copy: the caller answers with the original
		defer h.running.Done()
		t = h.runImport(t, g, src)
		if callback != "" {
			h.call(t, g, callback, base)
		}
	}(t)
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

// runImport applies every line of the increment.meta, recording the
// lines that fail in a report.
func (h *Handler) runImport(t store.Task, g store.Gallery, src source) store.Task {
	ctx := context.Background()
	meta, err := src.read(ctx, "increment.meta", maxMetaBytes)
	if err != nil {
		return h.finish(t, statusFail, codeOf(fetchError(err)), "increment.meta: "+err.Error())
	}
	lines := bytes.Split(bytes.TrimRight(meta, "\n"), []byte("\n"))
	t.Total = len(lines)
	var report *json.Encoder
	var reportFile *os.File
	for i, raw := range lines {
		if len(bytes.TrimSpace(raw)) == 0 {
			t.Done++
			continue
		}
		l, lineErr := h.applyLine(ctx, g, src, raw)
		t.Done++
		if lineErr == nil {
			continue
		}
		t.Failed++
		if report == nil {
			t.Result = fmt.Sprintf("import-%d.errors", t.ID)
			var err error
			if reportFile, err = os.Create(filepath.Join(h.folder(g.ID), t.Result)); err != nil {
				return h.finish(t, statusFail, "InternalOssError", err.Error())
			}
			defer reportFile.Close()
			report = json.NewEncoder(reportFile)
		}
		e := asAlibaba(lineErr)
		report.Encode(importError{Line: i + 1, ProductID: l.ProductID, PicName: l.PicName, Code: e.Code, Message: e.Message})
		if t.Done%100 == 0 {
			h.Service.UpdateTask(ctx, t)
		}
	}
	if reportFile != nil {
		if err := reportFile.Sync(); err != nil {
			return h.finish(t, statusFail, "InternalOssError", err.Error())
		}
	}
	msg := "success"
	if t.Failed > 0 {
		msg = fmt.Sprintf("%d of %d lines failed", t.Failed, t.Total)
	}
	return h.finish(t, statusNormal, "0", msg)
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
		_, err := h.Service.DeleteByName(ctx, g.ID, l.ProductID, l.PicName)
		return l, err
	case "ADD", "":
	default:
		return l, apierror.UnsupportedOperationType.Because(fmt.Errorf("OperationType %q", l.OperationType))
	}
	t, err := l.target()
	if err != nil {
		return l, err
	}
	data, err := src.read(ctx, l.PicName, int64(h.Config.MaxImageBytes))
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
	_, err = h.Service.Add(ctx, g.ID, t, pic, gallery.AddOptions{Replace: true})
	if err != nil {
		return l, writeError(err)
	}
	return l, nil
}

// target checks a line's fields and makes the target they describe.
func (l metaLine) target() (store.Target, error) {
	t := store.Target{Type: "ImageTarget", Size: "20", Active: true, Category: OtherCategory,
		ProductID: l.ProductID, PicName: l.PicName, Name: l.PicName, CustomContent: l.CustomContent, Meta: l.CustomContent}
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
	if l.CategoryID != nil {
		if _, known := categories[*l.CategoryID]; !known {
			return t, apierror.InvalidCategory.Because(fmt.Errorf("CategoryId %d", *l.CategoryID))
		}
		t.Category = *l.CategoryID
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

func codeOf(err error) string { return asAlibaba(err).Code }

// call tells a client's callback address that its import has ended.
func (h *Handler) call(t store.Task, g store.Gallery, callback, base string) {
	body := map[string]any{
		"InstanceName": g.Name, "Id": t.ID, "Status": t.Status, "Code": t.Code, "Msg": t.Message,
		"Total": t.Total, "Done": t.Done, "Failed": t.Failed,
	}
	if t.Result != "" {
		body["ErrorUrl"] = h.fileURL(t, base)
	}
	b, _ := json.Marshal(body)
	if err := h.Fetcher.Post(context.Background(), callback, "application/json", b); err != nil {
		h.Log.Warn("import callback failed", "task", t.ID, "err", err)
	}
}
