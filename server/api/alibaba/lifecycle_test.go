package alibaba_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	imagesearch "github.com/alibabacloud-go/imagesearch-20201214/v4/client"
	"github.com/alibabacloud-go/tea/dara"

	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// interrupted is the Msg of a task the server stopped.
const interrupted = "The task was interrupted: the server stopped before it ended."

// stallingBucket is an http bucket whose increment.meta lists pictures
// and which then never delivers: a request for stall (a file name) is
// reported on asked and held until the client gives up or the test ends.
type stallingBucket struct {
	*httptest.Server
	asked chan string
}

func newStallingBucket(t *testing.T, meta, stall string) *stallingBucket {
	b := &stallingBucket{asked: make(chan string, 16)}
	quit := make(chan struct{})
	b.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]
		if name == stall {
			b.asked <- name
			select {
			case <-r.Context().Done():
			case <-quit: // the test is over: Close waits for this request
			}
			return
		}
		switch name {
		case "increment.meta":
			w.Write([]byte(meta))
		case "coffee.jpg":
			w.Write(testphoto.File("coffee"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(func() {
		close(quit)
		b.Close()
	})
	return b
}

func allowLoopbackURLs(c *config.Config, _ *store.Gallery) {
	c.Alibaba.FetchAllow = []string{"127.0.0.1/32"}
}

// increments lists the instance's imports, newest first.
func increments(t *testing.T, sdk *imagesearch.Client) []*imagesearch.IncreaseListResponseBodyDataIncrementsInstance {
	t.Helper()
	list, err := sdk.IncreaseList(&imagesearch.IncreaseListRequest{InstanceName: instance, PageSize: dara.Int32(100)})
	if err != nil {
		t.Fatal(err)
	}
	return list.Body.Data.Increments.Instance
}

// stacksOf returns the stacks of the goroutines running one of fns.
func stacksOf(fns ...string) []string {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var found []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		for _, fn := range fns {
			if strings.Contains(g, fn) {
				found = append(found, g)
				break
			}
		}
	}
	return found
}

// TestStopInterruptsImport stops the server's jobs while an import waits
// for a bucket that never answers: Stop cancels the import at once (well
// inside the 5 s transfer limit), returns, and leaves no goroutine behind;
// the import is recorded failed, and a later import is refused without
// being recorded.
func TestStopInterruptsImport(t *testing.T) {
	s := testserver.New(t, allowLoopbackURLs)
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	bucket := newStallingBucket(t, `{"ProductId":"a","PicName":"coffee.jpg"}`+"\n"+`{"ProductId":"b","PicName":"slow.jpg"}`+"\n", "slow.jpg")
	if _, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
		BucketName: dara.String(bucket.URL), Path: dara.String("/batch")}); err != nil {
		t.Fatal(err)
	}
	<-bucket.asked
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	began := time.Now()
	if err := s.Jobs.Stop(ctx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Errorf("Stop took %v: the import was not cancelled but timed out", took)
	}
	if n := s.Jobs.Running(); n != 0 {
		t.Errorf("%d jobs running after Stop", n)
	}
	eventually(t, "the import's goroutine to end", func() bool {
		return len(stacksOf("alibaba.(*Handler).runImport", "jobs.(*Job).Go")) == 0
	})
	list := increments(t, sdk)
	if len(list) != 1 || dara.StringValue(list[0].Status) != "FAIL" || dara.StringValue(list[0].Msg) != interrupted ||
		dara.StringValue(list[0].Code) != apierror.InternalError.Code {
		t.Fatalf("after Stop, IncreaseList = %v", list)
	}

	_, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
		BucketName: dara.String(bucket.URL), Path: dara.String("/batch")})
	if code, status := sdkError(t, err); code != apierror.InternalError.Code || status != 500 {
		t.Fatalf("IncreaseInstance after Stop: %s %d, want InternalError 500", code, status)
	}
	if _, err := sdk.DumpMeta(&imagesearch.DumpMetaRequest{InstanceName: instance}); err == nil {
		t.Fatal("DumpMeta after Stop was accepted")
	}
	if n := len(increments(t, sdk)); n != 1 {
		t.Fatalf("the refused import was recorded: %d imports", n)
	}
}

