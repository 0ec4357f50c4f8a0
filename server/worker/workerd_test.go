//go:build linux

package worker

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/jpeg"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/api/openapi"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// The first-use credentials the test's Worker starts with.
const (
	workerdKey    = "workerd-key"
	workerdSecret = "workerd-secret"
	workerdAppID  = "workerd-app"
)

// workerd is `wrangler dev` serving the built Worker (workerdtest), with
// a CRS client's helpers, reporting to t.
type workerd struct {
	*workerdtest.Workerd
	t *testing.T
}

// startWorkerd starts the Worker with the test's first-use credentials
// and its D1 and R2 in state, waiting bodyWait for a request's body; see
// workerdtest.Start.
func startWorkerd(t *testing.T, state string) (*workerd, time.Duration) {
	t.Helper()
	w, took := workerdtest.Start(t, state, map[string]string{
		EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID,
		"PIXMATCH_WORKER_BODY_MS": strconv.Itoa(int(bodyWait.Milliseconds())),
	})
	return &workerd{w, t}, took
}

// on returns w reporting to t (a subtest).
func (w *workerd) on(t *testing.T) *workerd { return &workerd{w.Workerd, t} }

// reply is a CRS answer.
type reply struct {
	HTTP       int
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
	took       time.Duration
}

// crs sends a request signed with the APIKey signature: params in a JSON
// body, or in the query for GET.
func (w *workerd) crs(method, path string, params map[string]string) reply {
	w.t.Helper()
	return w.send(method, path, params, nil)
}

// send is crs with tamper, when not nil, changing the parameters after
// they were signed.
func (w *workerd) send(method, path string, params map[string]string, tamper func(map[string]string)) reply {
	w.t.Helper()
	p := signed(params)
	if tamper != nil {
		tamper(p)
	}
	return w.deliver(method, path, p)
}

// signed returns params with the APIKey signature's parameters.
func signed(params map[string]string) map[string]string {
	p := map[string]string{"apiKey": workerdKey, "appId": workerdAppID, "timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}
	for k, v := range params {
		p[k] = v
	}
	p["signature"] = auth.Sign(p, workerdSecret)
	return p
}

// deliver sends p as it is.
func (w *workerd) deliver(method, path string, p map[string]string) reply {
	w.t.Helper()
	return w.withToken(method, path, p, "")
}

// withToken sends p with the Authorization header token, when not empty:
// in the query for GET (p a map[string]string), else as a JSON body.
func (w *workerd) withToken(method, path string, p any, token string) reply {
	w.t.Helper()
	var body io.Reader
	target := w.URL + path
	if method == http.MethodGet {
		q := url.Values{}
		for k, v := range p.(map[string]string) {
			q.Set(k, v)
		}
		target += "?" + q.Encode()
	} else {
		b, _ := json.Marshal(p)
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, target, body)
	if err != nil {
		w.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	start := time.Now()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatalf("%s %s: %v\n%s", method, path, err, w.Log())
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{HTTP: res.StatusCode, took: time.Since(start)}
	if err := json.Unmarshal(raw, &r); err != nil {
		w.t.Fatalf("%s %s: HTTP %d, %q: %v", method, path, res.StatusCode, raw, err)
	}
	return r
}

// want checks a reply's HTTP status and statusCode.
func (r reply) want(t *testing.T, what string, httpStatus, code int) {
	t.Helper()
	if r.HTTP != httpStatus || r.StatusCode != code {
		t.Errorf("%s: HTTP %d, statusCode %d (%s); want %d, %d", what, r.HTTP, r.StatusCode, r.Result, httpStatus, code)
	}
}

func photo(t *testing.T, name string, edit func(b []byte) []byte) string {
	t.Helper()
	return base64.StdEncoding.EncodeToString(edit(testphoto.File(name)))
}

// same is the edit that leaves a photo's file as it is.
func same(b []byte) []byte { return b }

// cameraShot returns the camera frame of the photo name the camera tests
// search with, a print tilted 35° on a lawn, and where the print's
// corners are in it.
func cameraShot(name string) (image.Image, distort.Quad) {
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 5, Scene: distort.Mirror(testphoto.Image("grass"))})
	return shoot(testphoto.Image(name))
}

