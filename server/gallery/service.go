// Package gallery is pixmatch's service layer: it owns the store and one
// in-memory index per gallery, and keeps the two consistent. Every dialect
// (CRS, Alibaba, sync, the web app) goes through it; none of them touches
// the store or an index directly, and none speaks the store's rows: the
// service's types are Target, Task and Match, and the mapping to and from
// rows (target.go, tasks.go) and the defaults of a new target (NewTarget)
// live here once.
//
// A Service's surface is grouped by what a caller does, each group a
// field of the Service:
//
//   - Galleries: galleries and API keys, under Admin's rules;
//   - Targets: add, change, delete and read targets (by ID, by Alibaba's
//     ProductId and PicName, by filter);
//   - Pictures: decode uploads within the process's decode budget, make
//     thumbnails;
//   - Recognition: search, the similar check, comparing two pictures;
//   - Tasks: the records of background jobs (imports, dumps);
//   - Sync: what followers of a gallery (browsers) copy: snapshots and
//     changes.
//
// Every rule is enforced in one place: a gallery that does not exist or
// is suspended is refused by live, which every group but Galleries goes
// through; the search limits by admitSearch; capacity, duplicates and the
// similar check by Targets.Add and Targets.Update.
//
// Writes to a gallery are serialised: the store commits first, then the
// index is updated, so the index always reflects a committed prefix of the
// gallery's change log. At start the indexes are rebuilt from the store,
// or, with WithSnapshots, the hash index and the feature tier read from a
// snapshot the change log then brings up to date (snapshot.go).
//
// Admin holds the rules for galleries and API keys over the store alone:
// the admin commands use it directly, and Service through it, so the two
// cannot disagree; a server picks up the commands' changes with Refresh.
package gallery

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pixmatch/pixmatch/server/budget"
	"github.com/pixmatch/pixmatch/server/config"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/shared/fingerprint"
	"github.com/pixmatch/pixmatch/shared/index"
	"github.com/pixmatch/pixmatch/shared/match"
)

// Service runs the galleries of one server.
type Service struct {
	Galleries   *Galleries
	Targets     *Targets
	Pictures    *Pictures
	Recognition *Recognition
	Tasks       *Tasks
	Sync        *Sync

	store   store.Store
	admin   *Admin
	cfg     config.Config
	now     func() time.Time
	decodes *budget.Budget // the memory of the pictures being decoded
	vocab   *vocabulary
	records *RecordCache // decoded feature records read last
	lookup  Lookup       // nil: targets are found in indexes loaded at Open
	counter Counter      // nil: searches are counted in memory (admission)
	snaps   *snapshots   // nil: every start reads the rows (snapshot.go)
	maker   *maker       // nil: an add makes its feature record (maker.go)
	// following: the store is shared with other servers (WithFollowing)
	following    bool
	followDelays func(time.Duration) // nil: none observed (WithFollowDelays)
	// features: the feature tier is looked up per search
	// (WithFeatureLookup); nil: loaded at Open
	features FeatureLookup

	mu      sync.RWMutex
	shelves map[int64]*shelf // by gallery ID
}

// shelf is the live state of one gallery.
type shelf struct {
	id    int64      // the gallery's ID, fixed for the shelf's life
	write sync.Mutex // serialises writes: store commit, then index update

	mu      sync.Mutex // guards gallery and the admission counters
	gallery store.Gallery
	admission

	index *index.Index // the hash tier
	tier  *featureTier // the feature tier (tier.go)

	resolved rowCache // rows of matched targets (resolved.go)

	pending []string // targets without a feature record (see RemakeFeatures); under mu
	backlog backlog  // added targets whose record the maker has to make (maker.go)
	// stale are the pending targets whose record of an earlier enrolment
	// is in the tier meanwhile (remake.go); under mu
	stale map[string]bool

	// followed is the version of the change log the indexes hold every
	// change up to (follow.go); written under write.
	followed atomic.Int64
}