// TestInterruptedImportFailsAtRestart leaves an import PROCESSING, as a
// process killed in the middle of one does: until the restart it blocks
// every import; the restart marks it failed and interrupted, and a new
// import runs.
func TestInterruptedImportFailsAtRestart(t *testing.T) {
	testserver.SkipInCluster(t, "on PostgreSQL a task no live server holds does not wait for a restart: the next import fails it and starts (postgres' TestDeadServersTaskDoesNotBlock)")
	folder := t.TempDir()
	dir := filepath.Join(folder, "batch")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "coffee.jpg"), testphoto.File("coffee"), 0o644)
	os.WriteFile(filepath.Join(dir, "increment.meta"), []byte(`{"ProductId":"a","PicName":"coffee.jpg"}`+"\n"), 0o644)
	s := testserver.New(t, func(c *config.Config, _ *store.Gallery) { c.Alibaba.Buckets = map[string]string{"local": folder} })
	s.Exec(`INSERT INTO tasks (gallery_id, kind, status, code, message, source, callback, result, total, done, failed, created, modified)
		VALUES (` + itoa(s.Gallery.ID) + `, 'import', 'PROCESSING', '', '', 'local` + "\n" + `/batch', '', '', 10, 4, 0, 1, 1)`)
	start := func(sdk *imagesearch.Client) error {
		_, err := sdk.IncreaseInstance(&imagesearch.IncreaseInstanceRequest{InstanceName: instance,
			BucketName: dara.String("local"), Path: dara.String("/batch")})
		return err
	}
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	if code, _ := sdkError(t, start(sdk)); code != apierror.DeniedRequest.Code {
		t.Fatalf("IncreaseInstance beside a running import: %s, want DeniedRequest", code)
	}

	s = s.Reopen()
	sdk = newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	left := increments(t, sdk)
	if len(left) != 1 || dara.StringValue(left[0].Status) != "FAIL" || dara.StringValue(left[0].Msg) != interrupted {
		t.Fatalf("after the restart, IncreaseList = %v; want the import FAIL, interrupted", left)
	}
	if err := start(sdk); err != nil {
		t.Fatalf("IncreaseInstance after the restart: %v", err)
	}
	eventually(t, "the new import", func() bool {
		return dara.StringValue(increments(t, sdk)[0].Status) == "NORMAL"
	})
}

// TestOneImportAtATime sends eight IncreaseInstance at once: exactly one
// is accepted, the others are DeniedRequest, and only one is recorded.
func TestOneImportAtATime(t *testing.T) {
	const tries = 8
	s := testserver.New(t, allowLoopbackURLs)
	bucket := newStallingBucket(t, "", "increment.meta") // the first import holds on
	var (
		wg               sync.WaitGroup
		mu               sync.Mutex
		accepted, denied int
	)
	for range tries {
		wg.Go(func() { // through net/http: the SDK's shared client is not safe for concurrent calls
			a := rpc(t, s, "IncreaseInstance", map[string]string{"InstanceName": testserver.Instance,
				"BucketName": bucket.URL, "Path": "/batch"})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case a.HTTP == 200:
				accepted++
			case a.HTTP == 403 && a.code() == apierror.DeniedRequest.Code:
				denied++
			default:
				t.Errorf("IncreaseInstance: %s", a.raw)
			}
		})
	}
	wg.Wait()
	if accepted != 1 || denied != tries-1 {
		t.Fatalf("%d accepted, %d DeniedRequest; want 1 and %d", accepted, denied, tries-1)
	}
	sdk := newSDK(t, s.Addr(), testserver.Key, testserver.Secret, false)
	if n := len(increments(t, sdk)); n != 1 {
		t.Fatalf("%d imports recorded, want 1", n)
	}
}
