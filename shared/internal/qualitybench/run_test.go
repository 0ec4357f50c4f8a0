package main

import (
	"bytes"
	"context"
	"image"
	"reflect"
	"slices"
	"testing"

	"github.com/pixmatch/pixmatch/shared/distort"
	"github.com/pixmatch/pixmatch/shared/testphoto"
)

// smallCorpus returns a corpus of the test photos at a third of their
// size: four targets, three non-members and two fillers.
func smallCorpus(t *testing.T) *Corpus {
	t.Helper()
	var pics []*picture
	for _, n := range []string{"astronaut", "chelsea", "coffee", "rocket", "camera", "china", "flower", "brick", "gravel"} {
		pics = append(pics, pictureOf(n, true, distort.Scale(1.0/3)(testphoto.Image(n))))
	}
	return &Corpus{Targets: pics[:4], NonMembers: pics[4:7], Fillers: pics[7:]}
}

// rowOf returns the outcomes of the named edit.
func rowOf(t *testing.T, r *Results, rows [][]Outcome, edit string) []Outcome {
	t.Helper()
	i := slices.Index(r.Edits, edit)
	if i < 0 {
		t.Fatalf("no edit %s in %q", edit, r.Edits)
	}
	return rows[i]
}

func TestMeasure(t *testing.T) {
	c := smallCorpus(t)
	r, err := Measure(context.Background(), c, 60, 2, nolog)
	if err != nil {
		t.Fatal(err)
	}
	g := r.Gallery
	if g.Entries != 60 || g.Targets != 4 || g.Distractors != 56 || g.Whole != 2 || g.Mirrored != 2 || g.Crops != 52 {
		t.Errorf("gallery %+v, want 60 entries: 4 targets, 2 whole fillers, 2 mirrored, 52 crops", g)
	}
	want := []string{original}
	for _, e := range distort.Catalogue() {
		want = append(want, e.Name)
	}
	if !slices.Equal(r.Edits, want) {
		t.Errorf("edits %q, want %q", r.Edits, want)
	}
	for i, o := range rowOf(t, r, r.Members, original) {
		if !o.Top || !o.Found || o.Wrong || o.Distance != 0 || !o.BaseTop || !o.BaseFound || o.BaseDistance != 0 {
			t.Errorf("target %s searched for itself: %+v", c.Targets[i].ID, o)
		}
	}
	baseFound := 0
	for i, o := range rowOf(t, r, r.Members, "mirror") {
		if !o.Top || !o.Found {
			t.Errorf("mirrored %s not found by pixmatch: %+v", c.Targets[i].ID, o)
		}
		if o.BaseFound {
			baseFound++
		}
	}
	if baseFound > 1 {
		t.Errorf("the baseline found %d of 4 mirrored photos; its single upright pHash should miss them", baseFound)
	}
	for i, o := range rowOf(t, r, r.NonMembers, original) {
		if o.Top || o.BaseTop || o.Distance != -1 || o.BaseDistance != -1 {
			t.Errorf("non-member %s has a target: %+v", c.NonMembers[i].ID, o)
		}
		if o.Wrong {
			t.Errorf("non-member %s matched %s at %d", c.NonMembers[i].ID, o.Match, o.MatchDistance)
		}
	}
	if r.Timing.Images != 4 || r.Timing.TargetMs <= 0 || r.Timing.QueryMs <= 0 || r.Timing.BaselineMs <= 0 || r.Timing.Searches != 4 {
		t.Errorf("timing %+v", r.Timing)
	}
	again, err := Measure(context.Background(), c, 60, 1, nolog)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Members, r.Members) || !reflect.DeepEqual(again.NonMembers, r.NonMembers) || !reflect.DeepEqual(again.Gallery, r.Gallery) {
		t.Error("a second run, on one worker, measured differently")
	}
}

func TestDistractors(t *testing.T) {
	f := pictureOf("coffee", true, testphoto.Image("coffee"))
	w, h := f.Image.Rect.Dx(), f.Image.Rect.Dy()
	if distractor(f, 0) != image.Image(f.Image) {
		t.Error("round 0 is not the picture itself")
	}
	if !bytes.Equal(cloneOf(distractor(f, 1)), cloneOf(distort.Mirror(f.Image))) {
		t.Error("round 1 is not the mirror image")
	}
	places := map[image.Rectangle]bool{}
	for round := 2; round < 40; round++ {
		a, b := distractor(f, round), distractor(f, round)
		if !bytes.Equal(cloneOf(a), cloneOf(b)) {
			t.Fatalf("round %d: two calls differ", round)
		}
		r := a.Bounds()
		if r.Dx() < w*40/100 || r.Dx() > w*85/100+1 || r.Dy() < h*32/100 || r.Dy() > h {
			t.Errorf("round %d: a %v crop of a %d×%d picture", round, r.Size(), w, h)
		}
		places[r] = true
	}
	if len(places) < 30 {
		t.Errorf("38 rounds give only %d different crops", len(places))
	}
}

// cloneOf returns the pixels of img as NRGBA bytes.
func cloneOf(img image.Image) []byte {
	p, _, _ := flatten(img)
	return p.Pix
}

func TestSceneForIsNeverThePicture(t *testing.T) {
	c := smallCorpus(t)
	for _, p := range c.NonMembers {
		seen := map[*picture]bool{}
		for seed := uint64(0); seed < 30; seed++ {
			s := sceneFor(p, c.NonMembers, seed)
			if s == p {
				t.Fatalf("seed %d: %s is pasted into itself", seed, p.ID)
			}
			seen[s] = true
		}
		if len(seen) != len(c.NonMembers)-1 {
			t.Errorf("%s is pasted into %d scenes, want all %d others", p.ID, len(seen), len(c.NonMembers)-1)
		}
	}
}
