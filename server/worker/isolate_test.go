//go:build linux

package worker

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
	"github.com/pixmatch/pixmatch/server/store/storetest"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// isolateOn serves an Isolate over db and blobs (its own store, as a
// second isolate opens its own over the same D1 and R2) on a loopback port, with the
// test's first-use credentials, and returns a CRS client of it. open,
// when not nil, is called before the store opens and may fail it.
func isolateOn(t *testing.T, db *sql.DB, blobs d1.Blobs, open func() error) *workerd {
	t.Helper()
	env := map[string]string{EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID}
	h := NewIsolate(func(ctx context.Context) (*d1.Store, error) {
		if open != nil {
			if err := open(); err != nil {
				return nil, err
			}
		}
		return d1.Open(ctx, db, blobs)
	}, func(k string) string { return env[k] }, quiet)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &workerd{&workerdtest.Workerd{URL: srv.URL}, t}
}

// TestIsolatesSeeEachOthersWrites: two isolates over one D1, each
// serving several requests with the one Go instance it keeps: a target
// created through one is found by a search through the other, which
// searched (and found nothing) before, and is in its sync delta since
// the version it answered before; once deleted through the first,
// the second finds it no more. Nothing a request looked up outlives it.
func TestIsolatesSeeEachOthersWrites(t *testing.T) {
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	a, b := isolateOn(t, db, blobs, nil), isolateOn(t, db, blobs, nil)
	names := testphoto.Names()
	copyOf := photo(t, names[0], func([]byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0]))) })
	search := map[string]string{"image": copyOf}

	a.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[1], same), "name": "other"}).want(t, "create another target", 200, 0)
	b.crs(http.MethodPost, "/search", search).want(t, "search before the target exists", 404, 17)
	token := b.token(workerdAppID, "READ")
	_, _, v := b.syncBatch(token, 0, "")
	etag := `"v` + strconv.FormatInt(v, 10) + `"`
	id := a.create(map[string]string{"image": photo(t, names[0], same), "name": "first"})
	found := b.crs(http.MethodPost, "/search", search)
	found.want(t, "search through the second isolate", 200, 0)
	if !strings.Contains(string(found.Result), id) {
		t.Errorf("the second isolate found %s, want %s", found.Result, id)
	}
	if status, delta, _ := b.syncBatch(token, v, etag); status != 200 || len(delta.Records) != 1 {
		t.Errorf("the second isolate's delta after the create: HTTP %d, %d records; want 200, 1", status, len(delta.Records))
	}
	a.crs(http.MethodPut, "/target/"+id, map[string]string{"name": "renamed"}).want(t, "rename through the first", 200, 0)
	if got := b.crs(http.MethodGet, "/target/"+id, nil); !strings.Contains(string(got.Result), "renamed") {
		t.Errorf("the second isolate reads %s after the rename", got.Result)
	}
	a.crs(http.MethodDelete, "/target/"+id, nil).want(t, "delete through the first", 200, 0)
	b.crs(http.MethodPost, "/search", search).want(t, "search through the second after the delete", 404, 17)
}

// TestIsolateOpensAgain: an isolate whose store did not open (D1 down)
// answers that request with CRS error 20 and opens it on the next one.
func TestIsolateOpensAgain(t *testing.T) {
	calls := 0
	w := isolateOn(t, d1test.Open(t), &d1.MemoryBlobs{}, func() error {
		if calls++; calls == 1 {
			return errors.New("d1 is down")
		}
		return nil
	})
	w.crs(http.MethodGet, "/ping", nil).want(t, "ping while D1 is down", 500, 20)
	w.crs(http.MethodGet, "/ping", nil).want(t, "ping once D1 is back", 200, 0)
	w.crs(http.MethodGet, "/ping", nil).want(t, "ping again", 200, 0)
	if calls != 2 {
		t.Errorf("the store opened %d times, want 2: once it opened, the isolate keeps it", calls)
	}
}

// TestRequestsLeaveRunningTasks: a task running in the shared D1 (another
// request's, say) stays running, untouched, through requests that each
// assemble an app: only a starting server ends the tasks its last stop
// interrupted, and a Worker request writes nothing it does not need.
func TestRequestsLeaveRunningTasks(t *testing.T) {
	ctx := context.Background()
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	w := isolateOn(t, db, blobs, nil)
	w.crs(http.MethodGet, "/ping", nil).want(t, "the first request (first use)", 200, 0)
	st, err := d1.Open(ctx, db, blobs)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("galleries: %v, %v", gs, err)
	}
	running, err := st.CreateTask(ctx, store.Task{Gallery: gs[0].ID, Kind: store.TaskImport, Status: store.TaskRunning})
	if err != nil {
		t.Fatal(err)
	}
	w.crs(http.MethodGet, "/ping", nil).want(t, "ping", 200, 0)
	w.crs(http.MethodGet, "/targets/infos", map[string]string{"pageNum": "1", "pageSize": "5"}).want(t, "list", 200, 0)
	if got, err := st.Task(ctx, gs[0].ID, running.ID); err != nil || !reflect.DeepEqual(got, running) {
		t.Errorf("the running task after two requests: %+v, %v; want it untouched, %+v", got, err, running)
	}
}

