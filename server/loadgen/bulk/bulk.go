// Package bulk seeds a gallery with the targets `pixmatch bench` adds
// through the API — target i drawn from seed i (loadgen.Picture), named
// loadgen.Name(i), compressed as loadgen.TargetJPEG — by writing them into
// the store of a stopped server, on every core, about fifty times faster:
// a 100,000-target gallery to measure searches against in minutes, not
// the two hours enrolment through the API takes.
//
// What is written is what a search reads, made as the server makes it.
// The targets a run's searches send copies of (loadgen.Queried of
// Options.Targets, 256 of them) are exact: their JPEG file, its SHA-256
// and size, and their fingerprint from the decoded file
// (fingerprint.Plane, fingerprint.TargetOf: the server's enrolment of a
// CRS target, which has no focus). Every other target has the
// fingerprint of its own picture too, made from the drawn pixels rather
// than from its JPEG file (compressing and decoding 100,000 files would
// be four fifths of the work; the codes differ by a few bits at most, so
// the index holds codes shaped as the API would have made them), and
// stores, as its file, the file of one of the exact targets: rows of the
// same size, read as a search reads them. The first target added is
// enrolled by the server's own code (gallery.Targets.Add: grade, feature
// record, change log); the others take its row as the template — the
// same fields, and its grade, a report of the same size and shape — and
// a feature record without features (of its plane's size and
// enrolment): a record, so the server does not set about making one for
// each in the background (tens of milliseconds a target), and empty,
// since extracting them is most of an enrolment's work. A copy of a
// target is answered by the hash tier alone (the feature tier runs only
// when the hash tier matches fewer targets than the search asked for),
// so its search reads neither the grades' contents nor any feature
// record, and the figure is not flattered by their absence (the server's
// heap is smaller by the tier's 4 KB a target, which if anything makes
// its garbage collector run more often); a search for a picture of no
// target would be (its feature tier would find nothing to verify), so
// measure those against a gallery enrolled through the API.
package bulk

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/loadgen"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/feature"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Options is a seeding.
type Options struct {
	Targets  int    // seed until the gallery holds this many
	Seed     uint64 // the run seed of loadgen's pictures (pixmatch bench --seed)
	Workers  int    // pictures drawn and fingerprinted at once (default GOMAXPROCS)
	Progress func(held, of int)
}

