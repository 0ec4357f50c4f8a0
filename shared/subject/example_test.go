package subject_test

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"

	"github.com/pixmatch/pixmatch/shared/luma"
	"github.com/pixmatch/pixmatch/shared/subject"
)

// A dark product photographed on white: Detect finds it on a small grey
// plane, and Scale maps the box back onto the 800×600 picture, printed
// here as Alibaba's x1,x2,y1,y2. The product spans 420–700 by 150–480;
// the region adds a margin of about 2%.
func Example() {
	img := image.NewRGBA(image.Rect(0, 0, 800, 600))
	draw.Draw(img, img.Rect, image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, image.Rect(420, 150, 700, 480), image.NewUniform(color.RGBA{90, 40, 30, 255}), image.Point{}, draw.Src)

	plane := luma.FromImage(img, 256)
	box := subject.Detect(plane)
	region := subject.Scale(box, plane.Rect.Size(), img.Bounds().Size())
	fmt.Printf("Region %d,%d,%d,%d\n", region.Min.X, region.Max.X, region.Min.Y, region.Max.Y)
	// Output: Region 412,704,140,492
}
