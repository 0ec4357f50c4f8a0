package worker

import (
	"context"
	"database/sql"
	"fmt"
	"sync"

	"github.com/pixmatch/pixmatch/server/gallery"
	"github.com/pixmatch/pixmatch/server/store"
	"github.com/pixmatch/pixmatch/server/store/d1"
	"github.com/pixmatch/pixmatch/shared/bow"
	"github.com/pixmatch/pixmatch/shared/camera"
	"github.com/pixmatch/pixmatch/shared/feature"
)

// The Worker's feature tier (camera-grade recognition: a print seen by a
// camera) keeps no index in memory either. Each target's bag of words is
// written with its row and listed in D1 by the row's triggers (d1's
// bags.go); a search reads the lists of its words in one statement and
// scores them as the server's index does (bow.Lists), then reads and
// verifies the shortlist's feature records from R2, as a server does
// (gallery.WithFeatureLookup). Its answer is the server's for the same
// gallery (TestFeaturesAnswerAsTheServer).
//
// The trained vocabulary (1.2 MB) is not linked into the module, which
// it would take past its size budget: it is a static asset beside the
// Worker (build/assets/vocabulary.bin), fetched and decoded once per
// isolate, on the first request that needs it (vocabulary_wasm.go). On
// the host it is shared/camera's (vocabulary_host.go).

// vocabulary is the process's — an isolate's — vocabulary, loaded once.
var vocabulary = &onceVocabulary{load: loadVocabulary}

// onceVocabulary loads a vocabulary on first use; a failed load is tried
// again by the next use.
type onceVocabulary struct {
	load func(context.Context) (*bow.Vocabulary, error)
	mu   sync.Mutex
	v    *bow.Vocabulary
}

// get returns the vocabulary, loading it the first time.
func (o *onceVocabulary) get(ctx context.Context) (*bow.Vocabulary, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.v != nil {
		return o.v, nil
	}
	v, err := o.load(ctx)
	if err != nil {
		return nil, fmt.Errorf("load the vocabulary: %w", err)
	}
	o.v = v
	return v, nil
}

// An isolate's checked gallery.RecordCache compares the D1 store's R2 keys
// of the shortlist's records, and reads from R2 only those it does not
// hold decoded.
var _ gallery.KeyedRecords = (*d1.Store)(nil)

// OpenStore opens the D1 store over db and blobs with the feature tier's
// Bagger, so that every feature record it writes is bagged and listed.
func OpenStore(ctx context.Context, db *sql.DB, blobs d1.Blobs) (*d1.Store, error) {
	st, err := d1.Open(ctx, db, blobs)
	if err != nil {
		return nil, err
	}
	st.SetBagger(Bagger)
	return st, nil
}

// Bagger is the d1.Bagger of the feature tier: a record's bag is what a
// server's camera.Tier keeps of it (camera.TargetBag), grouped by word;
// a record that does not decode (another feature.Version) is left out,
// as a server's tier leaves it out.
func Bagger(ctx context.Context, record []byte) (*d1.Bag, error) {
	var r feature.Record
	if r.UnmarshalBinary(record) != nil {
		return nil, nil
	}
	v, err := vocabulary.get(ctx)
	if err != nil {
		return nil, err
	}
	bag := camera.TargetBag(v, r.Features)
	return &d1.Bag{Size: len(bag), Words: bow.Group(bag, v.Words())}, nil
}

// Features finds a gallery's feature tier in D1 for the gallery service
// (gallery.FeatureLookup): its lists by target Seq.
type Features struct{ Store *d1.Store }

var _ gallery.FeatureLookup = Features{}

// Vocabulary returns the isolate's vocabulary.
func (Features) Vocabulary(ctx context.Context) (*bow.Vocabulary, error) { return vocabulary.get(ctx) }

// Lists returns the gallery's lists of the query's words, those of the
// targets D1 shortlisted by both passes' scores (d1.Store.ShortlistedLists).
func (f Features) Lists(ctx context.Context, gallery int64, q []bow.Feature, words, k int) (*bow.Lists, error) {
	return f.Store.ShortlistedLists(ctx, gallery, q, words, k)
}

// Names returns the IDs of the targets with the Seqs docs.
func (f Features) Names(ctx context.Context, gallery int64, docs []uint32) (map[uint32]string, error) {
	return f.Store.SeqIDs(ctx, gallery, docs)
}

// Targets returns the rows of the targets with the Seqs docs.
func (f Features) Targets(ctx context.Context, gallery int64, docs []uint32) (map[uint32]store.Target, error) {
	return f.Store.TargetsBySeq(ctx, gallery, docs)
}
