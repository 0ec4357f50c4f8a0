package dialect

import (
	"github.com/labstack/echo/v4"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// Outcome is what a dialect's handler told of the request it answered,
// for the server's access log and metrics: the catalogue entry it failed
// with and why, the Alibaba action it ran, whether a search found a
// match. The handlers record it with Failed, SetAction and Searched.
type Outcome struct {
	// Entry is the catalogue entry the request was answered with; nil
	// for a success.
	Entry *apierror.Error
	// Cause is why the request failed, for logs only.
	Cause error
	// Action is the action a dialect ran under a path shared by several
	// (Alibaba's RPC actions); "" when the route names it.
	Action string
	// Searched tells that a search ran; Tier, which tier found its best
	// match ("hash" or "features", gallery.Match.Tier), "" for none.
	Searched bool
	Tier     string
}

// outcomeKey is where an Outcome lives in an echo.Context.
const outcomeKey = "pixmatch.dialect.outcome"

// OutcomeOf returns what the handlers recorded of c's request.
func OutcomeOf(c echo.Context) Outcome {
	if o, ok := c.Get(outcomeKey).(*Outcome); ok {
		return *o
	}
	return Outcome{}
}

// outcome returns the request's Outcome to change, made on first use.
func outcome(c echo.Context) *Outcome {
	if o, ok := c.Get(outcomeKey).(*Outcome); ok {
		return o
	}
	o := &Outcome{}
	c.Set(outcomeKey, o)
	return o
}

// SetAction records the action a request runs. Call it only with the
// name of an action the dialect serves, never a client's unchecked
// value: metrics count by it.
func SetAction(c echo.Context, action string) { outcome(c).Action = action }

// Searched records that the request ran a search, and which tier found
// its best match: "hash" or "features" (gallery.Match.Tier), "" for no
// match.
func Searched(c echo.Context, tier string) {
	o := outcome(c)
	o.Searched, o.Tier = true, tier
}