// cameraPhoto returns cameraShot's frame of the photo name as a JPEG
// file, base64, as a search sends it.
func cameraPhoto(t *testing.T, name string) string {
	t.Helper()
	frame, _ := cameraShot(name)
	return base64.StdEncoding.EncodeToString(encodeJPEG(t, frame))
}

// TestUnderWorkerd runs the built Worker under wrangler dev (workerd, a
// local D1 and R2), started once: a CRS client's flow, token auth, a
// subset of the status codes, and the sync API (workerd_codes_test.go),
// camera frames found by the feature tier (workerd_camera_test.go),
// the Alibaba dialect through the official SDK (workerd_alibaba_test.go),
// the API description (a static asset),
// all served by the one Go instance of the isolate, and a second
// wrangler dev on the same D1 and R2 seeing its writes; then it stops wrangler, starts it again on the same state (a cold
// start: a new isolate, nothing in memory) and finds the target written
// before, and counts its searches against a daily allowance in D1. It
// logs the cold start and the time of each search.
func TestUnderWorkerd(t *testing.T) {
	state := t.TempDir()
	w, cold := startWorkerd(t, state)
	t.Logf("wrangler dev answered its first /ping %v after its start", cold.Round(time.Millisecond))
	var id string
	t.Run("crs flow", func(t *testing.T) { id = w.on(t).flow() })
	if id == "" {
		t.FailNow()
	}
	t.Run("tokens", func(t *testing.T) { w.on(t).tokens() })
	t.Run("status codes", func(t *testing.T) { w.on(t).statusCodes(id) })
	t.Run("memory", func(t *testing.T) { w.on(t).memory() })
	t.Run("slow client", func(t *testing.T) { w.on(t).slowClient() })
	t.Run("bodies read ahead", func(t *testing.T) { w.on(t).bodiesAhead() })
	t.Run("sync", func(t *testing.T) { w.on(t).sync(id) })
	t.Run("camera", func(t *testing.T) { w.on(t).camera() })
	t.Run("alibaba", func(t *testing.T) { w.on(t).alibaba() })
	t.Run("openapi", func(t *testing.T) { w.on(t).openAPI() })
	if n := strings.Count(w.Log(), Opened); n != 1 {
		t.Errorf("the Worker opened its store %d times in its requests, want once: one Go instance for the isolate", n)
	}
	// After the count above: a body this large may take the instance past
	// the memory worker.mjs retires it at.
	t.Run("large bodies", func(t *testing.T) { w.on(t).largeBodies() })
	t.Run("two isolates", func(t *testing.T) { w.on(t).sharesD1() })

	w.Stop()
	limitSearches(t, state, 1)
	w, cold = startWorkerd(t, state)
	t.Logf("after a restart, the first /ping came %v after the start", cold.Round(time.Millisecond))
	for i, want := range []int{0, 21} { // counted in D1, where the next isolate finds them
		r := w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, testphoto.Names()[0], same)})
		if r.StatusCode != want {
			t.Errorf("search %d of a daily allowance of 1: HTTP %d, statusCode %d, want %d", i+1, r.HTTP, r.StatusCode, want)
		}
	}
	got := w.crs(http.MethodGet, "/target/"+id, nil)
	got.want(t, "get after the restart", 200, 0)
	if !strings.Contains(string(got.Result), "renamed") {
		t.Errorf("after the restart the target is %s", got.Result)
	}
	w.crs(http.MethodDelete, "/target/"+id, nil).want(t, "delete", 200, 0)
	w.crs(http.MethodGet, "/target/"+id, nil).want(t, "get after delete", 404, 404)
}

// memory searches with a picture whose decode would take far more than
// the isolate's budget allows (a 265 KB PNG of 8000×8000 pixels, 256 MB
// to decode): it is refused as too large, and the Go instance's memory,
// which worker.mjs logs as it grows, does not grow for it. With a
// server's budgets the Worker decoded it, its memory at 282 MB.
func (w *workerd) memory() {
	before := goMemory(w.Log())
	w.crs(http.MethodPost, "/search", map[string]string{"image": hugePNG(w.t, 8000)}).want(w.t, "a search of an 8000×8000 PNG", 413, 422)
	if after := goMemory(w.Log()); after > before+8<<20 {
		w.t.Errorf("the refused picture took the Go instance's memory from %d to %d bytes", before, after)
	}
}

