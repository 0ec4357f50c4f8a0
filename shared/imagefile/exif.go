package imagefile

import (
	"bytes"
	"encoding/binary"
	"iter"
)

// orientation finds the EXIF orientation tag of a file: 0 when there is
// none (or the metadata cannot be read), 1–8 when valid, -1 otherwise.
func orientation(f Format, data []byte) int {
	switch f {
	case JPEG:
		return tiffOrientation(jpegExif(data))
	case PNG:
		return tiffOrientation(pngExif(data))
	case WEBP:
		return tiffOrientation(webpExif(data))
	case TIFF:
		return tiffOrientation(data)
	}
	return 0
}

var exifHeader = []byte("Exif\x00\x00")

// jpegExif returns the TIFF block of the first Exif APP1 segment.
func jpegExif(b []byte) []byte {
	for marker, seg := range jpegSegments(b) {
		if marker == 0xe1 && bytes.HasPrefix(seg, exifHeader) {
			return seg[len(exifHeader):]
		}
	}
	return nil
}

// jpegSegments yields the marker and content of each segment of a JPEG
// file that has a length, from the start up to its first scan; it stops
// early at anything malformed.
func jpegSegments(b []byte) iter.Seq2[byte, []byte] {
	return func(yield func(byte, []byte) bool) {
		i := 2 // after SOI
		for i+4 <= len(b) {
			if b[i] != 0xff {
				return
			}
			marker := b[i+1]
			if marker == 0xff { // fill byte
				i++
				continue
			}
			if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
				i += 2
				continue
			}
			if marker == 0xda || marker == 0xd9 { // start of scan, end of image
				return
			}
			n := int(binary.BigEndian.Uint16(b[i+2:]))
			if n < 2 || i+2+n > len(b) {
				return
			}
			if !yield(marker, b[i+4:i+2+n]) {
				return
			}
			i += 2 + n
		}
	}
}

// pngExif returns the content of the eXIf chunk.
func pngExif(b []byte) []byte {
	i := 8
	for i+8 <= len(b) {
		n := int(binary.BigEndian.Uint32(b[i:]))
		typ := string(b[i+4 : i+8])
		if n < 0 || i+12+n > len(b) || n > len(b) {
			return nil
		}
		if typ == "eXIf" {
			return b[i+8 : i+8+n]
		}
		if typ == "IEND" {
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the content of the EXIF chunk of a RIFF WEBP file.
func webpExif(b []byte) []byte {
	i := 12
	for i+8 <= len(b) {
		n := int(binary.LittleEndian.Uint32(b[i+4:]))
		if n < 0 || i+8+n > len(b) || n > len(b) {
			return nil
		}
		if string(b[i:i+4]) == "EXIF" {
			return bytes.TrimPrefix(b[i+8:i+8+n], exifHeader)
		}
		i += 8 + n + n%2 // chunks are padded to even sizes
	}
	return nil
}

// tiffOrientation reads tag 0x0112 of the first IFD of a TIFF block.
func tiffOrientation(b []byte) int {
	if len(b) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(b[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(b[2:]) != 42 {
		return 0
	}
	ifd := int64(bo.Uint32(b[4:]))
	if ifd < 8 || ifd+2 > int64(len(b)) {
		return 0
	}
	n := int64(bo.Uint16(b[ifd:]))
	for k := int64(0); k < n; k++ {
		e := ifd + 2 + 12*k
		if e+12 > int64(len(b)) {
			return 0
		}
		if bo.Uint16(b[e:]) != 0x0112 {
			continue
		}
		var v int
		switch bo.Uint16(b[e+2:]) {
		case 3: // SHORT
			v = int(bo.Uint16(b[e+8:]))
		case 4: // LONG
			v = int(bo.Uint32(b[e+8:]))
		default:
			return -1
		}
		if v < 1 || v > 8 {
			return -1
		}
		return v
	}
	return 0
}
