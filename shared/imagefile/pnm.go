package imagefile

import (
	"bufio"
	"errors"
	"fmt"
	"image"
	"image/color"
	"io"
)

// The Netpbm formats Alibaba Image Search accepts as "PPM": binary and
// plain PPM (colour) and PGM (grey). The standard library and x/image
// have no decoder for them.
func init() {
	for _, magic := range []string{"P6", "P3", "P5", "P2"} {
		image.RegisterFormat("ppm", magic, decodePNM, decodePNMConfig)
	}
}

// PPM is the Netpbm family (PPM and PGM).
const PPM Format = "ppm"

type pnmHeader struct {
	magic         string
	width, height int
	maxval        int
}

func (h pnmHeader) colour() bool { return h.magic == "P6" || h.magic == "P3" }
func (h pnmHeader) plain() bool  { return h.magic == "P3" || h.magic == "P2" }

// readPNMHeader reads the magic number, width, height and maximum value,
// and the single whitespace byte that ends the header.
func readPNMHeader(r *bufio.Reader) (pnmHeader, error) {
	var h pnmHeader
	magic := make([]byte, 2)
	if _, err := io.ReadFull(r, magic); err != nil {
		return h, err
	}
	h.magic = string(magic)
	var v [3]int
	for i := range v {
		n, err := pnmNumber(r)
		if err != nil {
			return h, fmt.Errorf("pnm header: %w", err)
		}
		v[i] = n
	}
	h.width, h.height, h.maxval = v[0], v[1], v[2]
	if h.width <= 0 || h.height <= 0 || h.maxval <= 0 || h.maxval > 65535 {
		return h, fmt.Errorf("pnm header: %d×%d, maximum value %d", h.width, h.height, h.maxval)
	}
	if _, err := r.ReadByte(); err != nil { // the whitespace before the raster
		return h, err
	}
	return h, nil
}

// pnmNumber reads a decimal number, skipping whitespace and # comments.
func pnmNumber(r *bufio.Reader) (int, error) {
	n, digits := 0, 0
	for {
		c, err := r.ReadByte()
		if err != nil {
			if digits > 0 && errors.Is(err, io.EOF) {
				return n, nil
			}
			return 0, err
		}
		switch {
		case c >= '0' && c <= '9':
			if n > 1<<28 {
				return 0, errors.New("number too large")
			}
			n = n*10 + int(c-'0')
			digits++
		case c == '#' && digits == 0:
			if _, err := r.ReadString('\n'); err != nil {
				return 0, err
			}
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f':
			if digits > 0 {
				r.UnreadByte()
				return n, nil
			}
		default:
			return 0, fmt.Errorf("unexpected byte %q", c)
		}
	}
}

func decodePNMConfig(r io.Reader) (image.Config, error) {
	h, err := readPNMHeader(bufio.NewReader(r))
	if err != nil {
		return image.Config{}, err
	}
	model := color.GrayModel
	if h.colour() {
		model = color.RGBAModel
	}
	return image.Config{ColorModel: model, Width: h.width, Height: h.height}, nil
}

func decodePNM(r io.Reader) (image.Image, error) {
	br := bufio.NewReader(r)
	h, err := readPNMHeader(br)
	if err != nil {
		return nil, err
	}
	channels := 1
	if h.colour() {
		channels = 3
	}
	sample := func() (uint8, error) {
		var v int
		switch {
		case h.plain():
			v, err = pnmNumber(br)
		case h.maxval > 255:
			var b [2]byte
			_, err = io.ReadFull(br, b[:])
			v = int(b[0])<<8 | int(b[1])
		default:
			var c byte
			c, err = br.ReadByte()
			v = int(c)
		}
		if err != nil {
			return 0, fmt.Errorf("pnm raster: %w", err)
		}
		if v > h.maxval {
			return 0, fmt.Errorf("pnm raster: sample %d over the maximum %d", v, h.maxval)
		}
		return uint8((v*255 + h.maxval/2) / h.maxval), nil
	}
	rect := image.Rect(0, 0, h.width, h.height)
	if channels == 1 {
		img := image.NewGray(rect)
		for i := range img.Pix {
			if img.Pix[i], err = sample(); err != nil {
				return nil, err
			}
		}
		return img, nil
	}
	img := image.NewRGBA(rect)
	for i := 0; i < len(img.Pix); i += 4 {
		for c := 0; c < 3; c++ {
			if img.Pix[i+c], err = sample(); err != nil {
				return nil, err
			}
		}
		img.Pix[i+3] = 0xff
	}
	return img, nil
}
