package alibaba

import (
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/pixmatch/pixmatch/server/fetch"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// source is where a batch import reads its increment.meta and pictures:
// a folder inside a configured local bucket, or an http(s) base URL.
//
// A local bucket is read through an os.Root opened on the bucket's
// folder: no name, however it is spelled and whatever symbolic links lie
// on its way, reaches a file outside that folder. A link that stays
// inside works.
type source struct {
	root *os.Root // the bucket's folder, or nil
	dir  string   // the import's folder inside root, slash-separated ("." for the bucket itself)
	base string   // URL of the folder, or ""
	f    *fetch.Fetcher
}

// resolve finds the folder a BucketName and Path name. The caller closes
// the source when the import ends.
func (h *Handler) resolve(bucket, p string) (source, error) {
	if fetch.IsURL(bucket) {
		return source{base: strings.TrimRight(bucket, "/") + p, f: h.fetcher}, nil
	}
	folder, ok := h.cfg.Buckets[bucket]
	switch {
	case !ok && fetch.HasScheme(bucket):
		return source{}, apierror.InvalidPicUrl.Because(fmt.Errorf("BucketName %.40q is a URL that is not http(s)", bucket))
	case !ok:
		return source{}, apierror.BadRequest.Because(fmt.Errorf("no bucket %q is configured", bucket))
	}
	dir := path.Clean(strings.TrimPrefix(p, "/"))
	if dir == ".." || strings.HasPrefix(dir, "../") {
		return source{}, apierror.BadRequest.Because(fmt.Errorf("Path %q leaves bucket %q", p, bucket))
	}
	root, err := os.OpenRoot(folder)
	if err != nil {
		return source{}, apierror.InternalOssError.Because(fmt.Errorf("bucket %q: %w", bucket, err))
	}
	return source{root: root, dir: dir}, nil
}

// close releases the bucket's folder.
func (s source) close() {
	if s.root != nil {
		s.root.Close()
	}
}

// read returns a file of the folder, of at most limit bytes. A file that
// is missing, not a regular file, or outside the bucket fails with an
// error wrapping fetch.ErrNotFound, as a missing URL does.
func (s source) read(ctx context.Context, name string, limit int64) ([]byte, error) {
	if s.base != "" {
		return s.f.Fetch(ctx, s.base+"/"+name)
	}
	if strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("%w: %q leaves the folder", fetch.ErrURL, name)
	}
	rel := filepath.Join(filepath.FromSlash(s.dir), filepath.FromSlash(name))
	// Stat first: opening a FIFO would block until something writes to it.
	st, err := s.root.Stat(rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", fetch.ErrNotFound, err)
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%w: %s is not a regular file", fetch.ErrNotFound, name)
	}
	f, err := s.root.Open(rel)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", fetch.ErrNotFound, err)
	}
	defer f.Close()
	return readAtMost(f, limit)
}

func readAtMost(f *os.File, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: over %d bytes", fetch.ErrTooLarge, limit)
	}
	return b, nil
}
