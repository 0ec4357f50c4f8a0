package imagefile

import (
	"bytes"
	"image/color"
)

// The memory a decode takes is known before it starts: the decoders of
// the standard library and x/image allocate what the header declares
// (width, height, pixel layout) before reading a single pixel, so an
// 87-byte file that declares 8192×8192 pixels of 16-bit colour costs half
// a gigabyte to decode however little data follows. decodeCost computes
// that allocation from the header, per decoder, as an upper bound:
//
//   - JPEG: the planes of every component at its sampling, padded to whole
//     MCUs; a progressive file also keeps every coefficient of every block
//     (a [64]int32, 4 bytes a sample); a four-component (CMYK) or RGB file
//     is converted into a further 4 bytes a pixel.
//   - PNG: the pixel type of its colour type and bit depth (1 byte a pixel
//     for grey or palette up to 8-bit RGBA 4, 16-bit RGBA 8), twice over
//     when interlaced (each pass is decoded into an image of its own).
//   - GIF, BMP, PPM: one image of the pixel type of the header.
//   - TIFF: the image, plus a strip or tile read whole (and, compressed,
//     grown by doubling) before it is unpacked: three times the image.
//   - WEBP: 8 bytes a pixel, what the lossless decoder holds (its packed
//     pixels and the image it builds from them); a lossy one takes less.
//
// Each adds a fixed allowance for the decoder's own tables and buffers.
const decoderOverhead = 512 << 10

// decodeCost returns the bytes a decode of data, whose header gave cfg,
// may hold at once.
func decodeCost(f Format, model color.Model, width, height int, data []byte) int64 {
	px := int64(width) * int64(height)
	var n int64
	switch f {
	case JPEG:
		n = jpegCost(data, width, height)
	case PNG:
		n = px * bytesPerPixel(model)
		if pngInterlaced(data) {
			n *= 2
		}
	case TIFF:
		n = 3 * px * bytesPerPixel(model)
	case WEBP:
		n = 8 * px
	default: // GIF, BMP, PPM
		n = px * bytesPerPixel(model)
	}
	return n + decoderOverhead
}

// bytesPerPixel is the size of a pixel of the image type a decoder makes
// for model; 8 (the largest) for a model it does not know.
func bytesPerPixel(model color.Model) int64 {
	switch model {
	case color.GrayModel, color.AlphaModel:
		return 1
	case color.Gray16Model, color.Alpha16Model:
		return 2
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel:
		return 4
	case color.YCbCrModel:
		return 3
	case color.NYCbCrAModel:
		return 4
	}
	if _, ok := model.(color.Palette); ok {
		return 1
	}
	return 8 // RGBA64, NRGBA64, anything else
}

// pngInterlaced reports whether a PNG file's IHDR declares Adam7
// interlacing (the byte after bit depth, colour type, compression and
// filter).
func pngInterlaced(b []byte) bool {
	const ihdr = 8 + 8 // signature, then the chunk's length and type
	return len(b) > ihdr+12 && string(b[12:16]) == "IHDR" && b[ihdr+12] != 0
}

// jpegLayout is what the frame header (SOFn) and the application markers
// before it say about a JPEG's decoded layout.
type jpegLayout struct {
	progressive bool
	comps       int
	h, v        [4]int // sampling factors
	ids         [4]byte
	jfif        bool
	adobe       int // the Adobe APP14 transform, -1 without one
}

// jpegCost is decodeCost for a JPEG: image/jpeg's planes, coefficients and
// colour conversion. A header it cannot read costs as a 4-component
// progressive file, the most expensive kind.
func jpegCost(data []byte, width, height int) int64 {
	l, ok := readJPEGLayout(data)
	if !ok {
		l = jpegLayout{progressive: true, comps: 4, h: [4]int{1, 1, 1, 1}, v: [4]int{1, 1, 1, 1}, adobe: -1}
	}
	hmax, vmax := 1, 1
	if l.comps > 1 {
		for i := range l.comps {
			hmax, vmax = max(hmax, l.h[i]), max(vmax, l.v[i])
		}
	}
	mxx := int64((width + 8*hmax - 1) / (8 * hmax))
	myy := int64((height + 8*vmax - 1) / (8 * vmax))
	var samples int64 // every component's plane, padded to whole MCUs
	for i := range l.comps {
		h, v := int64(l.h[i]), int64(l.v[i])
		if l.comps == 1 {
			h, v = 1, 1
		}
		samples += 8 * h * mxx * 8 * v * myy
	}
	n := samples
	if l.progressive {
		n += 4 * samples // a [64]int32 block per 64 samples
	}
	padded := 8 * int64(hmax) * mxx * 8 * int64(vmax) * myy
	switch {
	case l.comps == 4:
		n += 4 * padded // CMYK
	case l.comps == 3 && !l.jfif && (l.adobe == 0 || l.ids == [4]byte{'R', 'G', 'B'}):
		n += 4 * padded // RGB
	}
	return n
}

// readJPEGLayout reads the markers of a JPEG up to its frame header.
func readJPEGLayout(b []byte) (jpegLayout, bool) {
	l := jpegLayout{adobe: -1}
	for marker, seg := range jpegSegments(b) {
		switch {
		case marker == 0xe0 && bytes.HasPrefix(seg, []byte("JFIF\x00")):
			l.jfif = true
		case marker == 0xee && len(seg) >= 12 && bytes.HasPrefix(seg, []byte("Adobe")):
			l.adobe = int(seg[11])
		case marker >= 0xc0 && marker <= 0xcf && marker != 0xc4 && marker != 0xc8 && marker != 0xcc:
			return frameLayout(l, marker, seg)
		}
	}
	return l, false
}

// frameLayout reads the components of a frame header segment.
func frameLayout(l jpegLayout, marker byte, seg []byte) (jpegLayout, bool) {
	if len(seg) < 6 {
		return l, false
	}
	l.progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce
	l.comps = int(seg[5])
	if l.comps < 1 || l.comps > 4 || len(seg) < 6+3*l.comps {
		return l, false
	}
	for c := range l.comps {
		l.ids[c] = seg[6+3*c]
		hv := seg[7+3*c]
		l.h[c], l.v[c] = max(1, int(hv>>4)), max(1, int(hv&0x0f))
	}
	return l, true
}
