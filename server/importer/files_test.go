package importer_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/server/importer"
)

func TestName(t *testing.T) {
	for in, want := range map[string]string{
		"shoes/Red shoe.JPG":             "Red shoe",
		"Été/Café crème.jpeg":            "Caf- cr-me",
		"日本.png":                         "target",
		"-x-.png":                        "x",
		"a.b.jpg":                        "a.b",
		strings.Repeat("n", 80) + ".png": strings.Repeat("n", 64),
	} {
		if got := importer.Name(in); got != want {
			t.Errorf("Name(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReadMeta(t *testing.T) {
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "meta.jsonl")
	write(t, jsonl, []byte(`{"file":"a.jpg","meta":{"sku":1},"active":0,"size":"12.5"}`+"\n\n"+`{"file":"b/c.png","name":"C","meta":"text"}`+"\n"))
	got, err := importer.ReadMeta(jsonl)
	want := map[string]importer.Entry{"a.jpg": {Meta: `{"sku":1}`, Active: "0", Size: "12.5"}, "b/c.png": {Name: "C", Meta: "text"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMeta(jsonl) = %+v, %v; want %+v", got, err, want)
	}
	for name, text := range map[string]string{
		"twice.csv":    "file,meta\na.jpg,1\na.jpg,2\n",
		"column.csv":   "file,colour\na.jpg,red\n",
		"nofile.jsonl": `{"meta":"x"}`,
		"key.jsonl":    `{"file":"a.jpg","colour":"red"}`,
		"bad.jsonl":    `{"file":`,
		// Attributes the server would refuse, and two pictures that would
		// be one target.
		"int.csv":      "file,intAttr\na.jpg,seven\n",
		"str.jsonl":    `{"file":"a.jpg","strAttr3":"5$"}`,
		"cat.jsonl":    `{"file":"a.jpg","categoryId":10}`,
		"product.csv":  "file,productId\na.jpg," + strings.Repeat("p", 257) + "\n",
		"same.csv":     "file,productId,picName\na.jpg,p1,x\nb.jpg,p1,x\n",
		"samename.csv": "file,productId,name\na/logo.png,p1,\nb/logo.png,p1,\n",
		"repeat.jsonl": `{"file":"a.jpg","intAttr":1,"IntAttr":2}`,
	} {
		p := filepath.Join(dir, name)
		write(t, p, []byte(text))
		if got, err := importer.ReadMeta(p); err == nil {
			t.Errorf("ReadMeta(%s) = %+v, want an error", name, got)
		}
	}
	attrs := filepath.Join(dir, "attrs.csv")
	write(t, attrs, []byte("File,ProductId,IntAttr,intattr4,strAttr2,categoryid\na.jpg,p1,7,-2,红,88888888\nb.jpg,p1,,,,\nc.jpg,,,,,\n"))
	got, err = importer.ReadMeta(attrs)
	want = map[string]importer.Entry{
		"a.jpg": {Attrs: map[string]string{"productId": "p1", "intAttr": "7", "intAttr4": "-2", "strAttr2": "红", "categoryId": "88888888"}},
		"b.jpg": {Attrs: map[string]string{"productId": "p1"}}, "c.jpg": {},
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadMeta(attrs.csv) = %+v, %v; want %+v", got, err, want)
	}
	if _, err := importer.ReadMeta(filepath.Join(dir, "absent.csv")); !os.IsNotExist(err) {
		t.Errorf("an absent file: %v", err)
	}
}

// TestMetaNamingNoPicture: a meta file naming a file that is not a
// picture of the folder stops the import before any request, and no
// journal is written.
func TestMetaNamingNoPicture(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.jpg"), []byte("x"))
	meta := filepath.Join(t.TempDir(), "meta.csv")
	write(t, meta, []byte("file,meta\nb.jpg,typo\n"))
	o := importer.Options{Dir: dir, URL: "http://127.0.0.1:1", AppID: "a", Key: "k", Secret: "s", Meta: meta}
	if _, err := importer.Run(t.Context(), o); err == nil || !strings.Contains(err.Error(), `"b.jpg"`) {
		t.Errorf("Run: %v, want an error naming b.jpg", err)
	}
	if _, err := os.Stat(filepath.Join(dir, importer.JournalName)); !os.IsNotExist(err) {
		t.Errorf("a journal was written: %v", err)
	}
}

// TestNoAnswerIsNotJournaled: a picture sent to a server that does not
// answer is reported as failed without a code, after its retries, and
// is not journaled, so the next run sends it again.
func TestNoAnswerIsNotJournaled(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "a.jpg"), []byte("x"))
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // its port now refuses connections
	rep, err := importer.Run(t.Context(), importer.Options{Dir: dir, URL: closed.URL, AppID: "a", Key: "k", Secret: "s"})
	if err != nil || len(rep.Failed) != 1 || rep.Failed[0].Code != 0 || !strings.Contains(rep.Failed[0].Message, "no answer") {
		t.Fatalf("Run: %+v, %v; want a.jpg failed with no answer", rep, err)
	}
	if data, err := os.ReadFile(filepath.Join(dir, importer.JournalName)); err != nil || len(data) != 0 {
		t.Errorf("the journal holds %q (%v), want nothing", data, err)
	}
}
