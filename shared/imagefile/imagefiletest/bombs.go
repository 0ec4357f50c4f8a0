// Package imagefiletest makes image files that attack decoders: tiny files
// whose headers declare enormous pictures ("decompression bombs"), and
// large valid files made without holding their pixels in memory. Tests of
// the decoders' cost estimates and of the server's memory bounds use them.
package imagefiletest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
)

// PNG colour types.
const (
	Grey      byte = 0
	RGB       byte = 2
	Palette   byte = 3
	GreyAlpha byte = 4
	RGBA      byte = 6
)

// PNGHeader returns a PNG file whose IHDR declares width×height pixels of
// the given bit depth and colour type, with a one-byte IDAT: a decoder
// allocates the whole picture, then finds no pixels.
func PNGHeader(width, height int, depth, colourType byte, interlaced bool) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	PNGChunk(&b, "IHDR", ihdr(width, height, depth, colourType, interlaced))
	PNGChunk(&b, "IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	PNGChunk(&b, "IEND", nil)
	return b.Bytes()
}

// PNGBlack returns a valid, non-interlaced PNG of width×height black
// pixels of the given depth (8 or 16) and colour type, compressed as
// tightly as zlib can; it is streamed row by row, so making an
// 8192×8192 16-bit RGBA file (about half a megabyte) needs no more than
// a row of memory.
func PNGBlack(width, height int, depth, colourType byte) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	PNGChunk(&b, "IHDR", ihdr(width, height, depth, colourType, false))
	var idat bytes.Buffer
	z, _ := zlib.NewWriterLevel(&idat, zlib.BestCompression)
	channels := map[byte]int{Grey: 1, RGB: 3, Palette: 1, GreyAlpha: 2, RGBA: 4}[colourType]
	row := make([]byte, 1+width*channels*int(depth)/8) // filter byte 0, then zero samples
	for range height {
		z.Write(row)
	}
	z.Close()
	PNGChunk(&b, "IDAT", idat.Bytes())
	PNGChunk(&b, "IEND", nil)
	return b.Bytes()
}

func ihdr(width, height int, depth, colourType byte, interlaced bool) []byte {
	h := make([]byte, 13)
	binary.BigEndian.PutUint32(h[0:], uint32(width))
	binary.BigEndian.PutUint32(h[4:], uint32(height))
	h[8], h[9] = depth, colourType
	if interlaced {
		h[12] = 1
	}
	return h
}

// PNGChunk appends a PNG chunk of the given type to b, with its CRC.
func PNGChunk(b *bytes.Buffer, typ string, data []byte) {
	binary.Write(b, binary.BigEndian, uint32(len(data)))
	b.WriteString(typ)
	b.Write(data)
	crc := crc32.NewIEEE()
	crc.Write([]byte(typ))
	crc.Write(data)
	binary.Write(b, binary.BigEndian, crc.Sum32())
}

// JPEGHeader returns a JPEG of a couple of hundred bytes whose frame header
// declares width×height pixels with the given components (1, 3 or 4)
// sampled h×v (the first component; the others 1×1), baseline or
// progressive, followed by a scan with no data.
func JPEGHeader(width, height, comps, h, v int, progressive bool) []byte {
	var b bytes.Buffer
	b.Write([]byte{0xff, 0xd8})
	if comps == 4 { // an Adobe marker, without which a 4-component file is refused
		segment(&b, 0xee, []byte{'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 2})
	}
	q := make([]byte, 65) // table 0, all ones
	for i := 1; i < len(q); i++ {
		q[i] = 1
	}
	segment(&b, 0xdb, q)
	sof := []byte{8, byte(height >> 8), byte(height), byte(width >> 8), byte(width), byte(comps)}
	for c := range comps {
		hv := byte(0x11)
		if c == 0 {
			hv = byte(h<<4 | v)
		}
		sof = append(sof, byte(c+1), hv, 0)
	}
	marker := byte(0xc0)
	if progressive {
		marker = 0xc2
	}
	segment(&b, marker, sof)
	// A DC table with one code of one bit, for the symbol 0 (no difference).
	dht := append([]byte{0x00, 1}, make([]byte, 15)...)
	segment(&b, 0xc4, append(dht, 0))
	// A DC-only first scan over every component.
	sos := []byte{byte(comps)}
	for c := range comps {
		sos = append(sos, byte(c+1), 0x00)
	}
	sos = append(sos, 0, 0, 0)
	if !progressive {
		sos[len(sos)-2] = 63
	}
	segment(&b, 0xda, sos)
	b.Write([]byte{0x00, 0xff, 0xd9})
	return b.Bytes()
}

func segment(b *bytes.Buffer, marker byte, data []byte) {
	b.Write([]byte{0xff, marker, byte((len(data) + 2) >> 8), byte(len(data) + 2)})
	b.Write(data)
}

// JPEGWithOrientation returns a JPEG file with an Exif APP1 segment,
// holding the given orientation tag, inserted after its SOI marker.
func JPEGWithOrientation(jpeg []byte, orientation uint16) []byte {
	var tiff bytes.Buffer
	bo := binary.BigEndian
	tiff.WriteString("MM")
	for _, v := range []any{uint16(42), uint32(8), uint16(1), uint16(0x0112), uint16(3), uint32(1), orientation, uint16(0), uint32(0)} {
		binary.Write(&tiff, bo, v)
	}
	var out bytes.Buffer
	out.Write(jpeg[:2])
	segment(&out, 0xe1, append([]byte("Exif\x00\x00"), tiff.Bytes()...))
	out.Write(jpeg[2:])
	return out.Bytes()
}
