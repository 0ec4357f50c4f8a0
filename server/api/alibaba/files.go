package alibaba

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// linkLifetime is how long a link to a task's file works, as Alibaba's
// MetaUrl does.
const linkLifetime = 2 * time.Hour

// folder is where a gallery's task files are written.
func (h *Handler) folder(gallery int64) string { return TaskFolder(h.cfg.Files, gallery) }

// TaskFolder is the folder, under the files folder, of a gallery's dumps
// and import reports.
func TaskFolder(files string, gallery int64) string {
	return filepath.Join(files, strconv.FormatInt(gallery, 10))
}

// makeFolder makes a gallery's folder, and the folder of every gallery's
// files, private to the server's user (0700) when it creates them.
func (h *Handler) makeFolder(gallery int64) error {
	return os.MkdirAll(h.folder(gallery), 0o700)
}

// createFile creates (or empties) a task's file in its gallery's folder,
// readable by the server's user only (0600): dumps hold every picture's
// metadata, and only a signed link serves them.
func (h *Handler) createFile(gallery int64, name string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(h.folder(gallery), name), os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil { // a file left by an earlier database keeps its mode otherwise
		f.Close()
		return nil, err
	}
	return f, nil
}

// fileURL is a link, valid for two hours, to a task's result file.
func (h *Handler) fileURL(t gallery.Task, base string) string {
	expires := h.now().Add(linkLifetime).Unix()
	return fmt.Sprintf("%s/files/%d/%s?Expires=%d&Signature=%s",
		base, t.Gallery, t.Result, expires, h.sign(t.Gallery, t.Result, expires))
}

func (h *Handler) sign(gallery int64, name string, expires int64) string {
	m := hmac.New(sha256.New, h.urlKey)
	fmt.Fprintf(m, "%d\n%s\n%d", gallery, name, expires)
	return hex.EncodeToString(m.Sum(nil))
}

// file serves a task's result file to whoever holds a valid link.
func (h *Handler) file(c echo.Context) error {
	k := &call{c: c, requestID: newRequestID(), action: "file"}
	gallery, err := strconv.ParseInt(c.Param("gallery"), 10, 64)
	name := c.Param("name")
	expires, experr := strconv.ParseInt(c.QueryParam("Expires"), 10, 64)
	switch {
	case err != nil || experr != nil || strings.ContainsAny(name, `/\`) || strings.HasPrefix(name, "."):
		return h.fail(k, apierror.NoPermission.Because(errors.New("malformed file link")))
	case h.now().Unix() > expires:
		return h.fail(k, apierror.NoPermission.Because(fmt.Errorf("file link expired at %d", expires)))
	case !hmac.Equal([]byte(c.QueryParam("Signature")), []byte(h.sign(gallery, name, expires))):
		return h.fail(k, apierror.NoPermission.Because(errors.New("file link signature does not match")))
	}
	path := filepath.Join(h.folder(gallery), name)
	f, err := os.Open(path)
	if err != nil {
		return h.fail(k, apierror.InternalOssError.Because(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return h.fail(k, apierror.InternalOssError.Because(err))
	}
	c.Response().Header().Set(echo.HeaderContentType, "application/x-ndjson")
	http.ServeContent(c.Response(), c.Request(), name, st.ModTime(), f)
	return nil
}
