package alibaba_test

import (
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// writeFiles writes files (name → content; a name may hold folders)
// under dir.
func writeFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, b := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// localBucket is a server with one bucket, "local", in a new folder.
func localBucket(t *testing.T, tune ...testserver.Tune) (*testserver.Server, *imagesearch.Client, string) {
	folder := t.TempDir()
	tune = append(tune, func(c *config.Config, _ *store.Gallery) { c.Alibaba.Buckets = map[string]string{"local": folder} })
	s := testserver.New(t, tune...)
	return s, newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false), folder
}

// importAndWait imports Path from the local bucket and returns the
// import once it has ended.
func importAndWait(t *testing.T, sdk *imagesearch.Client, path, callback string) *imagesearch.IncreaseListResponseBodyDataIncrementsInstance {
	t.Helper()
	req := &imagesearch.IncreaseInstanceRequest{InstanceName: instance, BucketName: dara.String("local"), Path: dara.String(path)}
	if callback != "" {
		req.CallbackAddress = dara.String(callback)
	}
	started, err := sdk.IncreaseInstance(req)
	if err != nil {
		t.Fatal(err)
	}
	var item *imagesearch.IncreaseListResponseBodyDataIncrementsInstance
	eventually(t, "the import", func() bool {
		list, err := sdk.IncreaseList(&imagesearch.IncreaseListRequest{InstanceName: instance, Id: dara.Int64(atoi64(t, dara.StringValue(started.Body.Data.Id)))})
		if err != nil {
			t.Fatal(err)
		}
		item = list.Body.Data.Increments.Instance[0]
		return dara.StringValue(item.Status) != "PROCESSING"
	})
	return item
}

// TestBucketSymlinks: a symbolic link inside a bucket that leads out of
// it fails its line with InvalidPicUrl, and the picture it leads to is not
// imported; a link that stays inside works; a Path that is a link out of
// the bucket reads nothing.
func TestBucketSymlinks(t *testing.T) {
	s, sdk, folder := localBucket(t)
	outside := t.TempDir()
	writeFiles(t, outside, map[string][]byte{
		"secret.jpg":     testphoto.File("coffee"),
		"increment.meta": []byte(`{"ProductId":"out","PicName":"secret.jpg"}` + "\n"),
	})
	writeFiles(t, folder, map[string][]byte{
		"pictures/chelsea.jpg": testphoto.File("chelsea"),
		"batch/increment.meta": []byte(`{"ProductId":"in","PicName":"inside.jpg"}
{"ProductId":"out","PicName":"outside.jpg"}
{"ProductId":"dir","PicName":"away/secret.jpg"}
`),
	})
	links := map[string]string{
		"batch/inside.jpg":  "../pictures/chelsea.jpg",
		"batch/outside.jpg": filepath.Join(outside, "secret.jpg"),
		"batch/away":        outside,
		"elsewhere":         outside,
	}
	for name, to := range links {
		if err := os.Symlink(to, filepath.Join(folder, filepath.FromSlash(name))); err != nil {
			t.Fatal(err)
		}
	}

	item := importAndWait(t, sdk, "/batch", "")
	if dara.StringValue(item.Status) != "NORMAL" || dara.StringValue(item.Msg) != "2 of 3 lines failed" {
		t.Fatalf("import: %s", item)
	}
	status, report := get(t, dara.StringValue(item.ErrorUrl))
	var lines []map[string]any
	for l := range strings.Lines(report) {
		var m map[string]any
		json.Unmarshal([]byte(l), &m)
		lines = append(lines, m)
	}
	if status != 200 || len(lines) != 2 || lines[0]["PicName"] != "outside.jpg" || lines[1]["PicName"] != "away/secret.jpg" ||
		lines[0]["Code"] != "InvalidPicUrl" || lines[1]["Code"] != "InvalidPicUrl" || strings.Contains(report, outside) {
		t.Fatalf("report: HTTP %d %q", status, report)
	}
	for product, want := range map[string]bool{"in": true, "out": false, "dir": false} {
		pic := map[string]string{"in": "inside.jpg", "out": "outside.jpg", "dir": "away/secret.jpg"}[product]
		got, err := sdk.CheckImageExists(&imagesearch.CheckImageExistsRequest{InstanceName: instance,
			ProductId: dara.String(product), PicName: dara.String(pic)})
		if err != nil || dara.BoolValue(got.Body.Exists) != want {
			t.Errorf("%s/%s imported: %v, %v; want %v", product, pic, got, err, want)
		}
	}

	away := importAndWait(t, sdk, "/elsewhere", "")
	if dara.StringValue(away.Status) != "FAIL" || dara.StringValue(away.Code) != "InvalidPicUrl" {
		t.Fatalf("import of a Path linked out of the bucket: %s", away)
	}
	if n, _ := s.Service.Targets.CountContext(t.Context(), s.Gallery.ID); n != 1 {
		t.Fatalf("the instance holds %d pictures, want 1", n)
	}
}

