package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/jpeg"
	"net/http"
	"strconv"
	"testing"
	"time"

	openapiutil "github.com/alibabacloud-go/darabonba-openapi/v2/utils"
	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/pixmatch/pixmatch/server/app"
	"github.com/pixmatch/pixmatch/server/auth"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/metrics"
	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// scrape reads the server's /metrics the way Prometheus does.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	res, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /metrics: %d", res.StatusCode)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(res.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// sample returns the value of the series of family name with exactly
// the labels given (a histogram's count), 0 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	for _, m := range f.GetMetric() {
		if len(m.GetLabel()) != len(labels) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; !ok || v != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return 0
}

// addTarget adds a test photo to the server's gallery through the
// service, as the API would.
func addTarget(t *testing.T, s *testserver.Server, name string) {
	t.Helper()
	ctx := context.Background()
	pic, err := s.Service.Pictures.Read(ctx, testphoto.File(name), gallery.Policy{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Service.Targets.Add(ctx, s.Gallery.ID, gallery.Target{Name: name, Active: true}, pic, gallery.AddOptions{}); err != nil {
		t.Fatal(err)
	}
}

// crsSearch posts a signed CRS search for a test photo and returns the
// HTTP status.
func crsSearch(t *testing.T, s *testserver.Server, photo string) int {
	t.Helper()
	return crsSearchFile(t, s, testphoto.File(photo))
}

// crsSearchFile searches with a picture file as a CRS client does.
func crsSearchFile(t *testing.T, s *testserver.Server, file []byte) int {
	t.Helper()
	p := map[string]string{"apiKey": testserver.Key, "appId": testserver.AppID,
		"timestamp": strconv.FormatInt(time.Now().UnixMilli(), 10),
		"image":     base64.StdEncoding.EncodeToString(file)}
	p[auth.SignatureParam] = auth.Sign(p, testserver.Secret)
	body, _ := json.Marshal(p)
	res, err := http.Post(s.URL()+"/search/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestMetricsCountWhatWasDone scrapes /metrics around a CRS search of a
// copy (the hash tier's), of a camera shot (the feature tier's) and of
// another picture, an Alibaba search through the official SDK and an
// unsigned Alibaba call, and checks that each counter moved by exactly
// what was done, with the catalogue code of the refusals, and that the
// gauges show the gallery's index.
func TestMetricsCountWhatWasDone(t *testing.T) {
	s := testserver.NewWith(t, []app.Option{app.WithMetrics(metrics.New(), true)})
	addTarget(t, s, "rocket")
	before := scrape(t, s.URL())

	if code := crsSearch(t, s, "rocket"); code != 200 {
		t.Fatalf("CRS search of the target: HTTP %d", code)
	}
	if code := crsSearch(t, s, "coffee"); code != 404 {
		t.Fatalf("CRS search of another picture: HTTP %d, want 404 (no result)", code)
	}
	// The rocket printed and shot tilted on grass: the feature tier's.
	shoot, _ := distort.CameraCatalogue()[1].Locate(distort.Params{Seed: 3, Scene: distort.Mirror(testphoto.Image("grass"))})
	frame, _ := shoot(testphoto.Image("rocket"))
	var shot bytes.Buffer
	if err := jpeg.Encode(&shot, frame, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	if code := crsSearchFile(t, s, shot.Bytes()); code != 200 {
		t.Fatalf("CRS search of a camera shot of the target: HTTP %d", code)
	}
	sdk, err := imagesearch.NewClient(&openapiutil.Config{
		AccessKeyId: dara.String(testserver.Key), AccessKeySecret: dara.String(testserver.Secret),
		Endpoint: dara.String(s.Addr()), Protocol: dara.String("http"), RegionId: dara.String("cn-shanghai"),
	})
	if err != nil {
		t.Fatal(err)
	}
	found, err := sdk.SearchImageByPic(&imagesearch.SearchImageByPicRequest{InstanceName: dara.String(testserver.Instance),
		PicContent: dara.String(base64.StdEncoding.EncodeToString(testphoto.File("rocket")))})
	if err != nil || len(found.Body.Auctions) == 0 {
		t.Fatalf("SearchImageByPic: %v %v", err, found)
	}
	res, err := http.Get(s.URL() + "/?Action=Detail&InstanceName=default")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	after := scrape(t, s.URL())

	type series struct {
		name   string
		labels map[string]string
		delta  float64
	}
	const requests, took, searches = "pixmatch_http_requests_total", "pixmatch_http_request_duration_seconds", "pixmatch_searches_total"
	for _, c := range []series{
		{requests, map[string]string{"api": "crs", "action": "POST /search/", "status": "200", "code": ""}, 2},
		{requests, map[string]string{"api": "crs", "action": "POST /search/", "status": "404", "code": "17"}, 1},
		{took, map[string]string{"api": "crs", "action": "POST /search/", "status": "200"}, 2},
		{requests, map[string]string{"api": "alibaba", "action": "SearchImageByPic", "status": "200", "code": ""}, 1},
		{took, map[string]string{"api": "alibaba", "action": "SearchImageByPic", "status": "200"}, 1},
		{requests, map[string]string{"api": "alibaba", "action": "GET /", "status": "403", "code": "NoPermission"}, 1},
		{searches, map[string]string{"api": "crs", "outcome": "hash"}, 1},
		{searches, map[string]string{"api": "crs", "outcome": "features"}, 1},
		{searches, map[string]string{"api": "crs", "outcome": "no_match"}, 1},
		{searches, map[string]string{"api": "alibaba", "outcome": "hash"}, 1},
		{searches, map[string]string{"api": "alibaba", "outcome": "no_match"}, 0},
		{requests, map[string]string{"api": "ops", "action": "GET /metrics", "status": "200", "code": ""}, 1},
	} {
		if d := sample(after, c.name, c.labels) - sample(before, c.name, c.labels); d != c.delta {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, d, c.delta)
		}
	}
	total := func(fams map[string]*dto.MetricFamily) (n float64) {
		for _, m := range fams[requests].GetMetric() {
			n += m.GetCounter().GetValue()
		}
		return n
	}
	if d := total(after) - total(before); d != 6 { // the five calls and the first scrape
		t.Errorf("%s moved by %v in all, want 6", requests, d)
	}
	gal := map[string]string{"gallery": testserver.Instance}
	if n, a := sample(after, "pixmatch_gallery_targets", gal), sample(after, "pixmatch_gallery_active_targets", gal); n != 1 || a != 1 {
		t.Errorf("gallery index: %v targets, %v active; want 1, 1", n, a)
	}
	if after["pixmatch_request_body_bytes_capacity"] == nil || after["pixmatch_jobs_running"] == nil || after["go_goroutines"] == nil {
		t.Errorf("gauges missing from /metrics")
	}
	if p := after["pixmatch_feature_pending"]; p == nil || sample(after, "pixmatch_feature_pending", nil) != 0 {
		t.Errorf("pixmatch_feature_pending: %v, want 0 (every record made at its add)", p)
	}
	if c := sample(after, "pixmatch_decode_bytes_capacity", nil); c != float64(s.Config.Server.DecodeBytes) || sample(after, "pixmatch_decode_bytes_in_flight", nil) != 0 {
		t.Errorf("decode budget: capacity %v, want %d; in flight %v after every search ended, want 0",
			c, s.Config.Server.DecodeBytes, sample(after, "pixmatch_decode_bytes_in_flight", nil))
	}
}

// TestNoMetricsWithout checks that a server assembled without metrics
// does not serve /metrics.
func TestNoMetricsWithout(t *testing.T) {
	s := testserver.New(t)
	res, err := http.Get(s.URL() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound {
		t.Fatalf("GET /metrics without metrics: %d, want 404", res.StatusCode)
	}
}

// TestTaskProgress: a running import's progress is on /metrics as it is
// saved, and its series go when it ends.
func TestTaskProgress(t *testing.T) {
	s := testserver.NewWith(t, []app.Option{app.WithMetrics(metrics.New(), true)})
	ctx := context.Background()
	task, err := s.Service.Tasks.Create(ctx, gallery.Task{Gallery: s.Gallery.ID, Kind: gallery.TaskImport, Status: gallery.TaskRunning, Total: 10})
	if err != nil {
		t.Fatal(err)
	}
	task.Done, task.Failed = 4, 1
	if err := s.Service.Tasks.Update(ctx, task); err != nil {
		t.Fatal(err)
	}
	fams := scrape(t, s.URL())
	for state, want := range map[string]float64{"total": 10, "done": 4, "failed": 1} {
		labels := map[string]string{"gallery": testserver.Instance, "kind": "import", "state": state}
		if got := sample(fams, "pixmatch_task_items", labels); got != want {
			t.Errorf("pixmatch_task_items%v = %v, want %v", labels, got, want)
		}
	}
	task.Status, task.Done = "SUCCESS", 9
	if err := s.Service.Tasks.Update(ctx, task); err != nil {
		t.Fatal(err)
	}
	if f := scrape(t, s.URL())["pixmatch_task_items"]; f != nil && len(f.GetMetric()) > 0 {
		t.Errorf("an ended task still has %d series", len(f.GetMetric()))
	}
}