// largeBodies sends six unsigned Alibaba searches of a 12 MB body, one
// after another, within the 16 MB the API takes: each is read and
// answered for what it is, NoPermission, not busy (it was DeniedRequest
// while WholeBody charged its copy to the budget the app then waited on
// for its own). They leave nothing live, so once the Go instance has the
// room for one (it may be retired to make it: its memory never shrinks),
// the last three searches grow it by no more than 2 MB and retire no
// instance: the collector runs before a request with a large body once
// garbage waits (Collecting), and no copy of a body outlives its request
// (WholeBody). Before, the copy of each body WholeBody made stayed
// reachable for several requests after its own, and the instance grew
// by a body a search until it was retired.
func (w *workerd) largeBodies() {
	t := w.t
	body := "Action=SearchImageByPic&InstanceName=" + *instance + "&PicContent=" + strings.Repeat("A", 12<<20)
	var third int64
	var retired int
	for i := range 6 {
		res, err := http.Post(w.URL+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var got struct{ Code string }
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if err := json.Unmarshal(raw, &got); err != nil || res.StatusCode != 403 || got.Code != "NoPermission" {
			t.Errorf("unsigned search %d of 12 MB: HTTP %d %s (%v); want 403 NoPermission", i+1, res.StatusCode, raw, err)
		}
		if i == 2 {
			third, retired = goMemory(w.Log()), strings.Count(w.Log(), retiredLine)
		}
	}
	if n := strings.Count(w.Log(), retiredLine) - retired; n != 0 {
		t.Errorf("the last three searches retired %d Go instances, want none", n)
	}
	if grown := goMemory(w.Log()) - third; grown > 2<<20 {
		t.Errorf("the last three searches grew the Go instance's memory by %d bytes, want 2 MB at most", grown)
	}
}

// retiredLine is what worker.mjs logs when a retired instance stops.
const retiredLine = "pixmatch: a retired Go instance"

// bodyWait is how long the test's Worker waits for a request's body
// (config.Server.BodyTimeout, a minute, on a deployed one).
const bodyWait = 3 * time.Second

// slowClient sends a search whose body it begins and never ends, and
// while that one waits, a search of the copy: the copy's is answered
// first, found (the slow body is read before its request's turn in the
// Go instance, so it holds up no other request), and the slow one gets
// 408 and statusCode 19 once the Worker gave up on its body.
func (w *workerd) slowClient() {
	t := w.t
	slow := w.unfinished(1000, []byte(`{"image":`))
	found := w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, testphoto.Names()[0], same)})
	select {
	case r := <-slow:
		t.Errorf("the slow search was answered (HTTP %d, statusCode %d) before the other", r.HTTP, r.StatusCode)
	default:
	}
	found.want(t, "a search while a slow client sends its body", 200, 0)
	(<-slow).want(t, "a search whose body never came", 408, 19)
}

// bodiesAhead sends two searches of bodies of nearly 16 MB each, all but
// their last bytes: the bodies read ahead of their turns then hold
// nearly all they may (32 MB), so a search of the copy meanwhile is
// answered busy (HTTP 503, statusCode 21) rather than read; once the two
// are answered 408, the copy is found again.
func (w *workerd) bodiesAhead() {
	t := w.t
	const size = 16 << 20
	part := append([]byte(`{"image":"`), bytes.Repeat([]byte("A"), size-16<<10)...)
	first, second := w.unfinished(size, part), w.unfinished(size, part)
	search := map[string]string{"image": photo(t, testphoto.Names()[0], same)}
	w.crs(http.MethodPost, "/search", search).want(t, "a search while two bodies of 16 MB are on their way", 503, 21)
	(<-first).want(t, "the first unfinished body", 408, 19)
	(<-second).want(t, "the second unfinished body", 408, 19)
	w.crs(http.MethodPost, "/search", search).want(t, "a search once they were answered", 200, 0)
}