// TestTaskMessagesHaveNoPaths: what IncreaseList, DumpMetaList, the
// callback and the report tell a client holds catalogue messages, not the
// server's paths, when increment.meta is missing or the files folder
// cannot be written.
func TestTaskMessagesHaveNoPaths(t *testing.T) {
	noPath := func(t *testing.T, s *testserver.Server, folder, what, text string) {
		t.Helper()
		if strings.Contains(text, s.Dir) || strings.Contains(text, folder) || strings.Contains(text, "/tmp") {
			t.Errorf("%s shows a server path: %q", what, text)
		}
	}
	t.Run("missing increment.meta", func(t *testing.T) {
		told := make(chan map[string]any, 1)
		callback := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var m map[string]any
			b, _ := io.ReadAll(r.Body)
			json.Unmarshal(b, &m)
			told <- m
		}))
		defer callback.Close()
		s, sdk, folder := localBucket(t, allowLoopbackURLs)
		os.Mkdir(filepath.Join(folder, "empty"), 0o755)
		item := importAndWait(t, sdk, "/empty", callback.URL)
		want := "increment.meta: " + apierror.InvalidPicUrl.Message
		if dara.StringValue(item.Status) != "FAIL" || dara.StringValue(item.Msg) != want {
			t.Fatalf("IncreaseList: %s; want FAIL %q", item, want)
		}
		noPath(t, s, folder, "IncreaseList Msg", dara.StringValue(item.Msg))
		if m := <-told; m["Msg"] != want {
			t.Errorf("callback Msg %q, want %q", m["Msg"], want)
		}
	})
	t.Run("import report cannot be written", func(t *testing.T) {
		s, sdk, folder := localBucket(t)
		writeFiles(t, folder, map[string][]byte{
			"batch/increment.meta": []byte(`{"ProductId":"p","PicName":"missing.jpg"}` + "\n"),
		})
		// The report's name is taken by a folder, which no user can open
		// as a file (the tests may run as root, whom modes do not stop).
		os.MkdirAll(filepath.Join(s.Config.Alibaba.Files, itoa(s.Gallery.ID), "import-1.errors"), 0o700)
		item := importAndWait(t, sdk, "/batch", "")
		if dara.StringValue(item.Status) != "FAIL" || dara.StringValue(item.Code) != apierror.InternalOssError.Code ||
			dara.StringValue(item.Msg) != apierror.InternalOssError.Message || dara.StringValue(item.ErrorUrl) != "" {
			t.Fatalf("IncreaseList: %s", item)
		}
		noPath(t, s, folder, "IncreaseList Msg", dara.StringValue(item.Msg))
	})
	t.Run("dump cannot be written", func(t *testing.T) {
		s, sdk, folder := localBucket(t)
		os.MkdirAll(filepath.Join(s.Config.Alibaba.Files, itoa(s.Gallery.ID), "dump-1.meta"), 0o700)
		_, err := sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance})
		if code, _ := sdkError(t, err); code != apierror.InternalOssError.Code {
			t.Fatalf("DumpMeta: %v", err)
		}
		list, err := sdk.DumpMetaList(&imagesearch.DumpMetaListRequest{InstanceName: instance})
		if err != nil || len(list.Body.Data.DumpMetaList) != 1 {
			t.Fatalf("DumpMetaList: %v %s", err, list)
		}
		d := list.Body.Data.DumpMetaList[0]
		if dara.StringValue(d.Status) != "FAIL" || dara.StringValue(d.Msg) != apierror.InternalOssError.Message || dara.StringValue(d.MetaUrl) != "" {
			t.Fatalf("DumpMetaList: %s", d)
		}
		noPath(t, s, folder, "DumpMetaList Msg", dara.StringValue(d.Msg))
	})
}

// TestTaskFilesArePrivate: the folders of dumps and import reports are
// 0700 and the files 0600; only a signed link serves them.
func TestTaskFilesArePrivate(t *testing.T) {
	s, sdk, folder := localBucket(t)
	writeFiles(t, folder, map[string][]byte{
		"batch/increment.meta": []byte(`{"ProductId":"p","PicName":"missing.jpg"}` + "\n"),
	})
	if item := importAndWait(t, sdk, "/batch", ""); dara.StringValue(item.ErrorUrl) == "" {
		t.Fatalf("import without a report: %s", item)
	}
	if _, err := sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the dump", func() bool {
		list, err := sdk.DumpMetaList(&imagesearch.DumpMetaListRequest{InstanceName: instance})
		return err == nil && dara.StringValue(list.Body.Data.DumpMetaList[0].Status) == "SUCCESS"
	})
	files := s.Config.Alibaba.Files
	gallery := filepath.Join(files, itoa(s.Gallery.ID))
	want := map[string]fs.FileMode{
		files: 0o700 | fs.ModeDir, gallery: 0o700 | fs.ModeDir,
		filepath.Join(gallery, "import-1.errors"): 0o600, filepath.Join(gallery, "dump-2.meta"): 0o600,
	}
	for name, mode := range want {
		st, err := os.Stat(name)
		if err != nil || st.Mode() != mode {
			t.Errorf("%s: %v, %v; want mode %v", strings.TrimPrefix(name, s.Dir), st.Mode(), err, mode)
		}
	}
}

func atoi64(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
