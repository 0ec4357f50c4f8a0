package main

import (
	"bufio"
	"bytes"
	"context"
	_ "embed" // the anchor's script
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"

	"github.com/pixmatch/pixmatch/shared/distort"
)

// anchorScript is the anchor pipeline, run as a subprocess.
//
//go:embed anchor.py
var anchorScript []byte

// The anchor's settings (camera-anchors §1).
const (
	// anchorPython is Debian's interpreter: python3-opencv installs cv2
	// for it, not for another Python that may be first on the PATH.
	anchorPython = "/usr/bin/python3"
	// anchorInstall is what to run when cv2 is missing.
	anchorInstall = "apt-get install -y python3-opencv"
	// anchorInliers is the inlier count from which the anchor matches.
	anchorInliers = 20
)

// anchorColumn is the anchor pipeline as a recogniser: OpenCV ORB, a
// FLANN-LSH vote over the gallery and RANSAC homographies, computed by
// anchor.py in procs processes that each hold the whole gallery. The
// pictures go to the script as grey PGM files in dir.
type anchorColumn struct {
	dir   string
	procs []*anchorProc
	stats AnchorStats
	mu    sync.Mutex // guards stats
}

// AnchorStats are the anchor's sizes and times, as the script measured
// them on one core.
type AnchorStats struct {
	Entries      int     `json:"entries"`
	Features     int     `json:"features"`
	EnrolSeconds float64 `json:"enrol_seconds"`
	Queries      int     `json:"queries"`
	QuerySeconds float64 `json:"query_seconds"`
}

// anchorProc is one running anchor.py.
type anchorProc struct {
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Reader
	stderr bytes.Buffer
}

// checkOpenCV reports whether Debian's python3-opencv can be used, and if
// not, what to install.
func checkOpenCV(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, anchorPython, "-c", "import cv2, numpy").CombinedOutput()
	if err != nil {
		return fmt.Errorf("the anchor needs Debian's python3-opencv for %s: run  %s  as root (or make opencv): %v: %s",
			anchorPython, anchorInstall, err, lastLines(string(out), 1))
	}
	return nil
}

// newAnchorColumn starts procs anchor processes working in dir, which it
// empties first.
func newAnchorColumn(ctx context.Context, dir string, procs int) (*anchorColumn, error) {
	if err := checkOpenCV(ctx); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(dir); err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	script := filepath.Join(dir, "anchor.py")
	if err := os.WriteFile(script, anchorScript, 0o644); err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	a := &anchorColumn{dir: dir}
	for range max(1, procs) {
		p := &anchorProc{cmd: exec.CommandContext(ctx, anchorPython, script)}
		p.cmd.Stderr = &p.stderr
		in, err := p.cmd.StdinPipe()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("anchor: %w", err), a.Close())
		}
		out, err := p.cmd.StdoutPipe()
		if err != nil {
			return nil, errors.Join(fmt.Errorf("anchor: %w", err), a.Close())
		}
		if err := p.cmd.Start(); err != nil {
			return nil, errors.Join(fmt.Errorf("anchor: %w", err), a.Close())
		}
		p.in, p.out = in, bufio.NewReaderSize(out, 1<<20)
		a.procs = append(a.procs, p)
	}
	return a, nil
}

func (a *anchorColumn) Name() string { return "ORB anchor" }

// Threshold is anchorInliers: Score is the homography's inlier count.
func (a *anchorColumn) Threshold() float64 { return anchorInliers }

// Stats returns the anchor's sizes and times so far.
func (a *anchorColumn) Stats() AnchorStats {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.stats
}

// call sends one request to p and decodes its answer into answer.
func (p *anchorProc) call(req, answer any) error {
	line, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if _, err := p.in.Write(append(line, '\n')); err != nil {
		return fmt.Errorf("anchor: %w (%s)", err, lastLines(p.stderr.String(), 3))
	}
	back, err := p.out.ReadBytes('\n')
	if err != nil {
		return fmt.Errorf("anchor: no answer: %w (%s)", err, lastLines(p.stderr.String(), 3))
	}
	var failed struct{ Error string }
	if json.Unmarshal(back, &failed) == nil && failed.Error != "" {
		return fmt.Errorf("anchor: %s", failed.Error)
	}
	return json.Unmarshal(back, answer)
}

