package e2e

import (
	"fmt"
	"image"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// testLimit bounds each browser test, so that a hang fails instead of
// blocking CI.
const testLimit = 90 * time.Second

// edited returns a test photograph as a user's copy of it would be: saved
// again as a JPEG of quality 50 and shrunk to 60%.
func edited(name string) image.Image {
	return distort.Scale(0.6)(distort.JPEG(50)(testphoto.Image(name)))
}

// editedFile writes edited(name) as a JPEG file and returns its path.
func editedFile(t testing.TB, name string) string {
	t.Helper()
	return writeFile(t, name+"-edited.jpg", encodeJPEG(t, edited(name), 90))
}

// photoFile writes a test photograph's JPEG file and returns its path.
func photoFile(t testing.TB, name string) string {
	t.Helper()
	return writeFile(t, name+".jpg", testphoto.File(name))
}

// shownTime is how a card shows a duration: "4.2 ms", "85 ms", "1.25 s".
var shownTime = regexp.MustCompile(`^\d+(\.\d+)? m?s$`)

// wantMatch checks that a match card names the expected target with a
// score and a time.
func wantMatch(t *testing.T, side string, c card, name string) {
	t.Helper()
	if c.State != "match" || c.Name != name {
		t.Errorf("%s: %s, want a match of %q", side, c, name)
		return
	}
	if s, err := strconv.ParseFloat(c.Score, 64); err != nil || s <= 0 || s > 1 {
		t.Errorf("%s: score %q, want a number in (0, 1]", side, c.Score)
	}
	if !shownTime.MatchString(c.MS) {
		t.Errorf("%s: time %q, want a duration such as \"12 ms\"", side, c.MS)
	}
}

// wantState checks the state a match card is in.
func wantState(t *testing.T, side string, c card, states ...string) {
	t.Helper()
	for _, s := range states {
		if c.State == s {
			return
		}
	}
	t.Errorf("%s: %s, want state %q", side, c, states)
}

// TestUploadFlow connects, syncs a gallery of three targets, and
// recognises uploaded photos in the browser and on the server.
func TestUploadFlow(t *testing.T) {
	s := newSite(t)
	uploadFlow(t, s.URL(), s.api(), "on the server")
}

// uploadFlow opens the app at base in Chromium, connects, adds three
// targets with api, syncs them and recognises uploaded photos in the
// browser and on the server (named where).
func uploadFlow(t *testing.T, base string, api *crsClient, where string) {
	b := newBrowser(t, base, testLimit)
	b.open("/")
	b.connect()

	api.addPhotos("astronaut", "coffee", "chelsea")
	b.syncNow(3)

	local, server := b.recognise(editedFile(t, "coffee"))
	wantMatch(t, "in the browser", local, "coffee")
	wantMatch(t, where, server, "coffee")

	local, server = b.recognise(photoFile(t, "grass"))
	wantState(t, "in the browser", local, "nomatch")
	wantState(t, where, server, "nomatch")
}

// TestAdminFlow manages the gallery on the Gallery tab: add, add despite
// a similar target, rename, deactivate and delete, checking the list, the
// server and recognition in the browser after each change.
func TestAdminFlow(t *testing.T) {
	s := newSite(t)
	api := s.api()
	b := newBrowser(t, s.URL(), testLimit)
	dialogs := b.acceptDialogs()
	b.open("/")
	b.connect()
	b.click("tab-gallery")

	const meta = `{"url":"https://example.com/astronaut"}`
	b.addTarget(photoFile(t, "astronaut"), "astronaut", meta)
	b.waitUntil("the thumbnail of astronaut", `(() => { const img = e2e.row('astronaut')?.querySelector('img.thumb');
		return img && img.complete && img.naturalWidth > 0; })()`, 15*time.Second)
	if got := eval[string](b, `e2e.row('astronaut').querySelector('.meta').textContent`); got != meta {
		t.Errorf("astronaut's meta in the list: %q, want %q", got, meta)
	}

	// A copy of the same photo is held back until "Add anyway".
	b.upload("add-file", editedFile(t, "astronaut"))
	b.typeInto("add-name", "astronaut-2")
	b.click("add-submit")
	b.waitUntil("the similarity warning", `e2e.shown('similar-warning')`, 15*time.Second)
	if got := eval[[]string](b, `[...document.querySelectorAll('#similar-warning .similar .name')].map((n) => n.textContent)`); len(got) == 0 || !regexp.MustCompile(`^astronaut\b`).MatchString(got[0]) {
		t.Errorf("similar targets shown: %q, want astronaut", got)
	}
	if n := api.count(); n != 1 {
		t.Fatalf("the server holds %d targets while the add is held back, want 1", n)
	}
	b.click("add-anyway")
	b.waitUntil("astronaut-2 in the list", `e2e.row('astronaut-2') !== null && e2e.text('count') === '2' && !e2e.shown('similar-warning')`, 15*time.Second)

	b.addTarget(photoFile(t, "coffee"), "coffee", "")

	// Rename.
	b.rowButton("astronaut-2", "edit")
	b.waitUntil("the edit dialog", `e2e.el('edit-dialog').open && e2e.el('edit-name').value === 'astronaut-2'`, 5*time.Second)
	b.typeInto("edit-name", "astronaut-copy")
	b.click("edit-save")
	b.waitUntil("the new name in the list", `!e2e.el('edit-dialog').open && e2e.row('astronaut-copy') !== null && e2e.row('astronaut-2') === null`, 15*time.Second)

	// Deactivate: neither the server nor, once synced, the browser finds it.
	b.rowButton("coffee", "toggle")
	b.waitUntil("coffee shown inactive", `e2e.row('coffee')?.dataset.active === '0' && /inactive/.test(e2e.row('coffee').textContent)`, 15*time.Second)
	if got := api.search(testphoto.File("coffee")); got != "" {
		t.Errorf("the server found %q for an inactive target's photo, want no match", got)
	}
	b.exec(`pixmatchApp.sync()`)
	local, server := b.recognise(photoFile(t, "coffee"))
	wantState(t, "inactive, in the browser", local, "nomatch")
	wantState(t, "inactive, on the server", server, "nomatch")
	local, _ = b.recognise(photoFile(t, "astronaut"))
	if local.State != "match" {
		t.Errorf("active astronaut in the browser: %s, want a match", local)
	}

	// Delete, accepting the confirmation.
	b.click("tab-gallery")
	b.waitUntil("the list", `e2e.row('astronaut-copy') !== null`, 15*time.Second)
	b.rowButton("astronaut-copy", "delete")
	select {
	case msg := <-dialogs:
		if !regexp.MustCompile(`astronaut-copy`).MatchString(msg) {
			t.Errorf("confirmation %q does not name the target", msg)
		}
	case <-time.After(stepLimit):
		t.Fatal("deleting asked for no confirmation")
	}
	b.waitUntil("the count after the delete", `e2e.row('astronaut-copy') === null && e2e.text('count') === '2'`, 15*time.Second)
	if n := api.count(); n != 2 {
		t.Errorf("/targets/count is %d after the delete, want 2", n)
	}
}

// addTarget fills the add form of the Gallery tab and waits for the new
// target in the list.
func (b *browser) addTarget(file, name, meta string) {
	b.t.Helper()
	before := eval[string](b, `e2e.text('count')`)
	b.upload("add-file", file)
	b.typeInto("add-name", name)
	if meta != "" {
		b.typeInto("add-meta", meta)
	}
	b.click("add-submit")
	b.waitUntil(name+" in the list", fmt.Sprintf(`e2e.row(%s) !== null && e2e.text('count') !== %s`,
		jsString(name), jsString(before)), 20*time.Second)
}

// rowButton clicks a button (edit, toggle, delete) of a target's row.
func (b *browser) rowButton(name, button string) {
	b.t.Helper()
	path := fmt.Sprintf(`e2e.row(%s)?.querySelector('button.%s')`, jsString(name), button)
	b.do("click "+button+" of "+name, chromedp.WaitEnabled(chromedp.JSPath(path)), chromedp.Click(chromedp.JSPath(path)))
}

// TestOffline syncs a gallery, lets the service worker take the page,
// stops the server, reloads, and still recognises in the browser; the
// Gallery tab counts the targets the browser holds.
func TestOffline(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos("astronaut", "coffee", "chelsea")
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()
	if got := eval[string](b, `e2e.text('sync-status')`); !regexp.MustCompile(` · 3 targets · `).MatchString(got) {
		t.Fatalf("after connecting: %q, want 3 targets synced", got)
	}

	// The service worker installs, caches the shell, and controls the
	// page from the next load on.
	b.exec(`navigator.serviceWorker.ready.then(() => undefined)`)
	b.reload()
	b.waitUntil("the service worker to control the page", `navigator.serviceWorker.controller !== null`, 10*time.Second)
	if !eval[bool](b, `Promise.all(['/', '/app/app.js', '/app/dist/pixmatch.wasm', '/app/dist/wasm_exec.js'].map((u) => caches.match(u))).then((rs) => rs.every(Boolean))`) {
		t.Fatal("the service worker has not cached the app shell")
	}

	s.stop()
	b.reload()
	if !eval[bool](b, `navigator.serviceWorker.controller !== null && typeof window.pixmatchApp === 'object'`) {
		t.Fatal("with the server gone, the page did not come from the service worker")
	}
	local, server := b.recognise(editedFile(t, "chelsea"))
	wantMatch(t, "offline, in the browser", local, "chelsea")
	wantState(t, "offline, on the server", server, "offline", "error")
	b.waitUntil("the offline badge", `e2e.shown('offline')`, 10*time.Second)

	// The Gallery tab cannot list the targets without the server, but it
	// counts those this browser holds.
	b.click("tab-gallery")
	b.waitUntil("the count of the synced copy", `e2e.text('count') === '3' && /^Offline: .* holds 3 targets/.test(e2e.text('targets'))`, 10*time.Second)
}
