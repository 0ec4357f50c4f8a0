package d1

import (
	"context"
	"testing"
	"time"

	"github.com/pixmatch/pixmatch/server/store/d1/d1test"
)

// TestSettingsKept: a Store reads a setting from D1 once per SettingTTL;
// a value another Store (another isolate) wrote meanwhile is read once
// the TTL has passed; a value it writes itself is read back from D1, so
// two first writers end with the value D1 kept.
func TestSettingsKept(t *testing.T) {
	ctx := context.Background()
	db, count := d1test.OpenCounting(t)
	a, err := Open(ctx, db, &MemoryBlobs{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := Open(ctx, db, &MemoryBlobs{})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Unix(1_800_000_000, 0)
	a.now = func() time.Time { return clock }
	read := func(s *Store, want string, statements int64) {
		t.Helper()
		before := count.Statements()
		if v, err := s.Setting(ctx, "token-key"); err != nil || v != want {
			t.Errorf("Setting = %q, %v; want %q", v, err, want)
		}
		if n := count.Statements() - before; n != statements {
			t.Errorf("Setting ran %d statements, want %d", n, statements)
		}
	}
	if err := a.PutSetting(ctx, "token-key", "one"); err != nil {
		t.Fatal(err)
	}
	read(a, "one", 1)
	read(a, "one", 0)
	if err := b.PutSetting(ctx, "token-key", "two"); err != nil { // the other isolate's first use, last
		t.Fatal(err)
	}
	clock = clock.Add(SettingTTL - time.Millisecond)
	read(a, "one", 0)
	clock = clock.Add(time.Millisecond)
	read(a, "two", 1)
	if err := a.PutSetting(ctx, "token-key", "three"); err != nil {
		t.Fatal(err)
	}
	read(a, "three", 1)
}
