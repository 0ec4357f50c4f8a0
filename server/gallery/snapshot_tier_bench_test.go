//go:build unix

package gallery

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store/sqlite"
)

// BenchmarkOpenCameraGallery opens the camera benchmark's gallery
// (BenchmarkCameraSearch: 100,000 targets with feature records, in
// SQLite) from its rows, which writes its snapshot at Close, then from
// the snapshot — hash index and feature tier — and reports both, their
// ratio, the heap a target costs opened each way and the snapshot file's
// bytes a target, and the CPU time each opening took (every thread's: the
// wall time depends on what else the shared machine runs). The database is copied into a temporary folder first,
// so that a -benchcache one is only read. Each opening from the snapshot
// is checked to have used it whole.
//
//	go test -run '^$' -bench OpenCameraGallery -benchtime 3x ./server/gallery -args -benchcache DIR
func BenchmarkOpenCameraGallery(b *testing.B) {
	ctx := context.Background()
	src, _ := cameraGallery(b)
	path := filepath.Join(b.TempDir(), "camera.db")
	copyFile(b, src, path)
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	dir := filepath.Join(b.TempDir(), "snapshots")
	snaps := WithSnapshots(dir, nil)
	var cpu time.Duration // of the last opening
	open := func() (*Service, time.Duration, float64) {
		runtime.GC()
		before := heapAfterGC()
		t0, c0 := time.Now(), processCPU()
		svc, err := Open(ctx, st, config.Default(), snaps)
		if err != nil {
			b.Fatal(err)
		}
		took := time.Since(t0)
		cpu = processCPU() - c0
		return svc, took, float64(heapAfterGC()-before) / cameraTargets
	}
	first, rows, rowsHeap := open()
	rowsCPU := cpu
	g := first.shelfList()[0].id
	if fromSnapshot(first, g) {
		b.Fatal("a snapshot was there before the first start")
	}
	if err := first.Close(ctx); err != nil {
		b.Fatal(err)
	}
	first = nil
	file, err := os.Stat(filepath.Join(dir, strconv.FormatInt(g, 10)+".snap"))
	if err != nil {
		b.Fatal(err)
	}
	var snap, snapCPU time.Duration
	var snapHeap float64
	for b.Loop() {
		svc, took, heap := open()
		snap, snapHeap, snapCPU = snap+took, heap, snapCPU+cpu
		if sh, _ := svc.shelf(g); !fromSnapshot(svc, g) || sh.tier.Len() != cameraTargets || sh.index.Len() != cameraTargets {
			b.Fatal("the snapshot was not used whole")
		}
		svc.snaps.stop()
	}
	perOpen := snap / time.Duration(b.N)
	b.ReportMetric(rows.Seconds(), "s-open-rows")
	b.ReportMetric(perOpen.Seconds(), "s-open-snapshot")
	b.ReportMetric(float64(rows)/float64(perOpen), "x-faster-than-rows")
	b.ReportMetric(rowsCPU.Seconds(), "s-cpu-rows")
	b.ReportMetric((snapCPU / time.Duration(b.N)).Seconds(), "s-cpu-snapshot")
	b.ReportMetric(rowsHeap, "B/target-rows")
	b.ReportMetric(snapHeap, "B/target-snapshot")
	b.ReportMetric(float64(file.Size())/cameraTargets, "B/target-file")
}

// copyFile copies the file at src to dst.
func copyFile(b *testing.B, src, dst string) {
	in, err := os.Open(src)
	if err != nil {
		b.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		b.Fatal(err)
	}
	if err := out.Close(); err != nil {
		b.Fatal(err)
	}
}

// processCPU returns the CPU time the process has used, every thread's.
func processCPU() time.Duration {
	var u syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &u) != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