// unfinished sends a search declaring a body of size bytes and sends
// only part of it, and returns the channel its reply will come on
// (HTTP -1 when none came). It returns once the Worker had time to read
// the part.
func (w *workerd) unfinished(size int, part []byte) <-chan reply {
	t := w.t
	u, err := url.Parse(w.URL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	head := "POST /search HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(size) + "\r\n\r\n"
	if _, err := conn.Write(append([]byte(head), part...)); err != nil {
		t.Fatal(err)
	}
	got := make(chan reply, 1)
	go func() {
		conn.SetReadDeadline(time.Now().Add(bodyWait + 30*time.Second))
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			got <- reply{HTTP: -1}
			return
		}
		defer res.Body.Close()
		r := reply{HTTP: res.StatusCode}
		raw, _ := io.ReadAll(res.Body)
		json.Unmarshal(raw, &r)
		got <- r
	}()
	time.Sleep(300 * time.Millisecond)
	return got
}

// openAPI fetches the API description, a static asset beside the Worker
// (its module does not carry it): the server's document, as JSON.
func (w *workerd) openAPI() {
	res, err := http.Get(w.URL + openapi.Path)
	if err != nil {
		w.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") || !bytes.Equal(body, openapi.Document()) {
		w.t.Errorf("GET %s: HTTP %d, %s, %d bytes; want the server's %d bytes of JSON", openapi.Path, res.StatusCode, res.Header.Get("Content-Type"), len(body), len(openapi.Document()))
	}
}

// flow creates two targets, lists, gets, updates (then renamed), searches
// (a copy found, another photo 17), asks similar and grade, and sends a
// tampered and a replayed write. It returns the first target's ID.
func (w *workerd) flow() string {
	t := w.t
	names := testphoto.Names()
	half := func(b []byte) []byte { return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(names[0]))) }

	created := w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[0], same), "name": "first", "meta": "m"})
	created.want(t, "create", 200, 0)
	var target struct {
		TargetID string `json:"targetId"`
	}
	json.Unmarshal(created.Result, &target)
	if target.TargetID == "" {
		t.Fatalf("create answered no targetId: %s", created.Result)
	}
	w.crs(http.MethodPost, "/targets", map[string]string{"image": photo(t, names[1], same), "name": "second"}).want(t, "create second", 200, 0)
	list := w.crs(http.MethodGet, "/targets/infos", map[string]string{"pageNum": "1", "pageSize": "10"})
	list.want(t, "list", 200, 0)
	if !strings.Contains(string(list.Result), target.TargetID) {
		t.Errorf("the list does not hold %s: %s", target.TargetID, list.Result)
	}
	w.crs(http.MethodGet, "/target/"+target.TargetID, nil).want(t, "get", 200, 0)
	w.crs(http.MethodPut, "/target/"+target.TargetID, map[string]string{"name": "renamed"}).want(t, "update", 200, 0)

	var took []time.Duration
	for range 3 {
		found := w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, names[0], half)})
		found.want(t, "search a copy", 200, 0)
		if !strings.Contains(string(found.Result), target.TargetID) || !strings.Contains(string(found.Result), "renamed") {
			t.Errorf("the search found %s, want %s named renamed", found.Result, target.TargetID)
		}
		took = append(took, found.took)
	}
	w.crs(http.MethodPost, "/search", map[string]string{"image": photo(t, names[5], same)}).want(t, "search another photo", 404, 17)
	t.Logf("a search of a copy took %v (D1 lookups included)", took)
	similar := w.crs(http.MethodPost, "/similar", map[string]string{"image": photo(t, names[0], half)})
	similar.want(t, "similar", 200, 0)
	if !strings.Contains(string(similar.Result), target.TargetID) {
		t.Errorf("similar answered %s, want %s among the results", similar.Result, target.TargetID)
	}
	grade := w.crs(http.MethodPost, "/grade/detection", map[string]string{"image": photo(t, names[0], same)})
	grade.want(t, "grade", 200, 0)
	if !strings.Contains(string(grade.Result), `"grade"`) {
		t.Errorf("grade answered %s", grade.Result)
	}

	w.send(http.MethodPut, "/target/"+target.TargetID, map[string]string{"name": "signed"},
		func(p map[string]string) { p["name"] = "changed after signing" }).want(t, "a tampered update", 401, 2)
	again := signed(map[string]string{"meta": "once"})
	w.deliver(http.MethodPut, "/target/"+target.TargetID, again).want(t, "a signed update", 200, 0)
	w.deliver(http.MethodPut, "/target/"+target.TargetID, again).want(t, "the same update replayed", 400, 3)
	return target.TargetID
}

