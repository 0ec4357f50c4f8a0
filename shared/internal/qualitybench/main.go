// Command qualitybench measures how well pixmatch recognises pictures: it
// builds a corpus of real photographs from Debian packages, makes queries
// from gallery targets with the recipes of distort.Catalogue, searches a
// gallery padded to 10,000 entries with the production fingerprint and
// index, and reports recall and false matches per recipe beside a plain
// 64-bit pHash baseline.
//
// A second table, the camera table, searches every recogniser (pixmatch's
// hash tier, the pHash baseline, pixmatch's feature tier of shared/camera,
// both tiers merged, and an anchor: OpenCV ORB features, a FLANN-LSH vote
// and RANSAC homographies, run by anchor.py under Debian's python3-opencv)
// with the same camera-like queries of distort.CameraCatalogue, and
// measures how far the corners a recogniser reports are from where the
// target really is. The anchor indexes the targets and the first
// distractors only (-anchor-entries, 1,000 by default): its index search
// grows with the gallery, and at 10,000 entries a query takes seconds
// (-anchor=false leaves it out). A third table searches the results
// table's recipes with the hash tier, the feature tier and both merged
// (-tiers).
//
// Two other modes measure nothing of the report. -vocabulary FILE trains
// the feature tier's vocabulary on the corpus's fillers only (make
// vocabulary writes shared/camera/vocabulary.bin); -tune sweeps the
// feature tier's settings (vocabulary shape, bag size, shortlist length,
// least inliers, query features; the -tune-* flags) over the camera
// table's queries and prints one row per combination.
//
//	go run ./shared/internal/qualitybench -cache .cache/quality -out .cache/quality/report
//
// The first run downloads the packages with apt-get download into the
// cache folder, unpacks them with dpkg -x, writes the packages' licences
// to LICENSES.md there and prepares the pictures; later runs reuse all of
// it. The report is written to quality.md and quality.json in the output
// folder, and summarised on standard output. Recipes, seeds and
// thresholds are fixed, so two runs give the same tables; only the
// timings vary.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	cache := flag.String("cache", ".cache/quality", "folder for the downloaded packages, their unpacked trees and the prepared pictures")
	out := flag.String("out", "", "folder to write quality.md and quality.json to (default: <cache>/report)")
	workers := flag.Int("workers", runtime.GOMAXPROCS(0), "pictures processed at once")
	quiet := flag.Bool("q", false, "print only the summary")
	var opt cameraOptions
	flag.BoolVar(&opt.camera, "camera", true, "measure the camera table too")
	flag.BoolVar(&opt.anchor, "anchor", true, "add the OpenCV anchor to the camera table (needs Debian's python3-opencv; -anchor=false for a quick run)")
	flag.BoolVar(&opt.tiers, "tiers", true, "measure both tiers on the results table's recipes too")
	flag.IntVar(&opt.anchorEntries, "anchor-entries", 1000, "gallery entries the anchor indexes: every target, then distractors (0: all)")
	flag.IntVar(&opt.anchorProcs, "anchor-procs", 0, "anchor processes, each holding the whole index (default: -workers)")
	vocabulary := flag.String("vocabulary", "", "instead of measuring, train the feature tier's vocabulary on the corpus's fillers and write it to this file")
	vo := defaultVocabulary
	flag.IntVar(&vo.K, "vocabulary-k", vo.K, "children a node of the vocabulary tree")
	flag.IntVar(&vo.Levels, "vocabulary-levels", vo.Levels, "levels of the vocabulary tree")
	flag.IntVar(&vo.Views, "vocabulary-views", vo.Views, "camera views of each filler whose features the vocabulary is also trained on")
	var ts tuneSpec
	ts.flags()
	doTune := flag.Bool("tune", false, "instead of measuring, sweep the feature tier's settings over the camera table's queries and print a table")
	flag.Parse()
	if *out == "" {
		*out = filepath.Join(*cache, "report")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	logf := func(format string, args ...any) {
		if !*quiet {
			fmt.Fprintf(os.Stderr, "qualitybench: "+format+"\n", args...)
		}
	}
	if opt.anchorProcs <= 0 {
		opt.anchorProcs = max(1, *workers)
	}
	var err error
	switch {
	case *doTune:
		err = tuneMode(ctx, *cache, max(1, *workers), vo, ts, logf)
	case *vocabulary != "":
		err = vocabularyMode(ctx, *cache, *vocabulary, vo, max(1, *workers), logf)
	default:
		err = run(ctx, *cache, *out, max(1, *workers), opt, logf)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "qualitybench:", err)
		os.Exit(1)
	}
}

