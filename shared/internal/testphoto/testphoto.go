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

// Image returns the named photograph decoded.
func Image(name string) image.Image {
	img, err := jpeg.Decode(bytes.NewReader(File(name)))
	if err != nil {
		panic("testphoto: " + name + ": " + err.Error())
	}
	return img
}
