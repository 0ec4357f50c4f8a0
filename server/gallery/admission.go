package gallery

import (
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