// TestRequestFloor: once the isolate has read the app's keys (the request
// after the one that made them), a request's app costs one D1 statement
// (the galleries, read afresh): the keys are kept by the isolate's store,
// and nothing is written.
func TestRequestFloor(t *testing.T) {
	db, count := d1test.OpenCounting(t)
	w := isolateOn(t, db, &d1.MemoryBlobs{}, nil)
	w.crs(http.MethodGet, "/ping", nil).want(t, "the first request (first use)", 200, 0)
	w.crs(http.MethodGet, "/ping", nil).want(t, "the second (the keys read back)", 200, 0)
	for i := range 3 {
		before := count.Statements()
		w.crs(http.MethodGet, "/ping", nil).want(t, "ping", 200, 0)
		if n := count.Statements() - before; n != 1 {
			t.Errorf("ping %d ran %d D1 statements, want 1", i+1, n)
		}
	}
}

// TestCopySearchStatements: a search that finds a copy costs three D1
// statements — the galleries (read afresh), the key, and the lookup of
// the candidates with their rows, which the answer reuses — and one more
// when the answer carries the matched target's picture (CRS without
// notracking): its row read again with the picture's key. Whether the
// gallery has an active target is not asked of a search that found one
// (TestNoActiveTargetAsked). Each statement is a round trip through D1's
// client, paid in the isolate's CPU.
func TestCopySearchStatements(t *testing.T) {
	db, count := d1test.OpenCounting(t)
	w := current(t, db, &d1.MemoryBlobs{})
	name := testphoto.Names()[0]
	id := w.create(map[string]string{"image": photo(t, name, same), "name": "first"})
	copyOf := photo(t, name, func([]byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(name))) })
	w.crs(http.MethodPost, "/search", map[string]string{"image": copyOf}).want(t, "the first search", 200, 0)
	for _, c := range []struct {
		params map[string]string
		want   int
	}{
		{map[string]string{"image": copyOf, "notracking": "true"}, 3},
		{map[string]string{"image": copyOf}, 4},
	} {
		before := len(count.Texts())
		found := w.crs(http.MethodPost, "/search", c.params)
		found.want(t, "a copy", 200, 0)
		if !strings.Contains(string(found.Result), id) {
			t.Errorf("found %s, want %s", found.Result, id)
		}
		if ran := count.Texts()[before:]; len(ran) != c.want {
			t.Errorf("a search of a copy (notracking %q) ran %d D1 statements, want %d:\n%s",
				c.params["notracking"], len(ran), c.want, strings.Join(ran, "\n"))
		}
	}
}

// TestNoActiveTargetAsked: whether the gallery has an active target is
// asked of a search only when it found nothing or failed, and then
// decides the answer as it did when asked first: a copy found does not
// ask; a photo of no target asks, and is not found (404, statusCode 17);
// with the gallery's one target made inactive, a search of its copy, and
// of a picture that is no image, answer statusCode 18 (no active target),
// the picture's own error coming second.
func TestNoActiveTargetAsked(t *testing.T) {
	db, count := d1test.OpenCounting(t)
	w := current(t, db, &d1.MemoryBlobs{})
	names := testphoto.Names()
	id := w.create(map[string]string{"image": photo(t, names[0], same), "name": "first"})
	copyOf := photo(t, names[0], func([]byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0]))) })
	other := photo(t, names[1], same)
	noImage := base64.StdEncoding.EncodeToString([]byte("not an image"))
	search := func(what, image string, status, code int, ask bool) {
		t.Helper()
		before := len(count.Texts())
		w.crs(http.MethodPost, "/search", map[string]string{"image": image}).want(t, what, status, code)
		asked := slices.ContainsFunc(count.Texts()[before:], func(q string) bool { return strings.HasPrefix(q, "SELECT EXISTS") })
		if asked != ask {
			t.Errorf("%s: asked whether an active target is: %v, want %v", what, asked, ask)
		}
	}
	search("a copy, found", copyOf, 200, 0, false)
	search("a photo of no target", other, 404, 17, true)
	w.crs(http.MethodPut, "/target/"+id, map[string]string{"active": "0"}).want(t, "the target made inactive", 200, 0)
	search("the copy, with no active target", copyOf, 500, 18, true)
	search("no image, with no active target", noImage, 500, 18, true)
}

