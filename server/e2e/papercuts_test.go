package e2e

import (
	"image"
	"image/color"
	"image/draw"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// warning is what the add form's similarity warning shows.
type warning struct {
	Text    string   `json:"text"`
	Targets []string `json:"targets"`
	Anyway  bool     `json:"anyway"`
}

// heldBack submits the add form and waits for its warning.
func (b *browser) heldBack(file, name string) warning {
	b.t.Helper()
	b.upload("add-file", file)
	b.typeInto("add-name", name)
	b.click("add-submit")
	b.waitUntil("the warning for "+name, `e2e.shown('similar-warning')`, 15*time.Second)
	return eval[warning](b, `({
		text: document.querySelector('#similar-warning .warning-text').textContent,
		targets: [...document.querySelectorAll('#similar-warning .similar .name')].map((n) => n.textContent),
		anyway: e2e.shown('add-anyway'),
	})`)
}

// TestAddDuplicate adds a picture the gallery holds already. The server
// refuses (403) only the same image file under the same name: the form
// offers "Add anyway" for anything else, and for that asks for another
// name instead; when the server refuses all the same (someone added the
// target meanwhile), it says what exists.
func TestAddDuplicate(t *testing.T) {
	s := newSite(t)
	api := s.api()
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()
	b.click("tab-gallery")
	b.addTarget(photoFile(t, "astronaut"), "astronaut", "")

	// The same file under the same name: /similar lists it with score 1.
	w := b.heldBack(photoFile(t, "astronaut"), "astronaut")
	if w.Anyway {
		t.Errorf("the same file under the same name: %+v, offers Add anyway, which the server refuses", w)
	}
	if !strings.Contains(w.Text, "“astronaut” is already in the gallery") || !strings.Contains(w.Text, "another name") {
		t.Errorf("the same file under the same name: %q, want it to say the target exists and to ask for another name", w.Text)
	}
	if len(w.Targets) == 0 || !regexp.MustCompile(`^astronaut · 1\.000$`).MatchString(w.Targets[0]) {
		t.Errorf("targets shown: %q, want astronaut with score 1", w.Targets)
	}

	// Another name: the server adds it with allowSimilar, so the form
	// offers to.
	b.typeInto("add-name", "astronaut-again")
	b.click("add-submit")
	b.waitUntil("the warning for another name", `e2e.shown('similar-warning') && e2e.shown('add-anyway')`, 15*time.Second)
	b.click("add-anyway")
	b.waitUntil("astronaut-again in the list", `e2e.row('astronaut-again') !== null`, 20*time.Second)
	if n := api.count(); n != 2 {
		t.Errorf("after Add anyway under another name the server holds %d targets, want 2", n)
	}

	// A similar picture held back; meanwhile the same file is added under
	// the same name elsewhere, so "Add anyway" is refused with 403.
	edited := editedFile(t, "astronaut")
	if w := b.heldBack(edited, "astronaut-2"); !w.Anyway {
		t.Fatalf("a similar picture: %+v, want Add anyway", w)
	}
	jpg, err := os.ReadFile(edited)
	if err != nil {
		t.Fatal(err)
	}
	api.addTarget("astronaut-2", jpg, "")
	b.click("add-anyway")
	b.waitUntil("what exists", `!e2e.shown('add-anyway') && e2e.shown('similar-warning') &&
		/^“astronaut-2” is already in the gallery with this picture/.test(document.querySelector('#similar-warning .warning-text').textContent) &&
		[...document.querySelectorAll('#similar-warning .similar .name')].some((n) => /^astronaut-2 · /.test(n.textContent))`, 15*time.Second)
	if n := api.count(); n != 3 {
		t.Errorf("the server holds %d targets, want 3 (astronaut, astronaut-again, astronaut-2)", n)
	}
}

// uniform returns a picture of one colour: nothing in it to recognise.
func uniform(w, h int) image.Image {
	img := image.NewGray(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Rect, image.NewUniform(color.Gray{Y: 140}), image.Point{}, draw.Src)
	return img
}

// TestBlankAndDamaged recognises and adds a blank picture and files that
// do not decode. A blank picture is called blank, on both cards and in
// the add form; a damaged file is called damaged; and the server's card
// says when the server was not asked, never that "this browser cannot
// read" the file.
func TestBlankAndDamaged(t *testing.T) {
	s := newSite(t)
	s.api().addPhotos("astronaut")
	b := newBrowser(t, s.URL(), testLimit)
	b.open("/")
	b.connect()

	blank := writeFile(t, "blank.jpg", encodeJPEG(t, uniform(640, 480), 90))
	local, server := b.recognise(blank)
	for side, c := range map[string]card{"in the browser": local, "on the server": server} {
		if c.State != "nomatch" || !strings.Contains(c.Status, "blank") || regexp.MustCompile(`(?i)damaged|not a picture|corrupt|read`).MatchString(c.Status) {
			t.Errorf("a blank picture, %s: %s, want no match because it is blank", side, c)
		}
	}

	photo := testphoto.File("astronaut")
	damaged := writeFile(t, "damaged.jpg", append(append([]byte{}, photo[:3]...), make([]byte, 4096)...)) // a JPEG's signature, then zeros
	local, server = b.recognise(damaged)
	if local.State != "error" || !strings.Contains(local.Status, "damaged") {
		t.Errorf("a damaged JPEG, in the browser: %s, want an error saying it is damaged", local)
	}
	if server.State != "error" || !strings.Contains(server.Status, "damaged") || !strings.Contains(server.Status, "427") {
		t.Errorf("a damaged JPEG, on the server: %s, want the refusal (427) saying it is damaged", server)
	}

	text := writeFile(t, "notes.jpg", []byte("these are notes, not a picture\n"))
	_, server = b.recognise(text)
	if server.State != "error" || !strings.HasPrefix(server.Status, "Not sent to the server") || strings.Contains(strings.ToLower(server.Status), "cannot read") {
		t.Errorf("a file that is not a picture, on the server: %s, want it said it was not sent", server)
	}

	// Adding the blank picture: its grade line and the refusal say blank.
	b.click("tab-gallery")
	b.upload("add-file", blank)
	b.waitUntil("the grade line", `e2e.el('add-grade').dataset.state !== 'busy' && e2e.text('add-grade') !== ''`, 15*time.Second)
	if got := eval[string](b, `e2e.text('add-grade')`); !strings.Contains(got, "blank") {
		t.Errorf("the grade line of a blank picture: %q, want it called blank", got)
	}
	b.typeInto("add-name", "blank")
	b.click("add-submit")
	b.waitUntil("the refusal", `e2e.shown('message') && e2e.el('message').dataset.kind === 'error'`, 15*time.Second)
	if got := eval[string](b, `e2e.text('message')`); !strings.Contains(got, "blank") || strings.Contains(got, "JPEG") {
		t.Errorf("adding a blank picture: %q, want it called blank", got)
	}
	if n := s.api().count(); n != 1 {
		t.Errorf("the server holds %d targets after the blank add, want 1", n)
	}
}