// cameraOptions choose what the camera table measures.
type cameraOptions struct {
	camera, anchor, tiers      bool
	anchorEntries, anchorProcs int
}

// run builds the corpus, measures, and writes the report.
func run(ctx context.Context, cache, out string, workers int, opt cameraOptions, logf func(string, ...any)) error {
	start := time.Now()
	corpus, err := BuildCorpus(ctx, cache, workers, logf)
	if err != nil {
		return err
	}
	if opt.anchor && opt.camera {
		if err := checkOpenCV(ctx); err != nil { // before the long run, not after it
			return err
		}
	}
	logf("corpus: %d targets, %d non-members, %d pictures to make distractors of (%s)",
		len(corpus.Targets), len(corpus.NonMembers), len(corpus.Fillers), time.Since(start).Round(time.Millisecond))
	res, err := Measure(ctx, corpus, galleryEntries, workers, logf)
	if err != nil {
		return err
	}
	rep := NewReport(corpus, res)
	if opt.camera {
		if rep.Camera, rep.Tiers, err = cameraTable(ctx, corpus, res, cache, workers, opt, logf); err != nil {
			return err
		}
	}
	if err := rep.Write(out); err != nil {
		return err
	}
	rep.Summarise(os.Stdout)
	fmt.Printf("report: %s, %s (%s)\n", filepath.Join(out, mdFile), filepath.Join(out, jsonFile), time.Since(start).Round(time.Second))
	return nil
}

// cameraTable measures the camera table — pixmatch's hash tier, the pHash
// baseline, the feature tier, both tiers merged and, unless opt says not
// to, the anchor — and then the results table's recipes with the hash
// tier, the feature tier and both merged.
func cameraTable(ctx context.Context, c *Corpus, res *Results, cache string, workers int, opt cameraOptions, logf func(string, ...any)) (camera, tiers *CameraReport, err error) {
	start := time.Now()
	set, err := productionTier()
	if err != nil {
		return nil, nil, err
	}
	hash, features := newHashColumn(workers), newTierColumn(set, workers)
	features.judge = hash
	cols := []column{{rec: hash}, {rec: &phashColumn{workers: workers}}, {rec: features}}
	if opt.anchor {
		a, err := newAnchorColumn(ctx, filepath.Join(cache, "anchor"), opt.anchorProcs)
		if err != nil {
			return nil, nil, err
		}
		cols = append(cols, column{rec: a, entries: opt.anchorEntries})
	}
	defer func() {
		for _, col := range cols {
			if cerr := col.rec.Close(); cerr != nil {
				logf("%v", cerr)
			}
		}
	}()
	infos, err := enrolColumns(ctx, res, cols, logf)
	if err != nil {
		return nil, nil, err
	}
	edits, isCamera := cameraEdits()
	cr, err := queryColumns(ctx, c, res, cols, infos, edits, isCamera, workers, logf)
	if err != nil {
		return nil, nil, err
	}
	addBothColumns(cr, 0, 2)
	logf("camera table (%s)", time.Since(start).Round(time.Millisecond))
	if !opt.tiers {
		return NewCameraReport(cr), nil, nil
	}
	start = time.Now()
	edits, isCamera = catalogueEdits()
	tr, err := queryColumns(ctx, c, res, []column{cols[0], cols[2]}, []ColumnInfo{infos[0], infos[2]}, edits, isCamera, workers, logf)
	if err != nil {
		return nil, nil, err
	}
	tr.MeanOf = "recipes"
	addBothColumns(tr, 0, 1)
	logf("both tiers on the results table's recipes (%s)", time.Since(start).Round(time.Millisecond))
	return NewCameraReport(cr), NewCameraReport(tr), nil
}

// parallel calls f(i) for every i in [0, n) on up to workers goroutines
// and returns the first error, or the context's if it ends first. After
// an error no new calls start.
func parallel(ctx context.Context, n, workers int, f func(i int) error) error {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		once     sync.Once
		firstErr error
	)
	fail := func(err error) { once.Do(func() { firstErr = err }) }
	var failed atomic.Bool
	for w := 0; w < min(workers, n); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					failed.Store(true)
					return
				}
				if err := f(i); err != nil {
					fail(err)
					failed.Store(true)
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}
