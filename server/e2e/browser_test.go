package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// debianChromium is where Debian's chromium package installs the browser.
const debianChromium = "/usr/bin/chromium"

// stepLimit bounds one browser action, so that a hang fails with the
// step's name long before the test's own limit.
const stepLimit = 20 * time.Second

// helperJS is run in every document the tab loads: small read-only
// helpers the tests use to read what the page shows, and a listener that
// writes each Content Security Policy violation of the page to the
// console, where the browser's log of it goes too (see violation).
const helperJS = `document.addEventListener('securitypolicyviolation', (e) =>
  console.error('securitypolicyviolation: ' + e.effectiveDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));
window.e2e = {
  el: (id) => document.getElementById(id),
  text: (id) => document.getElementById(id).textContent,
  shown: (id) => { const n = document.getElementById(id); return !n.hidden && n.getClientRects().length > 0; },
  card(id) {
    const c = document.getElementById(id);
    const q = (s) => c.querySelector(s).textContent;
    return { state: c.dataset.state || '', status: q('.status'), name: q('.name'), score: q('.score'), ms: q('.ms') };
  },
  row: (name) => [...document.querySelectorAll('#targets .target')].find((r) => r.querySelector('.name').textContent === name) || null,
  names: () => [...document.querySelectorAll('#targets .target .name')].map((n) => n.textContent),
};`

// browser is one headless Chromium with one tab, started for one test.
type browser struct {
	t    testing.TB
	base string          // the server's URL
	tab  context.Context // the tab, for as long as the test runs
	ctx  context.Context // the tab within the test's time limit

	mu         sync.Mutex
	violations []string // the CSP violations reported so far (see violation)
}

// violation reports whether a console message is about a Content
// Security Policy violation: the browser's own log line ("Refused to …
// because it violates the following Content Security Policy directive")
// or the one helperJS writes for a securitypolicyviolation event.
func violation(text string) bool {
	return strings.Contains(text, "Content Security Policy") || strings.Contains(text, "securitypolicyviolation")
}

// noteViolation records a violation.
func (b *browser) noteViolation(where, text string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.violations = append(b.violations, where+": "+text)
}

// cspViolations returns the violations recorded so far: the page's (of
// every document the tab loaded) and those of the workers watchWorkers
// follows.
func (b *browser) cspViolations() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.violations)
}

// chromiumPath returns the browser to drive: $PIXMATCH_CHROMIUM, else
// Debian's. The tests need one: they fail, never skip, without it.
func chromiumPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{os.Getenv("PIXMATCH_CHROMIUM"), debianChromium} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	t.Fatal("install chromium: apt-get install -y chromium")
	return ""
}

// newBrowser starts Chromium with a fresh profile on base, the server
// under test. Everything the test does in it must end within limit. The
// page's console errors and exceptions go to the test log, and a failed
// test leaves a screenshot in failures/.
func newBrowser(t testing.TB, base string, limit time.Duration, flags ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-extensions", true),
		// Containers give /dev/shm a few MB; Chromium then crashes tabs.
		chromedp.Flag("disable-dev-shm-usage", true),
		// Decoded pictures in sRGB, whatever the machine's display says.
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(opts, flags...)...)
	tab, cancelTab := chromedp.NewContext(alloc)
	ctx, cancelLimit := context.WithTimeout(tab, limit)
	b := &browser{t: t, base: base, tab: tab, ctx: ctx}
	var console sync.WaitGroup
	live := false // whether the browser started
	t.Cleanup(func() {
		if t.Failed() && live {
			b.screenshot()
		}
		cancelLimit()
		cancelTab()
		console.Wait()
		cancelAlloc()
	})
	// The first Do starts the browser and ties it to the context it is
	// given: the tab's, so that the browser outlives a test that runs out
	// of time, long enough for the screenshot.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(tab) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("start chromium: %v", err)
		}
	case <-ctx.Done():
		t.Fatalf("start chromium: %v", ctx.Err())
	}
	live = true
	messages := chromedp.Console(tab)
	console.Go(func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.IsException() {
				t.Logf("page %s: %s (%s:%d)", m.Type, m.Text, m.URL, m.Line+1)
			}
			if violation(m.Text) {
				b.noteViolation("page", m.Text)
			}
		}
	})
	b.call("install the page helpers", func(ctx context.Context) error {
		_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: helperJS})
		return err
	})
	return b
}

// do runs actions, failing the test with what when one fails.
func (b *browser) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v\npage: %s", what, err, b.describe())
	}
}

// call runs f with the tab's context, failing the test with what when
// it fails.
func (b *browser) call(what string, f func(ctx context.Context) error) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	if err := f(ctx); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression in the page, waits for the
// promise it may return, and decodes the value as JSON into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepLimit)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v\npage: %s", abbreviate(expr), err, b.describe())
	}
	return v
}

// exec evaluates a JavaScript expression for its effect.
func (b *browser) exec(expr string) {
	b.t.Helper()
	eval[chromedp.Void](b, expr)
}

// waitUntil polls a JavaScript predicate until it holds, for at most limit.
func (b *browser) waitUntil(what, predicate string, limit time.Duration) {
	b.t.Helper()
	_, err := chromedp.Run(b.ctx, chromedp.Poll[chromedp.Void](predicate,
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(limit)))
	if err != nil {
		b.t.Fatalf("waiting for %s: %v\npage: %s", what, err, b.describe())
	}
}

// click clicks the element with the given id, as a mouse does.
func (b *browser) click(id string) {
	b.t.Helper()
	b.do("click #"+id, chromedp.Click(chromedp.ID(id)))
}