// TestCameraSearchStatements: a search of a camera frame, which the hash
// tier does not find and the feature tier does, costs eight D1
// statements: the copy search's first three (the galleries, the key, the
// candidates), the lengths of the query's word lists, the shortlisted
// lists (both of bow's passes), the shortlist's rows by Seq (the names
// that break bow's ties and the rows the search keeps for its answer, in
// one read), the keys of their feature records, and the answer's row read
// again with its picture; seven without the picture (notracking).
func TestCameraSearchStatements(t *testing.T) {
	db, count := d1test.OpenCounting(t)
	w := current(t, db, &d1.MemoryBlobs{})
	names := testphoto.Names()[:6]
	var id string
	for i, n := range names {
		created := w.create(map[string]string{"image": photo(t, n, same), "name": n})
		if i == 0 {
			id = created
		}
	}
	image := cameraPhoto(t, names[0])
	w.crs(http.MethodPost, "/search", map[string]string{"image": image}).want(t, "the first search", 200, 0)
	for _, c := range []struct {
		params map[string]string
		want   int
	}{
		{map[string]string{"image": image, "notracking": "true"}, 7},
		{map[string]string{"image": image}, 8},
	} {
		before := len(count.Texts())
		found := w.crs(http.MethodPost, "/search", c.params)
		found.want(t, "a camera frame", 200, 0)
		if !strings.Contains(string(found.Result), id) || !strings.Contains(string(found.Result), "corners") {
			t.Errorf("found %s, want %s with its corners", found.Result, id)
		}
		if ran := count.Texts()[before:]; len(ran) != c.want {
			t.Errorf("a search of a camera frame (notracking %q) ran %d D1 statements, want %d:\n%s",
				c.params["notracking"], len(ran), c.want, strings.Join(ran, "\n"))
		}
	}
}

// TestCameraSearchOfEqualTargets: in a gallery of more equal targets
// than the shortlist (copies of one target, its row and feature record),
// bow asks for the names of all of them, tied at its cut: the search
// reads their IDs alone, and then the rows of the shortlist only, not
// those of every tied target; and finds the print, with its corners.
func TestCameraSearchOfEqualTargets(t *testing.T) {
	ctx := context.Background()
	db, count := d1test.OpenCounting(t)
	blobs := &d1.MemoryBlobs{}
	w := current(t, db, blobs)
	name := testphoto.Names()[0]
	id := w.create(map[string]string{"image": photo(t, name, same), "name": name})
	st, err := OpenStore(ctx, db, blobs)
	if err != nil {
		t.Fatal(err)
	}
	gs, err := st.Galleries(ctx)
	if err != nil || len(gs) != 1 {
		t.Fatalf("galleries %v, %v", gs, err)
	}
	rows, err := st.TargetsByID(ctx, gs[0].ID, []string{id}, true)
	if err != nil || len(rows) != 1 {
		t.Fatalf("the target's row: %v, %v", rows, err)
	}
	records, err := st.TargetFeatures(ctx, gs[0].ID, []string{id})
	if err != nil || len(records[id]) == 0 {
		t.Fatalf("the target's record: %d bytes, %v", len(records[id]), err)
	}
	ids := map[string]bool{id: true}
	for n := range camera.Shortlist + 4 {
		c := rows[0]
		c.ID, c.Features, c.PicName = storetest.TargetID(n), records[id], storetest.TargetID(n) // (ProductId, PicName) is unique
		if _, err := st.CreateTarget(ctx, c); err != nil {
			t.Fatal(err)
		}
		ids[c.ID] = true
	}
	before := len(count.Texts())
	found := w.crs(http.MethodPost, "/search", map[string]string{"image": cameraPhoto(t, name), "notracking": "true"})
	found.want(t, "a camera frame of the copied target", 200, 0)
	var answer struct {
		Target struct {
			ID string `json:"targetId"`
		} `json:"target"`
	}
	if err := json.Unmarshal(found.Result, &answer); err != nil || !ids[answer.Target.ID] || !strings.Contains(string(found.Result), "corners") {
		t.Errorf("found %s (%v), want one of the %d equal targets with its corners", found.Result, err, len(ids))
	}
	ran := count.Texts()[before:]
	var names, bySeq, byID int
	for _, q := range ran {
		rows := strings.HasPrefix(q, "SELECT gallery_id, id, created") // a read of whole rows
		switch {
		case strings.HasPrefix(q, "SELECT seq, id FROM targets"):
			names++
		case rows && strings.Contains(q, "AND seq IN"):
			bySeq++
		case rows && strings.Contains(q, "AND id IN"):
			byID++
		}
	}
	if names != 1 || bySeq != 0 || byID != 1 {
		t.Errorf("the tied names read %d times, rows by Seq %d, the shortlist's rows by ID %d; want 1, 0, 1:\n%s",
			names, bySeq, byID, strings.Join(ran, "\n"))
	}
}

