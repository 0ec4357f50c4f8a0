package d1

import (
	"context"
	"testing"

	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/storetest"
)

// openTemp opens a store on a new D1-mode database and memory blobs.
func openTemp(t testing.TB) (*Store, *MemoryBlobs) {
	t.Helper()
	blobs := &MemoryBlobs{}
	s, err := Open(context.Background(), openD1Mode(t), blobs)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s, blobs
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t)
		return s
	})
}
