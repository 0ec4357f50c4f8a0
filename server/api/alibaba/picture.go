package alibaba

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/pixmatch/pixmatch/server/fetch"
	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// picture reads an image parameter: base64 image data, or an http(s) URL
// the server downloads within the transfer time limit. A URL of any other
// scheme is InvalidPicUrl.
func (h *Handler) picture(ctx context.Context, k *call, param string) (*gallery.Picture, error) {
	return h.pictureFor(ctx, k, param, false)
}

// searchPicture is picture for a picture that is only searched with
// (gallery.Policy.Search): a service without a feature tier makes its
// fingerprints' plane alone.
func (h *Handler) searchPicture(ctx context.Context, k *call, param string) (*gallery.Picture, error) {
	return h.pictureFor(ctx, k, param, true)
}

// pictureFor is picture, for a search when search is true.
func (h *Handler) pictureFor(ctx context.Context, k *call, param string, search bool) (*gallery.Picture, error) {
	v, _ := k.get(param)
	if v == "" {
		return nil, apierror.NoSpecifiedPicContent.Because(fmt.Errorf("no %s", param))
	}
	var data []byte
	switch {
	case fetch.IsURL(v):
		var err error
		if data, err = h.fetcher.Fetch(ctx, v); err != nil {
			return nil, fetchError(err)
		}
	case fetch.HasScheme(v): // file://, gopher://…: a URL, not base64
		return nil, apierror.InvalidPicUrl.Because(fmt.Errorf("%s is a URL that is not http(s): %.40q", param, v))
	default:
		if base64.StdEncoding.DecodedLen(len(v)) > h.cfg.MaxImageBytes+3 {
			return nil, apierror.InvalidPicContent.Because(fmt.Errorf("%s of %d base64 characters", param, len(v)))
		}
		var err error
		if data, err = decodeBase64(v); err != nil {
			return nil, apierror.UnsupportedPicFormat.Because(fmt.Errorf("%s is neither a URL nor base64: %w", param, err))
		}
	}
	if len(data) > h.cfg.MaxImageBytes {
		return nil, apierror.InvalidPicContent.Because(fmt.Errorf("%s of %d bytes, over %d", param, len(data), h.cfg.MaxImageBytes))
	}
	return h.decodeFor(ctx, data, search)
}

// decode reads an image file under Alibaba's rules: PNG, JPG, BMP, GIF,
// WEBP, TIFF or PPM; each side 100–4096 pixels; no invalid orientation.
func (h *Handler) decode(ctx context.Context, data []byte) (*gallery.Picture, error) {
	return h.decodeFor(ctx, data, false)
}

// decodeFor is decode, for a picture only searched with when search is
// true (gallery.Policy.Search).
func (h *Handler) decodeFor(ctx context.Context, data []byte, search bool) (*gallery.Picture, error) {
	pic, err := h.svc.Pictures.Read(ctx, data, gallery.Policy{Search: search, Limits: imagefile.Limits{
		MaxPixels: h.cfg.MaxSide * h.cfg.MaxSide,
		MaxSide:   h.cfg.MaxSide,
		MinSide:   h.cfg.MinSide,
	}})
	switch {
	case errors.Is(err, gallery.ErrImageTooLarge), errors.Is(err, gallery.ErrImageTooSmall):
		return nil, apierror.UnsupportedPicPixels.Because(err)
	case errors.Is(err, gallery.ErrOrientation):
		return nil, apierror.IncorrectOrientation.Because(err)
	case errors.Is(err, gallery.ErrBusy):
		return nil, apierror.DeniedRequest.Because(err)
	case err != nil:
		return nil, apierror.UnsupportedPicFormat.Because(err)
	}
	return pic, nil
}

// fetchError maps why a picture could not be downloaded.
func fetchError(err error) error {
	switch {
	case errors.Is(err, fetch.ErrTimeout):
		return apierror.TimeoutForTransferImage.Because(err)
	case errors.Is(err, fetch.ErrTooLarge):
		return apierror.InvalidPicContent.Because(err)
	case errors.Is(err, fetch.ErrNetwork):
		return apierror.NetworkException.Because(err)
	}
	return apierror.InvalidPicUrl.Because(err)
}

// decodeBase64 reads standard base64, padded or not, ignoring line
// breaks. A space is read as the '+' a client forgot to percent-encode.
// What clients send, standard base64 padded and perhaps broken into
// lines, is decoded at once (the decoder skips \r and \n itself):
// mapping a picture's base64 rune by rune first cost the Worker's build
// (WebAssembly) more than decoding it. Whatever the standard decoder
// refuses is read as decodeLoose reads it.
func decodeBase64(s string) ([]byte, error) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	return decodeLoose(s)
}

// decodeLoose is decodeBase64 for every form: line breaks dropped,
// spaces read as '+', the padding dropped, then the standard alphabet.
func decodeLoose(s string) ([]byte, error) {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r':
			return -1
		case ' ':
			return '+'
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// focus applies Region (a region the client names) or Crop (subject
// detection, on by default) to pic and returns the region searched or
// indexed, written "x1,x2,y1,y2".
func focus(pic *gallery.Picture, region string, crop bool) (string, error) {
	if region != "" {
		r, err := gallery.ParseRegion(region)
		if err == nil {
			err = pic.SetRegion(r)
		}
		if err != nil {
			return "", apierror.InvalidRegion.Because(err)
		}
		return region, nil
	}
	w, h := pic.Size()
	if crop {
		if r := pic.DetectSubject(); !r.Empty() {
			return gallery.FormatRegion(r), nil
		}
	}
	return gallery.FormatRegion(image.Rect(0, 0, w, h)), nil
}
