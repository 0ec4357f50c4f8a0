package e2e

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// bulkLine is a line of the Gallery tab's "Add many" list.
type bulkLine struct {
	File   string `json:"file"`
	State  string `json:"state"`
	Status string `json:"status"`
}

// bulkLines reads the "Add many" list, by file name.
func (b *browser) bulkLines() map[string]bulkLine {
	lines := eval[[]bulkLine](b, `[...document.querySelectorAll('#bulk-list .bulk-item')].map((li) =>
		({file: li.dataset.file, state: li.dataset.state, status: li.querySelector('.bulk-status').textContent}))`)
	out := make(map[string]bulkLine, len(lines))
	for _, l := range lines {
		out[l.File] = l
	}
	return out
}

// TestBulkAdd chooses five files at once in the Gallery tab — three
// photos, a copy of a photo already in the gallery and a file that is no
// picture — and checks the per-file list (added, refused as similar,
// refused as no picture), the gathered similarity warning, the summary,
// and that the server holds the three new targets under their file names
// and nothing else. Then it drops the copy on the drop zone and adds it
// with "Add these anyway".
func TestBulkAdd(t *testing.T) {
	s := newSite(t)
	api := s.api()
	api.addPhotos("astronaut")
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()
	b.click("tab-gallery")

	files := []string{photoFile(t, "coffee"), photoFile(t, "rocket"), photoFile(t, "chelsea"),
		writeFile(t, "astronaut-copy.jpg", encodeJPEG(t, edited("astronaut"), 90)), writeFile(t, "notes.txt", []byte("a shopping list, not a picture"))}
	b.do("choose five files in #bulk-files", chromedp.SetUploadFiles(chromedp.ID("bulk-files"), files))
	b.waitUntil("the summary", `e2e.el('bulk-summary').dataset.added !== undefined`, 60*time.Second)

	lines := b.bulkLines()
	for _, name := range []string{"coffee.jpg", "rocket.jpg", "chelsea.jpg"} {
		if l := lines[name]; l.State != "added" || l.Status != "added" {
			t.Errorf("%s: %+v, want added", name, l)
		}
	}
	if l := lines["astronaut-copy.jpg"]; l.State != "refused" || !strings.Contains(l.Status, "similar") || !strings.Contains(l.Status, "419") {
		t.Errorf("astronaut-copy.jpg: %+v, want refused as similar (419)", l)
	}
	if l := lines["notes.txt"]; l.State != "refused" || !strings.Contains(l.Status, "not a picture") {
		t.Errorf("notes.txt: %+v, want refused as no picture", l)
	}
	if len(lines) != 5 {
		t.Errorf("%d lines in the list, want 5: %+v", len(lines), lines)
	}
	if got := eval[string](b, `e2e.text('bulk-summary')`); got != "3 added, 2 refused." {
		t.Errorf("summary %q, want \"3 added, 2 refused.\"", got)
	}
	b.waitUntil("the similarity warning naming astronaut", `e2e.shown('bulk-warning') &&
		/astronaut-copy/.test(e2e.text('bulk-warning')) && /looks like astronaut/.test(e2e.text('bulk-warning'))`, 15*time.Second)

	if n := api.count(); n != 4 {
		t.Errorf("the server holds %d targets, want astronaut and the 3 added", n)
	}
	for _, name := range []string{"coffee", "rocket", "chelsea"} {
		if got := api.search(testphoto.File(name)); got != name {
			t.Errorf("the server finds %q for %s's photo, want %q", got, name, name)
		}
	}
	b.waitUntil("the list of 4 targets", `e2e.text('count') === '4' && e2e.row('rocket') !== null`, 15*time.Second)

	// A drop takes files too; the copy refused as similar goes in with "Add these anyway".
	copyJPEG := base64.StdEncoding.EncodeToString(encodeJPEG(t, edited("astronaut"), 90))
	b.exec(fmt.Sprintf(`(() => {
		const bytes = Uint8Array.from(atob(%s), (c) => c.charCodeAt(0));
		const dt = new DataTransfer();
		dt.items.add(new File([bytes], 'astronaut-copy.jpg', {type: 'image/jpeg'}));
		e2e.el('bulk-drop').dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
	})()`, jsString(copyJPEG)))
	// The warning is complete, its layout settled, once /similar has
	// answered what the copy looks like: the line it fills in moves the
	// button, and a click aimed before that lands beside it.
	b.waitUntil("the dropped copy refused", `e2e.text('bulk-summary') === '0 added, 1 refused.' && e2e.shown('bulk-warning') &&
		/looks like astronaut/.test(e2e.text('bulk-warning'))`, 30*time.Second)
	b.click("bulk-anyway")
	b.waitUntil("the copy added anyway", `e2e.text('bulk-summary') === '1 added, 0 refused.' && !e2e.shown('bulk-warning') &&
		document.querySelector('#bulk-list .bulk-item').dataset.state === 'added'`, 30*time.Second)
	if n := api.count(); n != 5 {
		t.Errorf("the server holds %d targets after adding the copy anyway, want 5", n)
	}
}
