package alibaba_test

import (
	"testing"

	"github.com/pixmatch/pixmatch/server/internal/testserver"
)

// TestMain checks every response of the suite against the OpenAPI
// description, so that the two cannot drift apart.
func TestMain(m *testing.M) { testserver.RunValidated(m) }
