// Package testphoto serves a small set of real photographs with clear
// licences to the tests of pixmatch's image packages. See LICENSES.md for
// where each one comes from.
package testphoto

import (
	"bytes"
	"embed"
	"image"
	"image/jpeg"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"

	xdraw "golang.org/x/image/draw"
)

//go:embed photos/*.jpg
var photos embed.FS

// Names lists the photographs, sorted, without extension.
func Names() []string {
	entries, _ := fs.ReadDir(photos, "photos")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".jpg"))
	}
	sort.Strings(names)
	return names
}

// File returns the JPEG file of the named photograph.
func File(name string) []byte {
	b, err := photos.ReadFile(path.Join("photos", name+".jpg"))
	if err != nil {
		panic("testphoto: no photo " + name)
	}
	return b
}

var (
	mu      sync.Mutex
	decoded = map[string]image.Image{}
)

// Image returns the named photograph decoded. Calls share one decoded
// copy: callers must not modify it.
func Image(name string) image.Image {
	mu.Lock()
	defer mu.Unlock()
	if img, ok := decoded[name]; ok {
		return img
	}
	img, err := jpeg.Decode(bytes.NewReader(File(name)))
	if err != nil {
		panic("testphoto: " + name + ": " + err.Error())
	}
	decoded[name] = img
	return img
}

// Decoded returns the named photograph scaled to w×h (Catmull-Rom) and
// decoded again from a JPEG of quality 90: a picture of that size as the
// server receives one (*image.YCbCr).
func Decoded(name string, w, h int) image.Image {
	big := image.NewRGBA(image.Rect(0, 0, w, h))
	src := Image(name)
	xdraw.CatmullRom.Scale(big, big.Rect, src, src.Bounds(), xdraw.Src, nil)
	var b bytes.Buffer
	if err := jpeg.Encode(&b, big, &jpeg.Options{Quality: 90}); err != nil {
		panic("testphoto: " + err.Error())
	}
	img, err := jpeg.Decode(&b)
	if err != nil {
		panic("testphoto: " + err.Error())
	}
	return img
}
