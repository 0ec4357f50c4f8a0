package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// The cache folder's layout.
const (
	debsDir     = "debs"        // the downloaded .deb files
	treeDir     = "tree"        // one unpacked tree per package
	preparedDir = "prepared"    // the prepared pictures and their manifest
	licenceFile = "LICENSES.md" // the licences of everything in the cache
)

// Corpus is the pictures of a benchmark run, split by use.
type Corpus struct {
	// Targets are the photographs in the gallery, which queries are made
	// from.
	Targets []*picture
	// NonMembers are photographs not in the gallery: queries made from
	// them must not match.
	NonMembers []*picture
	// Fillers are the pictures distractors are made from: photographs
	// left over after the split, and the packages' other pictures.
	Fillers []*picture
	// Packages counts, per package, what became of its files.
	Packages []PackageCount
	// Duplicates lists the pictures dropped as copies of a kept one.
	Duplicates []Duplicate
	// Related lists the other pictures dropped for looking too much like
	// a photograph: as distractors they would be near matches of it.
	Related []string
}

// PackageCount is what became of the picture files of one package.
type PackageCount struct {
	Package     string `json:"package"`
	Version     string `json:"version"`
	Files       int    `json:"files"`         // picture files found
	Undecodable int    `json:"undecodable"`   // not decoded by Go
	Tiny        int    `json:"tiny"`          // too small
	Flat        int    `json:"flat"`          // nearly one colour
	Skipped     int    `json:"skipped"`       // other shots of a photo's scene, or unused
	Duplicates  int    `json:"duplicates"`    // copies of a kept picture
	Related     int    `json:"related"`       // non-photos too like a photo to pad with
	Photos      int    `json:"photos"`        // distinct photographs kept
	Others      int    `json:"others"`        // distinct other pictures kept
	Targets     int    `json:"targets"`       // photographs in the gallery
	NonMembers  int    `json:"non_members"`   // photographs kept out of it
	Fillers     int    `json:"filler_photos"` // photographs left to make distractors of
}

// Duplicate is a picture dropped as a copy of another.
type Duplicate struct {
	Dropped string  `json:"dropped"`
	Kept    string  `json:"kept"`
	Match   float64 `json:"match"` // correlation of their thumbnails
}

// BuildCorpus downloads and unpacks the packages into cache when they are
// not there yet, writes the licences, prepares the pictures (cached as
// well), de-duplicates them and splits them.
func BuildCorpus(ctx context.Context, cache string, workers int, logf func(string, ...any)) (*Corpus, error) {
	debs, err := download(ctx, filepath.Join(cache, debsDir), packages(), logf)
	if err != nil {
		return nil, err
	}
	for _, s := range sources {
		if err := unpack(ctx, debs[s.Package], filepath.Join(cache, treeDir, s.Package), logf); err != nil {
			return nil, err
		}
	}
	if err := writeLicences(filepath.Join(cache, licenceFile), filepath.Join(cache, treeDir), sources, debs); err != nil {
		return nil, err
	}
	entries, err := prepare(ctx, cache, debs, workers, logf)
	if err != nil {
		return nil, err
	}
	pics, err := load(ctx, filepath.Join(cache, preparedDir), entries, workers)
	if err != nil {
		return nil, err
	}
	kept, dups, related, err := dedup(ctx, pics, workers)
	if err != nil {
		return nil, err
	}
	c := split(kept)
	c.Duplicates, c.Related = dups, related
	c.Packages = count(entries, c, debs)
	return c, nil
}

// download makes sure dir holds a .deb of every package, fetching the
// missing ones with apt-get download, and returns each package's file.
func download(ctx context.Context, dir string, pkgs []string, logf func(string, ...any)) (map[string]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	have, err := debFiles(dir)
	if err != nil {
		return nil, err
	}
	var missing []string
	for _, p := range pkgs {
		if have[p] == "" {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		apt, err := exec.LookPath("apt-get")
		if err != nil {
			return nil, fmt.Errorf("corpus: apt-get is not installed: the benchmark downloads Debian packages (%s) with `apt-get download`; run it on Debian or Ubuntu, or put the .deb files in %s",
				strings.Join(missing, " "), dir)
		}
		logf("downloading %s", strings.Join(missing, " "))
		cmd := exec.CommandContext(ctx, apt, append([]string{"download", "-q"}, missing...)...)
		cmd.Dir = dir
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("corpus: apt-get download %s: %w\n%s(if the packages are unknown, run apt-get update first)",
				strings.Join(missing, " "), err, lastLines(stderr.String(), 5))
		}
		if have, err = debFiles(dir); err != nil {
			return nil, err
		}
	}
	out := make(map[string]string, len(pkgs))
	for _, p := range pkgs {
		if have[p] == "" {
			return nil, fmt.Errorf("corpus: apt-get download left no .deb of %s in %s", p, dir)
		}
		out[p] = have[p]
	}
	return out, nil
}