// limitSearches gives the test's gallery a daily allowance of n searches,
// in the local D1 file of a stopped wrangler: the Worker has no admin
// commands.
func limitSearches(t *testing.T, state string, n int) {
	t.Helper()
	db, err := sql.Open("sqlite", localD1(t, state)+"?_pragma=busy_timeout(10000)") // a stopped workerd may hold its lock a moment
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE galleries SET daily_searches = ?`, n); err != nil {
		t.Fatal(err)
	}
}

func encodeJPEG(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// sharesD1 starts a second wrangler dev on w's local D1 and R2, as a
// second isolate of a deployed Worker, and stops it after: a target
// created through w is found by a search through the second, whose
// isolate had searched (and found nothing) before, and is gone from it
// once deleted through w. Each request reads D1, whatever its isolate
// served before. The second retires its Go instance after every request
// (PIXMATCH_WORKER_RETIRE_BYTES=1, see worker.mjs): each request is
// served by a fresh instance while the retired one stops, six of them
// sent at once too (each instance started while the others wait: before
// they took turns, a third of such requests failed with workerd's
// "Cannot perform I/O on behalf of a different request").
func (w *workerd) sharesD1() {
	t := w.t
	started, _ := workerdtest.Start(t, w.State, map[string]string{
		EnvAPIKey: workerdKey, EnvAPISecret: workerdSecret, EnvAppID: workerdAppID, "PIXMATCH_WORKER_RETIRE_BYTES": "1",
	})
	defer started.Stop()
	other := &workerd{started, t}
	defer func() {
		if retired, opened := strings.Count(other.Log(), "retired Go instance stopped"), strings.Count(other.Log(), Opened); retired < 10 || opened != retired { // a /ping and nine searches
			t.Errorf("the second stopped %d retired instances and opened its store %d times; want one of each per request", retired, opened)
		}
	}()
	name := testphoto.Names()[5] // a photo of no target yet
	search := map[string]string{"image": photo(t, name, func([]byte) []byte {
		return encodeJPEG(t, distort.Scale(0.5)(testphoto.Image(name)))
	})}
	other.crs(http.MethodPost, "/search", search).want(t, "search through the second before the create", 404, 17)
	id := w.create(map[string]string{"image": photo(t, name, same), "name": "shared"})
	found := other.crs(http.MethodPost, "/search", search)
	found.want(t, "search through the second", 200, 0)
	if !strings.Contains(string(found.Result), id) {
		t.Errorf("the second found %s, want %s", found.Result, id)
	}
	// Requests at once, each to an instance started for it while the
	// last one stops: each is answered, none in another's context.
	t.Run("at once", func(t *testing.T) {
		for i := range 6 {
			t.Run(strconv.Itoa(i+1), func(t *testing.T) {
				t.Parallel()
				other.on(t).crs(http.MethodPost, "/search", search).want(t, "a search of six at once through the second", 200, 0)
			})
		}
	})
	w.crs(http.MethodDelete, "/target/"+id, nil).want(t, "delete through the first", 200, 0)
	other.crs(http.MethodPost, "/search", search).want(t, "search through the second after the delete", 404, 17)
}

// create creates a target of params and returns its ID.
func (w *workerd) create(params map[string]string) string {
	w.t.Helper()
	created := w.crs(http.MethodPost, "/targets", params)
	created.want(w.t, "create "+params["name"], 200, 0)
	var target struct {
		TargetID string `json:"targetId"`
	}
	if json.Unmarshal(created.Result, &target); target.TargetID == "" {
		w.t.Fatalf("create %s answered no targetId: %s", params["name"], created.Result)
	}
	return target.TargetID
}