// Open starts a service on st, rebuilding every gallery's index from it
// (unless WithLookup says where to find targets instead).
func Open(ctx context.Context, st store.Store, cfg config.Config, opts ...Option) (*Service, error) {
	if cfg.Server.DecodeBytes <= 0 || cfg.Server.BusyWait <= 0 {
		cfg.Server = config.Default().Server
	}
	vocab, err := loadVocabulary()
	if err != nil {
		return nil, fmt.Errorf("gallery: %w", err)
	}
	s := &Service{store: st, admin: NewAdmin(st), cfg: cfg, now: time.Now, shelves: map[int64]*shelf{},
		decodes: budget.New(cfg.Server.DecodeBytes), vocab: vocab, records: newRecordCache(recordCacheFeatures)}
	s.Galleries, s.Targets, s.Pictures = &Galleries{s}, &Targets{s}, &Pictures{s}
	s.Recognition, s.Tasks, s.Sync = &Recognition{s}, &Tasks{s: s}, &Sync{s}
	for _, o := range opts {
		o(s)
	}
	galleries, err := st.Galleries(ctx)
	if err != nil {
		return nil, fmt.Errorf("gallery: list galleries: %w", err)
	}
	for _, g := range galleries {
		sh, err := s.load(ctx, g)
		if err != nil {
			return nil, err
		}
		s.shelves[g.ID] = sh
	}
	if s.snaps != nil && s.lookup == nil {
		s.startSnapshots(ctx)
	}
	if s.lookup != nil {
		s.maker = nil // the Worker: nothing runs between its requests
	} else if s.maker != nil {
		s.startMaker(ctx)
	}
	return s, nil
}

// newShelf returns the live state of a gallery without targets.
func (s *Service) newShelf(g store.Gallery) *shelf {
	x := match.NewIndex()
	x.MultiIndexRows(s.cfg.Search.MultiIndexRows)
	return &shelf{id: g.ID, gallery: g, index: x, tier: newTier(s.vocab)}
}

// load builds the indexes of one gallery: the hash index and the feature
// tier from its snapshot caught up with the change log when it has a
// usable one (WithSnapshots), else the index from the store's rows and
// the tier from the stored feature records.
func (s *Service) load(ctx context.Context, g store.Gallery) (*shelf, error) {
	sh := s.newShelf(g)
	if s.lookup != nil {
		return sh, nil // the searches look their targets up
	}
	sh.index.MultiIndexRows(0) // built once, below, not grown row by row
	tiered, err := s.loadHash(ctx, sh, g)
	if err == nil && tiered {
		err = s.loadPending(ctx, sh)
	} else if err == nil {
		err = s.loadFeatures(ctx, sh)
	}
	if err != nil {
		return nil, fmt.Errorf("gallery: load %q: %w", g.Name, err)
	}
	sh.spreadPending()
	sh.index.Compact() // the room its slices grew into while loading
	sh.index.MultiIndexRows(s.cfg.Search.MultiIndexRows)
	return sh, nil
}

// loadHash fills a gallery's hash index, from its snapshot or its rows,
// and reports whether the snapshot filled the feature tier too. Read from
// the rows, targets whose fingerprint was made by another algorithm
// version get one anew from their stored image, saved.
func (s *Service) loadHash(ctx context.Context, sh *shelf, g store.Gallery) (tiered bool, err error) {
	if s.snaps != nil {
		if ok, tiered, err := s.restore(ctx, sh, g); ok || err != nil {
			return tiered, err
		}
	}
	sh.followed.Store(g.Version) // read before the targets: later changes are applied again, harmlessly
	stale, err := s.loadIndex(ctx, sh)
	if err != nil {
		return false, err
	}
	for _, id := range stale {
		if err := s.refingerprint(ctx, sh, id); err != nil {
			return false, err
		}
	}
	return false, nil
}

// stored reads a target with its image and decodes the image.
func (s *Service) stored(ctx context.Context, sh *shelf, id string) (store.Target, *Picture, error) {
	t, err := s.store.Target(ctx, sh.id, id, true)
	if err != nil {
		return t, nil, err
	}
	pic, err := s.Pictures.Read(ctx, t.Image, Policy{})
	if err != nil {
		return t, nil, fmt.Errorf("target %s: stored image: %w", id, err)
	}
	return t, pic, nil
}

// refingerprint recomputes a stale target's fingerprint from its image.
func (s *Service) refingerprint(ctx context.Context, sh *shelf, id string) error {
	t, pic, err := s.stored(ctx, sh, id)
	if err != nil {
		return err
	}
	if pic.Focus, err = ParseRegion(t.Region); err != nil {
		return fmt.Errorf("target %s: %w", id, err)
	}
	fp, err := pic.prints(fingerprint.TargetOf)
	if err != nil {
		return fmt.Errorf("target %s: %w", id, err)
	}
	if t.Fingerprint, err = fp.MarshalBinary(); err != nil {
		return err
	}
	t.Image = nil // keep the stored image as it is
	version, err := s.store.UpdateTarget(ctx, t)
	if err != nil {
		return fmt.Errorf("target %s: save new fingerprint: %w", id, err)
	}
	s.committed(sh, version) // followers copy the new codes with the next delta
	return sh.index.Put(entry(t, fp))
}

