package alibaba

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Task statuses, as Alibaba reports them.
const (
	statusProcessing = "PROCESSING"
	statusSuccess    = "SUCCESS" // a finished dump
	statusNormal     = "NORMAL"  // a finished import
	statusFail       = "FAIL"
)

// metaLine is one line of an increment.meta file, and of a dump: what
// the batch import reads, and what a dump writes so that it can be
// imported again.
type metaLine struct {
	OperationType string `json:"OperationType"`
	ProductID     string `json:"ProductId"`
	PicName       string `json:"PicName"`
	CategoryID    *int32 `json:"CategoryId,omitempty"`
	CustomContent string `json:"CustomContent,omitempty"`
	Region        string `json:"Region,omitempty"`
	Crop          *bool  `json:"Crop,omitempty"`
	IntAttr       *int32 `json:"IntAttr,omitempty"`
	IntAttr2      *int32 `json:"IntAttr2,omitempty"`
	IntAttr3      *int32 `json:"IntAttr3,omitempty"`
	IntAttr4      *int32 `json:"IntAttr4,omitempty"`
	StrAttr       string `json:"StrAttr,omitempty"`
	StrAttr2      string `json:"StrAttr2,omitempty"`
	StrAttr3      string `json:"StrAttr3,omitempty"`
	StrAttr4      string `json:"StrAttr4,omitempty"`
}

// startDump begins writing every picture's metadata to a file. The file
// is created before the task is acknowledged, so a folder that cannot be
// written fails the request.
func (h *Handler) startDump(ctx context.Context, g store.Gallery) (store.Task, error) {
	if err := os.MkdirAll(h.folder(g.ID), 0o755); err != nil {
		return store.Task{}, apierror.InternalOssError.Because(err)
	}
	t, err := h.Service.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: store.TaskDump, Status: statusProcessing})
	if err != nil {
		return t, err
	}
	t.Result = fmt.Sprintf("dump-%d.meta", t.ID)
	f, err := os.Create(filepath.Join(h.folder(g.ID), t.Result))
	if err != nil {
		h.finish(t, statusFail, "InternalOssError", err.Error())
		return t, apierror.InternalOssError.Because(err)
	}
	h.running.Add(1)
	go func(t store.Task) { // its own copy: the caller answers with the original
		defer h.running.Done()
		n, err := h.dump(f, g.ID)
		t.Total, t.Done = n, n
		if err != nil {
			h.Log.Error("dump failed", "gallery", g.Name, "task", t.ID, "err", err)
			h.finish(t, statusFail, "InternalOssError", err.Error())
			return
		}
		h.finish(t, statusSuccess, "0", "success")
	}(t)
	return t, nil
}

// dump writes one metaLine per target into f, synced and closed.
func (h *Handler) dump(f *os.File, gallery int64) (int, error) {
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	n := 0
	err := h.Service.Each(context.Background(), gallery, func(t store.Target) error {
		n++
		return enc.Encode(lineOf(t))
	})
	err = errors.Join(err, w.Flush(), f.Sync(), f.Close())
	return n, err
}

func lineOf(t store.Target) metaLine {
	cat := t.Category
	l := metaLine{OperationType: "ADD", ProductID: t.ProductID, PicName: t.PicName, CategoryID: &cat,
		CustomContent: t.CustomContent, Region: t.Region,
		StrAttr: t.StrAttr[0], StrAttr2: t.StrAttr[1], StrAttr3: t.StrAttr[2], StrAttr4: t.StrAttr[3]}
	ints := [4]**int32{&l.IntAttr, &l.IntAttr2, &l.IntAttr3, &l.IntAttr4}
	for i, p := range ints {
		v := t.IntAttr[i]
		*p = &v
	}
	return l
}

// finish records a task's outcome.
func (h *Handler) finish(t store.Task, status, code, msg string) store.Task {
	t.Status, t.Code, t.Message = status, code, msg
	if err := h.Service.UpdateTask(context.Background(), t); err != nil {
		h.Log.Error("record task outcome", "task", t.ID, "err", err)
	}
	return t
}

// listTasks returns a page of tasks, or the one with the given ID.
func (h *Handler) listTasks(ctx context.Context, gallery int64, kind store.TaskKind, num, size int, id int64) ([]store.Task, int, error) {
	if id != 0 {
		t, err := h.Service.Task(ctx, gallery, id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.Kind != kind) {
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		return []store.Task{t}, 1, nil
	}
	return h.Service.Tasks(ctx, gallery, kind, store.Page{Offset: (num - 1) * size, Limit: size})
}
