package e2e

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// watchWorkers follows the workers the page starts (the recognition
// worker, the service worker): their Content Security Policy violations
// are recorded with the page's. It returns a function giving the context
// of the last worker of a type ("worker", "service_worker") attached so
// far, or nil. The workers' logs are read from their start: the browser
// sends what a target logged before the session attached when it does.
func (b *browser) watchWorkers() func(kind string) context.Context {
	b.t.Helper()
	ctx, cancel := context.WithCancel(b.tab)
	attached := chromedp.Events(ctx, target.AttachedToTarget)
	var (
		mu      sync.Mutex
		workers = map[string]context.Context{}
		cancels []context.CancelFunc
		running sync.WaitGroup
	)
	running.Go(func() {
		for ev, err := range attached {
			if err != nil {
				return
			}
			kind := ev.TargetInfo.Type
			if !strings.Contains(kind, "worker") {
				continue
			}
			where := kind + " " + ev.TargetInfo.URL
			wctx, wcancel := chromedp.NewContext(b.tab, chromedp.WithTargetID(ev.TargetInfo.TargetID), chromedp.WithDetachOnCancel(),
				chromedp.WithListener(func(e any) {
					if text := logText(e); violation(text) {
						b.noteViolation(where, text)
					}
				}))
			if err := chromedp.Do(wctx); err != nil {
				b.t.Logf("watch %s: %v", where, err)
				wcancel()
				continue
			}
			mu.Lock()
			cancels = append(cancels, wcancel)
			workers[kind] = wctx
			mu.Unlock()
		}
	})
	b.t.Cleanup(func() {
		cancel()
		running.Wait()
		for _, c := range cancels {
			c()
		}
	})
	return func(kind string) context.Context {
		mu.Lock()
		defer mu.Unlock()
		return workers[kind]
	}
}

// logText returns the text of a console or log event, or "".
func logText(e any) string {
	switch e := e.(type) {
	case *log.EventEntryAdded:
		return e.Entry.Text
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
		}
		return strings.Join(parts, " ")
	}
	return ""
}

// waitFor polls cond every 50 ms until it holds, failing the test after limit.
func waitFor(t *testing.T, what string, limit time.Duration, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(limit); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: gave up after %v", what, limit)
		}
	}
}

// TestContentSecurityPolicy uses the app under its policy as a person
// does — connect, sync, recognise a picture, the camera, a load served by
// the service worker — and expects not one violation from the page or
// its workers. It then breaks the policy on purpose, in the page and in
// the recognition worker, to show that a violation would be seen.
func TestContentSecurityPolicy(t *testing.T) {
	s := newSite(t)
	api := s.api()
	api.addPhotos("chelsea", "astronaut")
	b := newBrowser(t, s.URL(), testLimit,
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-file-for-fake-video-capture", clipOf(t, "chelsea")))
	worker := b.watchWorkers()
	b.open("/")
	b.connect()
	api.addPhotos("coffee")
	b.syncNow(3)

	local, server := b.recognise(editedFile(t, "coffee"))
	wantMatch(t, "in the browser", local, "coffee")
	wantMatch(t, "on the server", server, "coffee")
	b.waitUntil("the thumbnails", `['local-result', 'server-result'].every((id) => {
		const img = e2e.el(id).querySelector('img.thumb'); return !img.hidden && img.complete && img.naturalWidth > 0; })`, 10*time.Second)

	b.click("tab-camera")
	b.click("camera-start")
	b.waitUntil("chelsea named over the video", `/^chelsea · /.test(e2e.text('camera-match'))`, 10*time.Second)
	b.click("camera-stop")

	b.exec(`navigator.serviceWorker.ready.then(() => undefined)`)
	b.reload()
	b.waitUntil("the service worker to control the page", `navigator.serviceWorker.controller !== null`, 10*time.Second)
	b.recognise(photoFile(t, "astronaut"))

	if got := b.cspViolations(); len(got) > 0 {
		t.Errorf("%d Content Security Policy violations:\n%s", len(got), strings.Join(got, "\n"))
	}
	if worker("worker") == nil {
		t.Fatal("the recognition worker was not watched")
	}

	// Violations are seen: an inline script in the page, a fetch from the
	// recognition worker to another origin.
	b.exec(`document.head.append(Object.assign(document.createElement('script'), { textContent: 'window.inlineRan = true' }))`)
	if eval[bool](b, `window.inlineRan === true`) {
		t.Error("an inline script ran")
	}
	waitFor(t, "the inline script's violation", 5*time.Second, func() bool { return seen(b, "page: ", "script-src") })
	_, err := chromedp.Call(worker("worker"), runtime.Evaluate, runtime.EvaluateParams{
		Expression: `fetch('https://example.invalid/').then(() => 'fetched', () => 'refused')`, AwaitPromise: new(true),
	})
	if err != nil {
		t.Fatalf("fetch from the worker: %v", err)
	}
	waitFor(t, "the worker's violation", 5*time.Second, func() bool { return seen(b, "worker ", "connect-src") })
}

// seen reports whether a violation recorded from where (see
// noteViolation) mentions text.
func seen(b *browser, where, text string) bool {
	for _, v := range b.cspViolations() {
		if strings.HasPrefix(v, where) && strings.Contains(v, text) {
			return true
		}
	}
	return false
}
