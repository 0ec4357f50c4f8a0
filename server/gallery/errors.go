package gallery

import (
	"errors"
	"fmt"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/imagefile"
)

// Errors the service reports, wrapped with detail. Each dialect maps them
// to its own catalogue; any other error is an internal failure of the
// operation (usually of the store).
var (
	ErrNotFound      = store.ErrNotFound // a target or gallery that does not exist
	ErrExists        = store.ErrExists   // a gallery or key that already exists
	ErrNoContent     = fingerprint.ErrNoContent
	ErrImageFormat   = imagefile.ErrFormat   // a format the dialect does not accept
	ErrImageCorrupt  = imagefile.ErrCorrupt  // undecodable image data
	ErrImageTooLarge = imagefile.ErrTooLarge // too many pixels
	ErrImageTooSmall = imagefile.ErrTooSmall // a side under the minimum
	ErrOrientation   = errors.New("EXIF orientation outside 1–8")
	// ErrBusy says the process has no room for the request now: the
	// memory its picture would take to decode is in use by others.
	ErrBusy            = errors.New("the server is busy")
	ErrDuplicate       = errors.New("the gallery already holds this exact image under this name")
	ErrOverQuota       = errors.New("the gallery is full")
	ErrSuspended       = errors.New("the gallery is suspended")
	ErrThrottled       = errors.New("too many searches per second")
	ErrDailyLimit      = errors.New("the daily search limit is reached")
	ErrSearchTimeout   = errors.New("the search did not finish in time")
	ErrNoActiveTargets = errors.New("the gallery has no active target")
	ErrFeatureTimeout  = errors.New("fingerprinting did not finish in time")
	ErrChangeLog       = store.ErrChangeLog // a write failed to log its change
)

// SimilarError refuses a target because the gallery already holds similar
// ones; it wraps ErrSimilar.
type SimilarError struct {
	Matches []Match
}

// ErrSimilar is wrapped by every SimilarError.
var ErrSimilar = errors.New("a similar target exists")

func (e *SimilarError) Error() string {
	return fmt.Sprintf("%v: %s at distance %d", ErrSimilar, e.Matches[0].Target.ID, e.Matches[0].Distance)
}

// Unwrap makes errors.Is(err, ErrSimilar) hold.
func (e *SimilarError) Unwrap() error { return ErrSimilar }
