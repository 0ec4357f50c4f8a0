//go:build linux

package e2e

import (
	"testing"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
	"github.com/pixmatch/pixmatch/server/worker"
	"github.com/pixmatch/pixmatch/server/worker/workerdtest"
)

// TestWorkerUploadFlow is TestUploadFlow against the Cloudflare Worker
// under wrangler dev (workerd, a local D1 and R2; `make worker` builds
// it): the web app and the browser module come from the Worker (its
// routes and its [assets]), the browser connects with the credentials
// the Worker made on first use, syncs a gallery of three targets and
// recognises uploaded photos itself and through the Worker.
func TestWorkerUploadFlow(t *testing.T) {
	w, _ := workerdtest.Start(t, t.TempDir(), map[string]string{
		worker.EnvAppID: testserver.AppID, worker.EnvAPIKey: testserver.Key, worker.EnvAPISecret: testserver.Secret,
	})
	uploadFlow(t, w.URL, &crsClient{t: t, base: w.URL}, "through the Worker")
}
