package main

import (
	"path"
	"slices"
	"strings"
)

// A source is a Debian package the corpus takes pictures from, and which
// of its files are real photographs.
type source struct {
	// Package is the Debian package's name.
	Package string
	// Dirs are the folders of the unpacked package, or single files,
	// searched for pictures (recursively, symbolic links skipped).
	Dirs []string
	// Photos are the files, or folders ending in "/", holding real
	// photographs, as paths inside the unpacked package. Photographs may
	// become gallery targets or non-member queries. When Photos is nil,
	// a picture counts as a photograph when it has at least
	// photoColours distinct colours (tuxpaint's cut-outs: photos of
	// things have thousands, drawings a few hundred).
	Photos []string
	// Drawings are path fragments marking drawings among pictures told
	// by their colours: shaded drawings can have many colours too.
	Drawings []string
	// Others says whether the pictures in Dirs that are not photographs
	// (drawings, renders, digital art) may pad the index as distractors.
	Others bool
	// Skip names files, by base name, never used at all: other shots of
	// a photograph's scene (stereo partners, sequences, crops, edited
	// copies), which would be near matches of it.
	Skip []string
}

// photoColours is the number of distinct colours from which a picture of
// a source without a Photos list counts as a photograph.
const photoColours = 2000

// sources lists the packages of the corpus (matching-anchors §3.1). The
// photograph lists were made by looking at every picture: renders,
// drawings, charts and digital art are left out, and of several shots of
// one scene only one is kept.
var sources = []source{
	{
		Package:  "tuxpaint-stamps-default",
		Dirs:     []string{"usr/share/tuxpaint/stamps/"},
		Drawings: []string{"/cartoon/"},
		Others:   true,
		// Edited copies the thumbnail comparison cannot see, found by the
		// feature tier matching them (QUALITY.md): gnu-baby-stand is
		// gnu-baby's photograph with another head; bunny-egg holds
		// bunny-head's drawing above an egg. Another shot of a scene,
		// found the same way and confirmed by looking at both:
		// people/fireman200b is military/fireman240a's firefighter, in the
		// same suit and breathing set, a step later in the same walk.
		Skip: []string{"gnu-baby-stand.png", "bunny-egg.png", "fireman200b.png"},
	},
	{
		Package: "opencv-doc",
		Dirs:    []string{"usr/share/doc/opencv-doc/examples/data/"},
		Photos: prefixed("usr/share/doc/opencv-doc/examples/data/",
			"aero1.jpg", "aero3.jpg", "aloeL.jpg", "apple.jpg", "baboon.jpg",
			"basketball1.png", "board.jpg", "box.png", "building.jpg",
			"butterfly.jpg", "chicky_512.png", "ela_original.jpg", "fruits.jpg",
			"graf1.png", "home.jpg", "left.jpg", "leuvenA.jpg",
			"licenseplate_motion.jpg", "messi5.jpg", "orange.jpg",
			"pca_test1.jpg", "rubberwhale1.png", "smarties.png",
			"squirrel_cls.jpg", "starry_night.jpg", "stuff.jpg", "sudoku.png"),
		Others: true,
		Skip: []string{
			"aloeR.jpg", "aloeGT.png", "basketball2.png", "box_in_scene.png",
			"ela_modified.jpg", "graf3.png", "leuvenB.jpg", "right.jpg",
			"rubberwhale2.png",
		},
	},
	{
		Package: "lomiri-wallpapers-16.04",
		Dirs:    []string{"usr/share/backgrounds/"},
		Photos: prefixed("usr/share/backgrounds/",
			"Bridge_by_Sander_Klootwijk.jpg", "Dragonfly_by_Bolly.jpg",
			"Picture_0B_by_freespace.jpg", "Picture_1A_by_freespace.jpg",
			"Wine_by_Jakkub_Mede.jpg", "aitzgorri_by_Aitzol_Berasategi.jpg",
			"analogpattern_by_Peter_Nerlich.jpg", "free_by_Peter_Nerlich.jpg",
			"friends_by_Aitzol_Berasategi.jpg", "life_by_Aitzol_Berasategi.jpg",
			"picosdeeuropa_by_Aitzol_Berasategi.jpg",
			"seeding_by_Clements_Engelhardt.jpg",
			"sunset_by_Aitzol_Berasategi.jpg"),
		Others: true,
	},
	{
		Package: "lomiri-wallpapers-20.04",
		Dirs:    []string{"usr/share/backgrounds/"},
		Photos: prefixed("usr/share/backgrounds/",
			"Infinite-Sea_by_Aury88.jpg", "Kleiber_by_Lukas_Baubkus.jpg"),
		Others: true,
	},
	{
		Package: "mate-backgrounds",
		Dirs:    []string{"usr/share/backgrounds/mate/"},
		Photos:  []string{"usr/share/backgrounds/mate/nature/"},
		Others:  true,
	},
	{
		Package: "plasma-workspace-wallpapers",
		Dirs:    []string{"usr/share/wallpapers/"},
		Photos: prefixed("usr/share/wallpapers/",
			"BytheWater/", "ColdRipple/", "ColorfulCups/", "DarkestHour/",
			"EveningGlow/", "FallenLeaf/", "Kite/", "OneStandsOut/", "Path/",
			"summer_1am/"),
		Others: true,
	},
	{
		// On inspection all twelve are digital art: distractors only.
		Package: "ukui-wallpapers",
		Dirs:    []string{"usr/share/backgrounds/"},
		Photos:  []string{},
		Others:  true,
	},
	{
		Package: "python3-skimage",
		Dirs:    []string{"usr/lib/python3/dist-packages/skimage/data/"},
		Photos: prefixed("usr/lib/python3/dist-packages/skimage/data/",
			"astronaut.png", "brick.png", "camera.png", "cell.png", "chelsea.png",
			"clock_motion.png", "coffee.png", "coins.png", "grass.png",
			"gravel.png", "hubble_deep_field.jpg", "ihc.png", "moon.png",
			"motorcycle_left.png", "page.png", "retina.jpg", "rocket.jpg"),
		Others: true,
		Skip:   []string{"motorcycle_right.png"},
	},
	{
		Package: "python3-sklearn",
		Dirs:    []string{"usr/lib/python3/dist-packages/sklearn/datasets/images/"},
		Photos:  []string{"usr/lib/python3/dist-packages/sklearn/datasets/images/"},
	},
	{
		// Only the photographs: the rest are test charts and re-encodings.
		Package: "libjxl-testdata",
		Dirs: prefixed("usr/share/libjxl-testdata/",
			"jxl/flower/flower.png", "jxl/hdr_room.png",
			"external/wesaturate/500px/cvo9xd_keong_macan_srgb8.png",
			"external/wesaturate/500px/tmshre_riaphotographs_srgb8.png",
			"external/wesaturate/500px/u76c0g_bliznaca_srgb8.png"),
		Photos: []string{"usr/share/libjxl-testdata/"},
	},
}

// prefixed returns names with dir put before each.
func prefixed(dir string, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = dir + n
	}
	return out
}

// isPhoto reports whether the file at rel, a path inside the unpacked
// package, is listed as a photograph. It is only meaningful for sources
// with a Photos list.
func (s source) isPhoto(rel string) bool {
	return slices.ContainsFunc(s.Photos, func(p string) bool {
		return rel == p || strings.HasSuffix(p, "/") && strings.HasPrefix(rel, p)
	})
}

// skips reports whether the file at rel is never used.
func (s source) skips(rel string) bool { return slices.Contains(s.Skip, path.Base(rel)) }

// byColour reports whether the source tells photographs by their colours.
func (s source) byColour() bool { return s.Photos == nil }

// drawn reports whether the file at rel is marked as a drawing.
func (s source) drawn(rel string) bool {
	return slices.ContainsFunc(s.Drawings, func(d string) bool { return strings.Contains("/"+rel, d) })
}

// packages returns the names of the sources' packages.
func packages() []string {
	names := make([]string, len(sources))
	for i, s := range sources {
		names[i] = s.Package
	}
	return names
}
