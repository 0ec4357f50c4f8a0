package importer

import (
	"io/fs"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// MaxNameLen is the longest CRS target name, in characters.
const MaxNameLen = 64

// Picture is a file to import.
type Picture struct {
	Path string // the file's path, to read it
	Rel  string // its path under the folder, slash-separated: how the journal and the meta file name it
}

// pictureExt are the file extensions taken as pictures, lower case.
var pictureExt = map[string]bool{".jpg": true, ".jpeg": true, ".png": true}

// List returns the pictures under dir, recursively, sorted by Rel: the
// files ending in .jpg, .jpeg or .png in any case, leaving out every file
// and folder whose name starts with ".". Symbolic links to folders are not
// followed.
func List(dir string) ([]Picture, error) {
	var pics []Picture
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != dir && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || !pictureExt[strings.ToLower(filepath.Ext(p))] {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		pics = append(pics, Picture{Path: p, Rel: filepath.ToSlash(rel)})
		return nil
	})
	sort.Slice(pics, func(i, j int) bool { return pics[i].Rel < pics[j].Rel })
	return pics, err
}

// Name makes a target name of a file's path by the web app's rule
// (nameFromFile in web/static/media.js): the file name without its
// extension, every run of characters outside printable ASCII (space to ~)
// replaced by one "-", then "-" trimmed from both ends, then spaces, cut
// to MaxNameLen characters; "target" when nothing is left.
// "Été/Café crème.JPG" is named "Caf- cr-me".
func Name(rel string) string {
	base := path.Base(filepath.ToSlash(rel))
	base = strings.TrimSuffix(base, path.Ext(base))
	var b strings.Builder
	dash := false
	for _, r := range base {
		if r >= 0x20 && r <= 0x7e {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	name := strings.TrimSpace(strings.Trim(b.String(), "-"))
	if len(name) > MaxNameLen {
		name = name[:MaxNameLen]
	}
	if name == "" {
		return "target"
	}
	return name
}
