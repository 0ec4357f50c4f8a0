package alibaba

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/jobs"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Task statuses, as Alibaba reports them: gallery.TaskRunning
// (PROCESSING) until the task ends, then one of these.
const (
	statusSuccess = "SUCCESS" // a finished dump
	statusNormal  = "NORMAL"  // a finished import
)

// recordTimeout bounds the write of a task's outcome, which must happen
// even when the task's context has ended.
const recordTimeout = 5 * time.Second

// interruptedMessage is the Msg of a task the server stopped before it
// ended, then or at its next start.
const interruptedMessage = "The task was interrupted: the server stopped before it ended."

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

// startTask reserves a job for t, makes its gallery's folder and records
// t as running. A task of the same kind still running, or a server that
// is stopping, refuses it with nothing recorded. The caller runs or
// drops the job.
func (h *Handler) startTask(ctx context.Context, t gallery.Task) (gallery.Task, *jobs.Job, error) {
	job, err := h.jobs.Start(string(t.Kind))
	if err != nil {
		return t, nil, apierror.InternalError.Because(err)
	}
	if err := h.makeFolder(t.Gallery); err != nil {
		job.Drop()
		return t, nil, apierror.InternalOssError.Because(err)
	}
	t, err = h.svc.Tasks.Create(ctx, t)
	if err != nil {
		job.Drop()
		if errors.Is(err, gallery.ErrTaskRunning) {
			return t, nil, apierror.DeniedRequest.Because(err)
		}
		return t, nil, err
	}
	return t, job, nil
}

// startDump begins writing every picture's metadata to a file. The file
// is created before the task is acknowledged, so a folder that cannot be
// written fails the request.
func (h *Handler) startDump(ctx context.Context, g store.Gallery) (gallery.Task, error) {
	t, job, err := h.startTask(ctx, gallery.Task{Gallery: g.ID, Kind: gallery.TaskDump, Status: gallery.TaskRunning})
	if err != nil {
		return t, err
	}
	t.Result = fmt.Sprintf("dump-%d.meta", t.ID)
	f, err := h.createFile(g.ID, t.Result)
	if err != nil {
		job.Drop()
		err = apierror.InternalOssError.Because(fmt.Errorf("dump file: %w", err))
		h.failTask(ctx, t, err)
		return t, err
	}
	job.Go(func(ctx context.Context) {
		t := t // its own copy: the caller answers with the original
		n, err := h.dump(ctx, f, g.ID)
		t.Total, t.Done = n, n
		switch {
		case ctx.Err() != nil:
			h.interrupted(ctx, t)
		case err != nil:
			h.failTask(ctx, t, apierror.InternalOssError.Because(fmt.Errorf("dump: %w", err)))
		default:
			h.finish(ctx, t, statusSuccess, "0", "success")
		}
	})
	return t, nil
}

// dump writes one metaLine per target into f, synced and closed.
func (h *Handler) dump(ctx context.Context, f *os.File, id int64) (int, error) {
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	n := 0
	err := h.svc.Targets.Each(ctx, id, func(t gallery.Target) error {
		n++
		return enc.Encode(lineOf(t))
	})
	err = errors.Join(err, w.Flush(), f.Sync(), f.Close())
	return n, err
}

func lineOf(t gallery.Target) metaLine {
	cat := int32(OtherCategory)
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

// finish records a task's outcome, even after ctx has ended.
func (h *Handler) finish(ctx context.Context, t gallery.Task, status, code, msg string) gallery.Task {
	t.Status, t.Code, t.Message = status, code, msg
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	if err := h.svc.Tasks.Update(ctx, t); err != nil {
		h.log.Error("record task outcome", "task", t.ID, "err", err)
	}
	return t
}

// failTask records that a task failed with the catalogue entry err
// carries: the client sees its code and message, the log the whole error,
// whose paths and causes are the server's business.
func (h *Handler) failTask(ctx context.Context, t gallery.Task, err error) gallery.Task {
	e := asAlibaba(err)
	h.log.Error("task failed", "kind", t.Kind, "gallery", t.Gallery, "task", t.ID, "code", e.Code, "err", err)
	return h.finish(ctx, t, gallery.TaskFailed, e.Code, e.Message)
}

// interrupted records that the server stopped a task before it ended.
func (h *Handler) interrupted(ctx context.Context, t gallery.Task) gallery.Task {
	h.log.Warn("task interrupted", "kind", t.Kind, "gallery", t.Gallery, "task", t.ID, "cause", context.Cause(ctx))
	return h.finish(ctx, t, gallery.TaskFailed, apierror.InternalError.Code, interruptedMessage)
}

// EndInterrupted marks the tasks an earlier process left running as
// failed, interrupted. A server calls it as it starts, before it serves:
// an import left PROCESSING would refuse every later one.
func (h *Handler) EndInterrupted(ctx context.Context) error {
	n, err := h.svc.Tasks.FailRunning(ctx, apierror.InternalError.Code, interruptedMessage)
	if err != nil {
		return fmt.Errorf("alibaba: end interrupted tasks: %w", err)
	}
	if n > 0 {
		h.log.Warn("tasks interrupted by the last stop marked failed", "tasks", n)
	}
	return nil
}

// listTasks returns a page of tasks, or the one with the given ID.
func (h *Handler) listTasks(ctx context.Context, g int64, kind gallery.TaskKind, num, size int, id int64) ([]gallery.Task, int, error) {
	if id != 0 {
		t, err := h.svc.Tasks.Get(ctx, g, id)
		if errors.Is(err, gallery.ErrNotFound) || (err == nil && t.Kind != kind) {
			return nil, 0, nil
		}
		if err != nil {
			return nil, 0, err
		}
		return []gallery.Task{t}, 1, nil
	}
	return h.svc.Tasks.List(ctx, g, kind, store.Page{Offset: (num - 1) * size, Limit: size})
}