// entry is the index entry of a target.
func entry(t store.Target, fp fingerprint.Fingerprint) index.Entry {
	attrs := index.Attributes{Category: t.Category, Int: t.IntAttr, Str: t.StrAttr, Group: t.ProductID}
	return index.Entry{ID: t.ID, Codes: match.Full.Codes(fp), Active: t.Active, Attrs: attrs}
}

// settings returns the gallery as it is now: its limits and flags change
// under sh.mu while requests read them (UpdateGallery, Refresh).
func (sh *shelf) settings() store.Gallery {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.gallery
}

// shelf returns the live state of a gallery.
func (s *Service) shelf(id int64) (*shelf, error) {
	s.mu.RLock()
	sh := s.shelves[id]
	s.mu.RUnlock()
	if sh == nil {
		return nil, fmt.Errorf("gallery %d: %w", id, ErrNotFound)
	}
	return sh, nil
}

// shelfList returns the live state of every gallery, by ID.
func (s *Service) shelfList() []*shelf {
	s.mu.RLock()
	out := make([]*shelf, 0, len(s.shelves))
	for _, sh := range s.shelves {
		out = append(out, sh)
	}
	s.mu.RUnlock()
	slices.SortFunc(out, func(a, b *shelf) int { return cmp.Compare(a.id, b.id) })
	return out
}

// live returns the live state of a gallery that serves requests: the one
// place that refuses a gallery that does not exist (ErrNotFound) or is
// suspended (ErrSuspended).
func (s *Service) live(id int64) (*shelf, error) {
	sh, err := s.shelf(id)
	if err != nil {
		return nil, err
	}
	if g := sh.settings(); g.Suspended {
		return nil, fmt.Errorf("gallery %q: %w", g.Name, ErrSuspended)
	}
	return sh, nil
}

// Setting and PutSetting read and write server-wide values.
func (s *Service) Setting(ctx context.Context, name string) (string, error) {
	return s.store.Setting(ctx, name)
}

// PutSetting saves a server-wide value.
func (s *Service) PutSetting(ctx context.Context, name, value string) error {
	return s.store.PutSetting(ctx, name, value)
}

// Config returns the configuration the service runs with.
func (s *Service) Config() config.Config { return s.cfg }

// Refresh brings the service's galleries in line with the store: galleries
// created by another process (the admin commands) are loaded, deleted ones
// dropped with their snapshots, and changed limits and flags applied.
func (s *Service) Refresh(ctx context.Context) error {
	galleries, err := s.store.Galleries(ctx)
	if err != nil {
		return fmt.Errorf("gallery: refresh: %w", err)
	}
	seen := make(map[int64]bool, len(galleries))
	for _, g := range galleries {
		seen[g.ID] = true
		sh, err := s.shelf(g.ID)
		if err != nil {
			if sh, err = s.load(ctx, g); err != nil {
				return err
			}
			s.mu.Lock()
			if s.shelves[g.ID] == nil {
				s.shelves[g.ID] = sh
			}
			s.mu.Unlock()
			continue
		}
		sh.adopt(g)
	}
	s.mu.Lock()
	var gone []int64
	for id := range s.shelves {
		if !seen[id] {
			delete(s.shelves, id)
			gone = append(gone, id)
		}
	}
	s.mu.Unlock()
	for _, id := range gone {
		s.snaps.drop(id)
	}
	return nil
}

// adopt takes g's settings when an administrator changed them; the
// version stays the one the service committed, and the search counters
// start again under the new limits.
func (sh *shelf) adopt(g store.Gallery) {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if settingsOf(sh.gallery) != settingsOf(g) {
		g.Version = sh.gallery.Version
		sh.gallery = g
		sh.admission = admission{}
	}
}

// settingsOf is what an administrator can change in a gallery.
func settingsOf(g store.Gallery) store.Gallery {
	return store.Gallery{Name: g.Name, AppID: g.AppID, Capacity: g.Capacity, QPS: g.QPS,
		DailySearches: g.DailySearches, DAU: g.DAU, Suspended: g.Suspended}
}
