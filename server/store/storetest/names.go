package storetest

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
)

// testTargetByName checks the Alibaba identity of targets: a ProductId
// and PicName pair is unique within a gallery and finds its target.
func testTargetByName(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	createTargets(t, s, g.ID, 0, 6) // products 0 (targets 0–2) and 1 (targets 3–5)
	for n := 0; n <= 5; n++ {
		want := withoutImage(Target(g.ID, n, 0))
		got, err := s.TargetByName(ctx, g.ID, want.ProductID, want.PicName)
		if err != nil {
			t.Fatalf("TargetByName(%q, %q): %v", want.ProductID, want.PicName, err)
		}
		if got.ID != want.ID {
			t.Errorf("TargetByName(%q, %q) = %s, want %s", want.ProductID, want.PicName, got.ID, want.ID)
		}
	}
	first := Target(g.ID, 0, 0)
	if _, err := s.TargetByName(ctx, other.ID, first.ProductID, first.PicName); err == nil {
		t.Error("TargetByName found a target of another gallery")
	}
	_, err := s.TargetByName(ctx, g.ID, first.ProductID, "no-such-pic")
	wantErr(t, "TargetByName(missing)", err, store.ErrNotFound)

	// The same pair again is refused, even under another ID.
	dup := Target(g.ID, 100, 10)
	dup.ProductID, dup.PicName = first.ProductID, first.PicName
	_, err = s.CreateTarget(ctx, dup)
	wantErr(t, "CreateTarget(taken ProductId and PicName)", err, store.ErrExists)
	// In another gallery it is a different target.
	dup.Gallery = other.ID
	if _, err := s.CreateTarget(ctx, dup); err != nil {
		t.Fatalf("CreateTarget in another gallery: %v", err)
	}

	ts, err := s.ProductTargets(ctx, g.ID, "product-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) != 3 || ts[0].ID != TargetID(3) || ts[2].ID != TargetID(5) || ts[0].Image != nil {
		t.Errorf("ProductTargets(product-1) = %d targets %v", len(ts), ids(ts))
	}
	if ts, err := s.ProductTargets(ctx, g.ID, "product-9"); err != nil || len(ts) != 0 {
		t.Errorf("ProductTargets(missing) = %v, %v; want none", ids(ts), err)
	}
}

// testTasks checks the record of background tasks.
func testTasks(t *testing.T, s store.Store) {
	ctx := context.Background()
	g := newGallery(t, s, "alpha")
	other := newGallery(t, s, "beta")
	var made []store.Task
	// At most one task of a gallery and kind runs (testRunningTasks); the
	// earlier dumps are recorded as ended.
	for i, m := range []struct {
		kind   store.TaskKind
		status string
	}{{store.TaskDump, store.TaskFailed}, {store.TaskImport, store.TaskRunning}, {store.TaskDump, store.TaskFailed}, {store.TaskDump, store.TaskRunning}} {
		task, err := s.CreateTask(ctx, store.Task{Gallery: g.ID, Kind: m.kind, Status: m.status, Source: "src", Callback: "cb", Created: baseTime + int64(i)})
		if err != nil {
			t.Fatal(err)
		}
		if task.ID == 0 {
			t.Fatal("CreateTask gave no ID")
		}
		made = append(made, task)
	}
	if _, err := s.CreateTask(ctx, store.Task{Gallery: other.ID, Kind: store.TaskDump, Status: store.TaskRunning}); err != nil {
		t.Fatal(err)
	}
	done := made[2]
	done.Status, done.Code, done.Message, done.Result = "SUCCESS", "0", "ok", "dumps/3.meta"
	done.Total, done.Done, done.Failed = 10, 9, 1
	done.Modified = baseTime + 99
	if err := s.UpdateTask(ctx, done); err != nil {
		t.Fatal(err)
	}
	got, err := s.Task(ctx, g.ID, done.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got != done {
		t.Errorf("Task after update = %+v, want %+v", got, done)
	}
	if _, err := s.Task(ctx, other.ID, done.ID); err == nil {
		t.Error("Task found a task of another gallery")
	}
	dumps, total, err := s.Tasks(ctx, g.ID, store.TaskDump, store.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(dumps) != 2 || dumps[0].ID != made[3].ID || dumps[1].ID != made[2].ID {
		t.Errorf("Tasks(dump, first 2) = %d of %d, %+v", len(dumps), total, dumps)
	}
	imports, total, err := s.Tasks(ctx, g.ID, store.TaskImport, store.Page{})
	if err != nil || total != 1 || len(imports) != 1 || imports[0].Source != "src" || imports[0].Callback != "cb" {
		t.Errorf("Tasks(import) = %+v, %d, %v", imports, total, err)
	}
	missing := done
	missing.ID += 1000
	wantErr(t, "UpdateTask(missing)", s.UpdateTask(ctx, missing), store.ErrNotFound)
	if err := s.DeleteGallery(ctx, g.ID); err != nil {
		t.Fatal(err)
	}
	if _, n, err := s.Tasks(ctx, g.ID, store.TaskDump, store.Page{}); err != nil || n != 0 {
		t.Errorf("tasks survive their gallery: %d, %v", n, err)
	}
}
