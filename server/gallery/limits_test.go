package gallery

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/imagefile"
	"github.com/pixmatch/pixmatch/shared/imagefile/imagefiletest"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// TestAdmissionBeforeDecode checks that a search refused by the gallery's
// limits never decodes its picture: the source is not even asked for it.
func TestAdmissionBeforeDecode(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	g.QPS, g.DailySearches = 1, 2
	if err := st.UpdateGallery(ctx, g); err != nil {
		t.Fatal(err)
	}
	if err := svc.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	var reads atomic.Int32
	read := func(ctx context.Context) (*Picture, error) {
		reads.Add(1)
		return svc.Pictures.Read(ctx, testphoto.File("coffee"), Policy{})
	}
	if _, err := svc.Recognition.Search(ctx, g.ID, read, SearchOptions{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Recognition.Search(ctx, g.ID, read, SearchOptions{Limit: 1}); !errors.Is(err, ErrThrottled) {
		t.Fatalf("second search in the same second: %v, want ErrThrottled", err)
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("the picture was read %d times; a throttled search must not read it", n)
	}
	g.Suspended = true
	st.UpdateGallery(ctx, g)
	svc.Refresh(ctx)
	if _, err := svc.Recognition.Search(ctx, g.ID, read, SearchOptions{Limit: 1}); !errors.Is(err, ErrSuspended) {
		t.Fatalf("search of a suspended gallery: %v, want ErrSuspended", err)
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("a refused search read its picture (%d reads)", n)
	}
}

// TestDecodeBudget checks the process's decode budget: a picture that
// would need more than all of it is too large, one that does not fit
// beside the decodes in flight waits and is answered busy, and an
// ordinary picture still decodes while a large share is held.
func TestDecodeBudget(t *testing.T) {
	cfg := config.Default()
	cfg.Server.DecodeBytes = 64 << 20
	cfg.Server.BusyWait = 50 * time.Millisecond
	svc := bare(cfg)
	ctx := context.Background()
	huge := imagefiletest.PNGHeader(4096, 4096, 16, imagefiletest.RGBA, false) // 128 MB to decode
	if _, err := svc.Pictures.Read(ctx, huge, Policy{}); !errors.Is(err, ErrImageTooLarge) {
		t.Fatalf("a picture needing twice the budget: %v, want ErrImageTooLarge", err)
	}
	big := imagefiletest.PNGHeader(2048, 2048, 16, imagefiletest.RGBA, false) // 32 MB
	svc.decodes.Acquire(ctx, 40<<20)                                          // decodes in flight
	if _, err := svc.Pictures.Read(ctx, big, Policy{}); !errors.Is(err, ErrBusy) {
		t.Fatalf("a picture that does not fit beside the decodes in flight: %v, want ErrBusy", err)
	}
	if _, err := svc.Pictures.Read(ctx, testphoto.File("coffee"), Policy{}); err != nil {
		t.Fatalf("an ordinary picture beside the decodes in flight: %v", err)
	}
	svc.decodes.Release(40 << 20)
	if _, err := svc.Pictures.Read(ctx, big, Policy{}); !errors.Is(err, ErrImageCorrupt) {
		t.Fatalf("the bomb once there is room: %v, want it decoded and found corrupt", err)
	}
	if used := svc.decodes.InUse(); used != 0 {
		t.Fatalf("%d bytes of the budget still held after every decode ended", used)
	}
}

// TestDecodeBudgetLuma: a search decodes a baseline JPEG to its luma,
// and takes from the decode budget what that takes (imagefile.LumaCost),
// not what image/jpeg's whole decode would: a 3000×2000 photo, 9 MB to
// decode whole and 6 MB to its luma, is searched within a budget of
// 8 MB, and refused as too large as a target, decoded whole; damaged,
// it takes the rest of image/jpeg's share when lumajpeg gives it up.
func TestDecodeBudgetLuma(t *testing.T) {
	cfg := config.Default()
	cfg.Server.DecodeBytes = 8 << 20
	svc := bare(cfg)
	ctx := context.Background()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testphoto.Decoded("coffee", 3000, 2000), &jpeg.Options{Quality: 85}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Pictures.Read(ctx, b.Bytes(), Policy{Search: true}); err != nil {
		t.Errorf("a search of the photo: %v", err)
	}
	if _, err := svc.Pictures.Read(ctx, b.Bytes(), Policy{}); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("the photo as a target: %v, want ErrImageTooLarge", err)
	}
	// Damaged, it goes to image/jpeg after lumajpeg, which needs all of
	// image/jpeg's share: over the budget, too large; within a larger
	// one, taken and found corrupt.
	damaged := b.Bytes()[:b.Len()/2]
	if _, err := svc.Pictures.Read(ctx, damaged, Policy{Search: true}); !errors.Is(err, ErrImageTooLarge) {
		t.Errorf("a search of the photo damaged: %v, want ErrImageTooLarge", err)
	}
	cfg.Server.DecodeBytes = 16 << 20
	cfg.Server.BusyWait = 50 * time.Millisecond
	larger := bare(cfg)
	larger.decodes.Acquire(ctx, 8<<20) // room for the luma, not for image/jpeg's share
	if _, err := larger.Pictures.Read(ctx, damaged, Policy{Search: true}); !errors.Is(err, ErrBusy) {
		t.Errorf("a search of the photo damaged, no room for the rest: %v, want ErrBusy", err)
	}
	larger.decodes.Release(8 << 20)
	if _, err := larger.Pictures.Read(ctx, damaged, Policy{Search: true}); !errors.Is(err, ErrImageCorrupt) {
		t.Errorf("a search of the photo damaged, within 16 MB: %v, want ErrImageCorrupt", err)
	}
	for _, s := range []*Service{svc, larger} {
		if used := s.decodes.InUse(); used != 0 {
			t.Fatalf("%d bytes of the budget still held after every decode ended", used)
		}
	}
}

// TestOrientationRefused checks that an EXIF orientation outside 1–8 is
// refused before decoding.
func TestOrientationRefused(t *testing.T) {
	data := withOrientation(t, testphoto.File("coffee"), 9)
	if _, err := testService.Pictures.Read(context.Background(), data, Policy{}); !errors.Is(err, ErrOrientation) {
		t.Fatalf("orientation 9: %v, want ErrOrientation", err)
	}
}

// TestSettingsChangeDuringWork changes a gallery's limits and flags, from
// the service and behind its back, while adds and searches run; the race
// detector checks that requests read the settings safely.
func TestSettingsChangeDuringWork(t *testing.T) {
	ctx := context.Background()
	svc, st, g := open(t)
	unhurried(svc)
	names := testphoto.Names()
	pics := make([]*Picture, len(names))
	for i, n := range names {
		pics[i] = picture(t, n)
	}
	stop := make(chan struct{})
	var changers sync.WaitGroup
	changers.Add(2)
	go func() {
		defer changers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			capacity, qps := 1000+i%7, 1000+i%5
			svc.Galleries.Update(ctx, g.Name, GalleryChange{Capacity: &capacity, QPS: &qps})
		}
	}()
	go func() {
		defer changers.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h := g
			h.DailySearches = 100000 + i%3
			st.UpdateGallery(ctx, h)
			svc.Refresh(ctx)
		}
	}()
	var work sync.WaitGroup
	for i, name := range names {
		work.Add(2)
		go func() {
			defer work.Done()
			if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: name, Active: true}, pics[i], AddOptions{}); err != nil {
				t.Error(err)
			}
		}()
		go func() {
			defer work.Done()
			for range 3 {
				svc.Recognition.Search(ctx, g.ID, given(pics[(i+1)%len(pics)]), SearchOptions{Limit: 1})
			}
		}()
	}
	work.Wait()
	close(stop)
	changers.Wait()
	if n, _ := svc.Targets.CountContext(t.Context(), g.ID); n != len(names) {
		t.Fatalf("%d targets after %d adds", n, len(names))
	}
}