// Seed adds targets to the gallery until it holds o.Targets, continuing
// from the count it holds (target i for i from that count on), and
// returns how many it added. The store must not be served meanwhile: the
// rows are written behind the back of any server's index.
func Seed(ctx context.Context, st store.Store, galleryID int64, o Options) (int, error) {
	held, err := st.CountTargets(ctx, galleryID)
	if err != nil || held >= o.Targets {
		return 0, err
	}
	tmpl, err := enrolFirst(ctx, st, galleryID, o.Seed, held)
	if err != nil {
		return 0, err
	}
	if tmpl.Features, err = emptyRecord(ctx, st, tmpl); err != nil {
		return 1, err
	}
	added := 1
	workers := cmp.Or(o.Workers, runtime.GOMAXPROCS(0))
	files, err := exact(ctx, o.Seed, o.Targets, workers)
	if err != nil {
		return added, err
	}
	shared := slices.Collect(maps.Values(files))
	rows := make(chan store.Target, 64)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	next := make(chan int)
	for range cap(errs) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				t, err := row(tmpl, o.Seed, i, files, shared)
				if err != nil {
					errs <- err
					cancel()
					return
				}
				select {
				case rows <- t:
				case <-ctx.Done():
					return
				}
			}
		}()
	}
	go func() {
		defer close(next)
		for i := held + 1; i < o.Targets; i++ {
			select {
			case next <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() { wg.Wait(); close(rows) }()
	last := time.Now()
	for t := range rows {
		if _, err := st.CreateTarget(ctx, t); err != nil {
			cancel()
			for range rows { // let the workers end
			}
			return added, fmt.Errorf("bulk: target %s: %w", t.Name, err)
		}
		added++
		if o.Progress != nil && time.Since(last) > 2*time.Second {
			o.Progress(held+added, o.Targets)
			last = time.Now()
		}
	}
	close(errs)
	if err := errors.Join(<-errs, ctx.Err()); err != nil {
		return added, err
	}
	if o.Progress != nil {
		o.Progress(held+added, o.Targets)
	}
	return added, nil
}

// enrolFirst adds target i through the server's own enrolment, as the
// CRS API adds it for pixmatch bench, and returns its stored row.
func enrolFirst(ctx context.Context, st store.Store, galleryID int64, seed uint64, i int) (store.Target, error) {
	svc, err := gallery.Open(ctx, st, config.Default())
	if err != nil {
		return store.Target{}, err
	}
	defer svc.Close(ctx)
	data, err := loadgen.TargetJPEG(seed, i)
	if err != nil {
		return store.Target{}, err
	}
	pic, err := svc.Pictures.Read(ctx, data, gallery.Policy{})
	if err != nil {
		return store.Target{}, fmt.Errorf("bulk: target %d: %w", i, err)
	}
	nt := gallery.NewTarget()
	nt.Name, nt.Meta, nt.AllowSimilar = loadgen.Name(i), fmt.Sprint(i), true
	t, err := svc.Targets.Add(ctx, galleryID, nt, pic, gallery.AddOptions{RefuseDuplicate: true})
	if err != nil {
		return store.Target{}, fmt.Errorf("bulk: target %d: %w", i, err)
	}
	return st.Target(ctx, galleryID, t.ID, false)
}

// emptyRecord returns a feature record of the size and enrolment of the
// template's, without features.
func emptyRecord(ctx context.Context, st store.Store, tmpl store.Target) ([]byte, error) {
	recs, err := st.TargetFeatures(ctx, tmpl.Gallery, []string{tmpl.ID})
	if err != nil {
		return nil, err
	}
	var r feature.Record
	if err := r.UnmarshalBinary(recs[tmpl.ID]); err != nil {
		return nil, fmt.Errorf("bulk: the first target's feature record: %w", err)
	}
	return feature.Record{Width: r.Width, Height: r.Height, Enrolment: r.Enrolment}.MarshalBinary()
}

// exact returns the files of the targets a run's searches copy, by
// target, made on every core.
func exact(ctx context.Context, seed uint64, targets, workers int) (map[int][]byte, error) {
	queried := loadgen.Queried(targets)
	files := make([][]byte, len(queried))
	errs := make([]error, len(queried))
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := w; k < len(queried) && ctx.Err() == nil; k += workers {
				files[k], errs[k] = loadgen.TargetJPEG(seed, queried[k])
			}
		}()
	}
	wg.Wait()
	out := make(map[int][]byte, len(queried))
	for k, i := range queried {
		out[i] = files[k]
	}
	return out, errors.Join(append(errs, ctx.Err())...)
}

// row makes the row of target i from the template: its own ID, name,
// meta and fingerprint, and its file when it is an exact target (see the
// package documentation), else the file of exact target files[i%len].
func row(tmpl store.Target, seed uint64, i int, files map[int][]byte, shared [][]byte) (store.Target, error) {
	var fp fingerprint.Fingerprint
	data, ok := files[i]
	width, height := 0, 0
	if ok {
		img, info, err := imagefile.Decode(data, imagefile.Limits{})
		if err != nil {
			return tmpl, fmt.Errorf("bulk: target %d: %w", i, err)
		}
		width, height = info.Size()
		fp, err = fingerprint.TargetOf(fingerprint.Plane(img, info.Upright()))
		if err != nil {
			return tmpl, fmt.Errorf("bulk: target %d: %w", i, err)
		}
	} else {
		img := loadgen.Picture(seed, i, tmpl.Width)
		width, height = img.Rect.Dx(), img.Rect.Dy()
		var err error
		if fp, err = fingerprint.Target(img); err != nil {
			return tmpl, fmt.Errorf("bulk: target %d: %w", i, err)
		}
		data = shared[i%len(shared)]
	}
	t := tmpl
	var err error
	if t.Fingerprint, err = fp.MarshalBinary(); err != nil {
		return tmpl, err
	}
	t.ID = uuid.NewString()
	t.ProductID, t.Name, t.PicName, t.Meta = t.ID, loadgen.Name(i), loadgen.Name(i), fmt.Sprint(i)
	t.Image, t.ImageSHA256 = data, sha256.Sum256(data)
	t.Width, t.Height = width, height
	t.Created = time.Now().UnixMilli()
	t.Modified = t.Created
	return t, nil
}