// TestIsolateListsOldTargets: a target written by a Worker from before
// the feature tier (its store without a Bagger) has a feature record and
// no bag, so a camera frame of it finds nothing; an isolate of this
// Worker lists it as it opens its store (d1.Store.Rebag), and the frame
// finds it, with its corners.
func TestIsolateListsOldTargets(t *testing.T) {
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	old := isolateOn(t, db, blobs, nil) // d1.Open: no Bagger
	id := old.create(map[string]string{"image": photo(t, "china", same), "name": "china"})
	search := map[string]string{"image": cameraPhoto(t, "china")}
	old.crs(http.MethodPost, "/search", search).want(t, "a camera frame of an unlisted target", 404, 17)

	now := current(t, db, blobs)
	found := now.crs(http.MethodPost, "/search", search)
	found.want(t, "the frame through an isolate of this Worker", 200, 0)
	if !strings.Contains(string(found.Result), id) || !strings.Contains(string(found.Result), "corners") {
		t.Errorf("found %s, want %s with its corners", found.Result, id)
	}
}

// TestIsolateVerifiesAnotherIsolatesNewPicture: an isolate keeps the
// feature records its searches decoded (gallery.RecordCache), and
// another isolate gives a target a new picture. A camera frame of the
// new picture is found through the first isolate, verified against the
// new record, not the one it kept; a frame of the old picture is found
// no more.
func TestIsolateVerifiesAnotherIsolatesNewPicture(t *testing.T) {
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	a, b := current(t, db, blobs), current(t, db, blobs)
	frameOf := func(name string) map[string]string { return map[string]string{"image": cameraPhoto(t, name)} }
	id := a.create(map[string]string{"image": photo(t, "china", same), "name": "print"})
	for range 2 { // the second search verifies the record the first kept
		if found := b.crs(http.MethodPost, "/search", frameOf("china")); !strings.Contains(string(found.Result), id) {
			t.Fatalf("a frame of the first picture: %d %s", found.StatusCode, found.Result)
		}
	}
	a.crs(http.MethodPut, "/target/"+id, map[string]string{"image": photo(t, "rocket", same)}).want(t, "a new picture through the other isolate", 200, 0)
	found := b.crs(http.MethodPost, "/search", frameOf("rocket"))
	found.want(t, "a frame of the new picture", 200, 0)
	if !strings.Contains(string(found.Result), id) || !strings.Contains(string(found.Result), "corners") {
		t.Errorf("a frame of the new picture found %s, want %s with its corners", found.Result, id)
	}
	b.crs(http.MethodPost, "/search", frameOf("china")).want(t, "a frame of the old picture", 404, 17)
}

// current serves an Isolate of this Worker over db and blobs (its store
// opened by OpenStore, with the feature tier's Bagger), as isolateOn
// does.
func current(t *testing.T, db *sql.DB, blobs d1.Blobs) *workerd {
	t.Helper()
	env := map[string]string{EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID}
	srv := httptest.NewServer(NewIsolate(func(ctx context.Context) (*d1.Store, error) { return OpenStore(ctx, db, blobs) },
		func(k string) string { return env[k] }, quiet))
	t.Cleanup(srv.Close)
	return &workerd{&workerdtest.Workerd{URL: srv.URL}, t}
}

// TestWithoutVocabulary: a Worker whose vocabulary does not load (the
// asset missing from a deployment) refuses a new target, which it could
// not list (statusCode 417), changing nothing; still finds a copy (the hash tier fills the
// answer); and answers a search that needs the feature tier with
// statusCode 20 rather than an answer without it.
func TestWithoutVocabulary(t *testing.T) {
	db, blobs := d1test.Open(t), &d1.MemoryBlobs{}
	w := current(t, db, blobs)
	id := w.create(map[string]string{"image": photo(t, "china", same), "name": "china"})
	saved := vocabulary
	vocabulary = &onceVocabulary{load: func(context.Context) (*bow.Vocabulary, error) { return nil, errors.New("no such asset") }}
	t.Cleanup(func() { vocabulary = saved })

	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, "retina", same), "name": "retina"}).want(t, "a new target", 500, 417)
	list := w.crs(http.MethodGet, "/targets/infos", map[string]string{"pageNum": "1", "pageSize": "10"})
	if strings.Contains(string(list.Result), "retina") || !strings.Contains(string(list.Result), id) {
		t.Errorf("after the refused create the targets are %s", list.Result)
	}
	copyOf := photo(t, "china", func([]byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image("china"))) })
	if found := w.crs(http.MethodPost, "/search", map[string]string{"image": copyOf}); !strings.Contains(string(found.Result), id) {
		t.Errorf("a copy: HTTP %d, statusCode %d, %s; want %s found", found.HTTP, found.StatusCode, found.Result, id)
	}
	w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, "retina", same)}).want(t, "a search the hash tier does not fill", 500, 20)
}