// debFiles returns the .deb files in dir by package name; of several
// versions of a package, the last in name order.
func debFiles(dir string) (map[string]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.deb"))
	if err != nil {
		return nil, fmt.Errorf("corpus: %w", err)
	}
	sort.Strings(names)
	out := map[string]string{}
	for _, n := range names {
		pkg, _, _ := strings.Cut(filepath.Base(n), "_")
		out[pkg] = n
	}
	return out, nil
}

// debVersion returns the version in a .deb file's name,
// <package>_<version>_<arch>.deb, with an epoch's escaped colon restored.
func debVersion(deb string) string {
	parts := strings.Split(strings.TrimSuffix(filepath.Base(deb), ".deb"), "_")
	if len(parts) < 2 {
		return ""
	}
	v, err := url.PathUnescape(parts[1])
	if err != nil {
		return parts[1]
	}
	return v
}

// unpack extracts deb into dir with dpkg -x unless dir exists. It unpacks
// beside dir first, so an interrupted run leaves no half tree behind.
func unpack(ctx context.Context, deb, dir string, logf func(string, ...any)) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		return fmt.Errorf("corpus: dpkg is not installed: the benchmark unpacks %s with `dpkg -x`; run it on Debian or Ubuntu", filepath.Base(deb))
	}
	logf("unpacking %s", filepath.Base(deb))
	tmp := dir + ".partial"
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	if err := os.RemoveAll(tmp); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	out, err := exec.CommandContext(ctx, dpkg, "-x", deb, tmp).CombinedOutput()
	if err != nil {
		return fmt.Errorf("corpus: dpkg -x %s: %w\n%s", filepath.Base(deb), err, lastLines(string(out), 5))
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("corpus: %w", err)
	}
	return nil
}

// writeLicences writes the licence file: for every source's package, its
// version and its Debian copyright file, which states the licence of each
// file.
func writeLicences(file, trees string, srcs []source, debs map[string]string) error {
	var b strings.Builder
	b.WriteString("# Licences of the quality-benchmark corpus\n\n")
	b.WriteString("Every picture of the corpus comes from one of these Debian packages,\n")
	b.WriteString("downloaded with `apt-get download` and unpacked with `dpkg -x`. The\n")
	b.WriteString("package's `copyright` file, quoted below, gives the author and licence\n")
	b.WriteString("of each of its files. Nothing here is redistributed by pixmatch.\n")
	for _, s := range srcs {
		copyright := filepath.Join(trees, s.Package, "usr/share/doc", s.Package, "copyright")
		text, err := os.ReadFile(copyright)
		if errors.Is(err, os.ErrNotExist) {
			text = []byte("(the package ships no copyright file)\n")
		} else if err != nil {
			return fmt.Errorf("corpus: licences: %w", err)
		}
		fmt.Fprintf(&b, "\n## %s %s\n\n", s.Package, debVersion(debs[s.Package]))
		fmt.Fprintf(&b, "Pictures used from: %s\n\n", strings.Join(s.Dirs, ", "))
		fence := "````" // longer than any fence inside a copyright file
		fmt.Fprintf(&b, "%s\n%s%s\n", fence, strings.TrimRight(string(text), "\n")+"\n", fence)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("corpus: licences: %w", err)
	}
	return nil
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// count tallies, per package, what became of its files.
func count(entries []entry, c *Corpus, debs map[string]string) []PackageCount {
	byPkg := map[string]*PackageCount{}
	var out []PackageCount
	for _, s := range sources {
		out = append(out, PackageCount{Package: s.Package, Version: debVersion(debs[s.Package])})
	}
	for i := range out {
		byPkg[out[i].Package] = &out[i]
	}
	for _, e := range entries {
		pc := byPkg[e.Package]
		pc.Files++
		switch e.Verdict {
		case verdictUndecodable:
			pc.Undecodable++
		case verdictTiny:
			pc.Tiny++
		case verdictFlat:
			pc.Flat++
		case verdictSkipped:
			pc.Skipped++
		}
	}
	for _, d := range c.Duplicates {
		byPkg[packageOf(d.Dropped)].Duplicates++
	}
	for _, id := range c.Related {
		byPkg[packageOf(id)].Related++
	}
	tally := func(pics []*picture, f func(*PackageCount)) {
		for _, p := range pics {
			f(byPkg[p.Package])
		}
	}
	tally(c.Targets, func(pc *PackageCount) { pc.Targets++; pc.Photos++ })
	tally(c.NonMembers, func(pc *PackageCount) { pc.NonMembers++; pc.Photos++ })
	for _, p := range c.Fillers {
		if p.Photo {
			byPkg[p.Package].Fillers++
			byPkg[p.Package].Photos++
		} else {
			byPkg[p.Package].Others++
		}
	}
	return out
}

// packageOf returns the package of a picture ID.
func packageOf(id string) string {
	pkg, _, _ := strings.Cut(id, ":")
	return pkg
}