// typeInto replaces the text of a field by typing text into it.
func (b *browser) typeInto(id, text string) {
	b.t.Helper()
	// Select what the field holds, so that the keys replace it.
	b.exec(fmt.Sprintf(`e2e.el(%s).select()`, jsString(id)))
	b.do("type into #"+id, chromedp.SendKeys(chromedp.ID(id), text))
	if got := eval[string](b, fmt.Sprintf(`e2e.el(%s).value`, jsString(id))); got != text {
		b.t.Fatalf("#%s holds %q after typing %q", id, got, text)
	}
}

// upload chooses a file in the file input with the given id.
func (b *browser) upload(id, file string) {
	b.t.Helper()
	b.do("choose "+filepath.Base(file)+" in #"+id, chromedp.SetUploadFiles(chromedp.ID(id), []string{file}))
}

// open loads path of the app and waits until it is interactive.
func (b *browser) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
	b.ready()
}

// reload loads the page again and waits until it is interactive.
func (b *browser) reload() {
	b.t.Helper()
	b.do("reload", chromedp.Reload())
	b.ready()
}

// ready waits for window.pixmatchApp.ready.
func (b *browser) ready() {
	b.t.Helper()
	if !eval[bool](b, `window.pixmatchApp.ready.then(() => true)`) {
		b.t.Fatal("pixmatchApp.ready did not resolve")
	}
}

// connect enters the test server's credentials in Settings, connects,
// and waits for the first sync to finish.
func (b *browser) connect() {
	b.t.Helper()
	b.click("tab-settings")
	b.typeInto("appId", testserver.AppID)
	b.typeInto("apiKey", testserver.Key)
	b.typeInto("apiSecret", testserver.Secret)
	b.click("connect")
	b.waitUntil("the connection and the first sync",
		`e2e.el('conn-status').dataset.state === 'connected' && e2e.el('sync-status').dataset.state === 'synced'`, 30*time.Second)
}

// syncNow presses Sync now and waits until the page says it holds want
// targets.
func (b *browser) syncNow(want int) {
	b.t.Helper()
	b.click("tab-settings")
	b.click("sync-now")
	b.waitUntil(fmt.Sprintf("a synced gallery of %d targets", want), fmt.Sprintf(
		`e2e.el('sync-status').dataset.state === 'synced' && / · %d targets? · /.test(e2e.text('sync-status'))`, want), 30*time.Second)
}

// card is what a match card of the Recognise tab shows.
type card struct {
	State  string `json:"state"`
	Status string `json:"status"`
	Name   string `json:"name"`
	Score  string `json:"score"`
	MS     string `json:"ms"`
}

func (c card) String() string {
	return fmt.Sprintf("[%s] %q name %q score %q time %q", c.State, c.Status, c.Name, c.Score, c.MS)
}

// recognise chooses a picture on the Recognise tab and waits for both
// answers: the one of this browser and the server's.
func (b *browser) recognise(file string) (local, server card) {
	b.t.Helper()
	b.click("tab-recognise")
	before := eval[string](b, `e2e.el('picture').src`)
	b.upload("file", file)
	b.waitUntil("both answers for "+filepath.Base(file), fmt.Sprintf(
		`e2e.el('picture').src !== %s && ['local-result', 'server-result'].every((id) => !['', 'busy'].includes(e2e.el(id).dataset.state || ''))`,
		jsString(before)), 30*time.Second)
	return eval[card](b, `e2e.card('local-result')`), eval[card](b, `e2e.card('server-result')`)
}

// acceptDialogs accepts every dialog the page opens (confirm, alert)
// and sends its message to the returned channel.
func (b *browser) acceptDialogs() <-chan string {
	opened := chromedp.Events(b.tab, page.JavascriptDialogOpening)
	messages := make(chan string, 16)
	go func() {
		for ev, err := range opened {
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(b.tab, stepLimit)
			_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			cancel()
			if err != nil {
				return
			}
			select {
			case messages <- ev.Message:
			default:
			}
		}
	}()
	return messages
}

// describe summarises what the page shows, for failure messages.
func (b *browser) describe() string {
	ctx, cancel := context.WithTimeout(b.tab, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`JSON.stringify((() => {
		const t = (id) => { const n = document.getElementById(id); return n ? n.textContent.replace(/\s+/g, ' ').trim().slice(0, 200) : null; };
		const state = (id) => { const n = document.getElementById(id); return n ? n.dataset.state : null; };
		return {url: location.href, message: t('message'), conn: [state('conn-status'), t('conn-status')],
			sync: [state('sync-status'), t('sync-status')], local: [state('local-result'), t('local-result')],
			server: [state('server-result'), t('server-result')], targets: t('targets'), camera: t('camera-status'), fps: t('fps')};
	})())`))
	if err != nil {
		return fmt.Sprintf("(unreadable: %v)", err)
	}
	return s
}

// screenshot saves the whole page to failures/<TestName>.png.
func (b *browser) screenshot() {
	ctx, cancel := context.WithTimeout(b.tab, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	name := strings.NewReplacer("/", "_", " ", "_", ":", "_").Replace(b.t.Name()) + ".png"
	path, err := filepath.Abs(filepath.Join("failures", name))
	if err == nil {
		err = os.MkdirAll(filepath.Dir(path), 0o755)
	}
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		b.t.Logf("no screenshot of the failure: %v", err)
		return
	}
	b.t.Logf("screenshot of the page: %s", path)
}

// jsString returns s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// abbreviate shortens a long expression for a failure message.
func abbreviate(s string) string {
	const most = 160
	if len(s) <= most {
		return s
	}
	return s[:most] + "…"
}