func withOrientation(t *testing.T, jpeg []byte, o uint16) []byte {
	t.Helper()
	data := imagefiletest.JPEGWithOrientation(jpeg, o)
	info, err := imagefile.Inspect(data)
	if err != nil || info.Orientation != -1 && o > 8 {
		t.Fatalf("made a JPEG with orientation %d, read back %+v, %v", o, info, err)
	}
	return data
}

// slowStore is a real store whose target reads take delay, as a disk or
// a database under load does.
type slowStore struct {
	store.Store
	delay time.Duration
}

func (s slowStore) Target(ctx context.Context, gallery int64, id string, image bool) (store.Target, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return store.Target{}, ctx.Err()
	}
	return s.Store.Target(ctx, gallery, id, image)
}

func (s slowStore) TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]store.Target, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.TargetsByID(ctx, gallery, ids, image)
}

// TestSearchTimeoutReadingMatches checks that a search whose deadline
// passes while it reads its matches from a slow store is a timeout
// (ErrSearchTimeout), not a failure of the store.
func TestSearchTimeoutReadingMatches(t *testing.T) {
	ctx := context.Background()
	_, st, g := open(t)
	cfg := config.Default()
	cfg.Search.Timeout = 100 * time.Millisecond
	svc, err := Open(ctx, slowStore{st, time.Second}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Targets.Add(ctx, g.ID, Target{Name: "coffee", Active: true}, picture(t, "coffee"), AddOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = svc.Recognition.Search(ctx, g.ID, given(picture(t, "coffee")), SearchOptions{Limit: 1})
	if !errors.Is(err, ErrSearchTimeout) {
		t.Fatalf("search reading its match from a slow store: %v, want ErrSearchTimeout", err)
	}
	if _, err := svc.Recognition.Similar(ctx, g.ID, picture(t, "coffee")); !errors.Is(err, ErrSearchTimeout) {
		t.Fatalf("similar reading its match from a slow store: %v, want ErrSearchTimeout", err)
	}
}
