package gallery

import (
	"context"
	"fmt"
	"time"

	"golang.org/x/time/rate"
)

// admission counts a gallery's searches against its limits.
type admission struct {
	limiter  *rate.Limiter // made on first use from the gallery's QPS
	day      int64         // the UTC day searches are counted for
	searches int
}

// admitSearch counts one search at now, or refuses it when the gallery is
// over its rate or out of its daily allowance. (A suspended gallery is
// refused before, by live.)
func (sh *shelf) admitSearch(now time.Time) error {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	g := sh.gallery
	if g.QPS > 0 {
		if sh.limiter == nil {
			sh.limiter = rate.NewLimiter(rate.Limit(g.QPS), g.QPS)
		}
		if !sh.limiter.AllowN(now, 1) {
			return fmt.Errorf("gallery %q over %d searches per second: %w", g.Name, g.QPS, ErrThrottled)
		}
	}
	if g.DailySearches > 0 {
		if day := now.UTC().Unix() / 86400; day != sh.day {
			sh.day, sh.searches = day, 0
		}
		if sh.searches >= g.DailySearches {
			return fmt.Errorf("gallery %q made %d searches today: %w", g.Name, sh.searches, ErrDailyLimit)
		}
		sh.searches++
	}
	return nil
}

// Counter counts searches where they outlive the service: a Worker's
// service lasts one request, so the searches its limits count live in its
// database (d1.Store). With a Counter, the limits are counted in fixed
// windows — a second for QPS, a UTC day for the daily allowance — rather
// than by a token bucket in memory.
type Counter interface {
	// CountSearch counts one search of gallery in the window kind
	// ("second" or "day") numbered start, unless limit searches are
	// counted there already: then it counts nothing and returns false.
	CountSearch(ctx context.Context, gallery int64, kind string, start int64, limit int) (bool, error)
}

// WithCounter makes the service count searches against the galleries'
// limits with c instead of in its memory.
func WithCounter(c Counter) Option { return func(s *Service) { s.counter = c } }

// admit counts one search of the gallery at now against its limits, in
// the service's Counter when it has one, else in memory (admitSearch).
func (s *Service) admit(ctx context.Context, sh *shelf, now time.Time) error {
	if s.counter == nil {
		return sh.admitSearch(now)
	}
	g := sh.settings()
	for _, w := range []struct {
		kind     string
		start    int64
		limit    int
		refusal  error
		overWhat string
	}{
		{"second", now.Unix(), g.QPS, ErrThrottled, "searches per second"},
		{"day", now.UTC().Unix() / 86400, g.DailySearches, ErrDailyLimit, "searches today"},
	} {
		if w.limit <= 0 {
			continue
		}
		ok, err := s.counter.CountSearch(ctx, g.ID, w.kind, w.start, w.limit)
		if err != nil {
			return fmt.Errorf("gallery: count searches: %w", err)
		}
		if !ok {
			return fmt.Errorf("gallery %q made %d %s: %w", g.Name, w.limit, w.overWhat, w.refusal)
		}
	}
	return nil
}