// Enrol writes the gallery's pictures and has every process index them.
func (a *anchorColumn) Enrol(ctx context.Context, gallery []Entry) error {
	dir := filepath.Join(a.dir, "gallery")
	req := struct {
		Op    string   `json:"op"`
		IDs   []string `json:"ids"`
		Paths []string `json:"paths"`
	}{Op: "enrol"}
	for i, e := range gallery {
		req.IDs = append(req.IDs, e.ID)
		req.Paths = append(req.Paths, filepath.Join(dir, strconv.Itoa(i)+".pgm"))
	}
	if err := writeGreys(ctx, dir, req.Paths, func(i int) image.Image { return gallery[i].Image }, len(a.procs)); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	answers := make([]struct {
		Pictures, Features int
		Seconds            float64
	}, len(a.procs))
	err := a.each(func(i int, p *anchorProc) error { return p.call(req, &answers[i]) })
	if err != nil {
		return err
	}
	a.stats.Entries, a.stats.Features, a.stats.EnrolSeconds = answers[0].Pictures, answers[0].Features, answers[0].Seconds
	return nil
}

// each calls f for every process at once and returns the first error.
func (a *anchorColumn) each(f func(i int, p *anchorProc) error) error {
	errs := make([]error, len(a.procs))
	var wg sync.WaitGroup
	for i, p := range a.procs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = f(i, p)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// anchorHit is a hit as anchor.py answers it.
type anchorHit struct {
	ID      string       `json:"id"`
	Votes   int          `json:"votes"`
	Inliers int          `json:"inliers"`
	Corners [][2]float64 `json:"corners"`
}

// Query writes the pictures and shares them out among the processes.
func (a *anchorColumn) Query(ctx context.Context, pics []image.Image) ([][]Hit, error) {
	dir := filepath.Join(a.dir, "query")
	paths := make([]string, len(pics))
	for i := range pics {
		paths[i] = filepath.Join(dir, strconv.Itoa(i)+".pgm")
	}
	if err := writeGreys(ctx, dir, paths, func(i int) image.Image { return pics[i] }, len(a.procs)); err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	out := make([][]Hit, len(pics))
	share := (len(pics) + len(a.procs) - 1) / len(a.procs)
	err := a.each(func(i int, p *anchorProc) error {
		lo, hi := min(i*share, len(pics)), min((i+1)*share, len(pics))
		if lo == hi {
			return nil
		}
		var answer struct {
			Results [][]anchorHit
			Seconds float64
		}
		req := struct {
			Op    string   `json:"op"`
			Paths []string `json:"paths"`
		}{"query", paths[lo:hi]}
		if err := p.call(req, &answer); err != nil {
			return err
		}
		if len(answer.Results) != hi-lo {
			return fmt.Errorf("anchor: %d answers to %d queries", len(answer.Results), hi-lo)
		}
		for j, hits := range answer.Results {
			out[lo+j] = anchorHits(hits)
		}
		a.mu.Lock()
		a.stats.Queries += hi - lo
		a.stats.QuerySeconds += answer.Seconds
		a.mu.Unlock()
		return nil
	})
	return out, err
}

// anchorHits converts the script's hits.
func anchorHits(hits []anchorHit) []Hit {
	out := make([]Hit, 0, len(hits))
	for _, h := range hits {
		hit := Hit{ID: h.ID, Score: float64(h.Inliers)}
		if len(h.Corners) == 4 {
			var q distort.Quad
			for k, c := range h.Corners {
				q[k] = distort.Point{X: c[0], Y: c[1]}
			}
			hit.Corners = &q
		}
		out = append(out, hit)
	}
	return out
}

// Close ends the processes and removes the work folder.
func (a *anchorColumn) Close() error {
	var errs []error
	for _, p := range a.procs {
		p.in.Close() // the script ends at the end of its input
		if err := p.cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("anchor: %w (%s)", err, lastLines(p.stderr.String(), 3)))
		}
	}
	return errors.Join(append(errs, os.RemoveAll(a.dir))...)
}

// writeGreys writes pic(i) to paths[i], for every i, as a binary PGM of
// grey levels (Go's luma weights, those of OpenCV's grey conversion).
func writeGreys(ctx context.Context, dir string, paths []string, pic func(int) image.Image, workers int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("anchor: %w", err)
	}
	return parallel(ctx, len(paths), workers, func(i int) error {
		img := pic(i)
		b := img.Bounds()
		g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
		draw.Draw(g, g.Rect, img, b.Min, draw.Src)
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "P5\n%d %d\n255\n", b.Dx(), b.Dy())
		buf.Write(g.Pix)
		if err := os.WriteFile(paths[i], buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("anchor: %w", err)
		}
		return nil
	})
}
