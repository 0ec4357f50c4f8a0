// Package store defines how pixmatch persists galleries, API keys and
// targets, and the errors every implementation reports. Implementations
// live in sub-packages: sqlite (the embedded default), and later postgres
// and d1. The store knows nothing of HTTP or of either wire dialect.
//
// Every write that changes a gallery's targets also appends to that
// gallery's change log in the same transaction and advances the gallery's
// version by one, so a reader that has seen version V can ask for exactly
// what changed after it.
package store

import (
	"context"
	"errors"
)

// Errors reported by every implementation, wrapped with context.
var (
	ErrNotFound = errors.New("not found")
	ErrExists   = errors.New("already exists")
	// ErrChangeLog marks a write that failed while logging its change.
	ErrChangeLog = errors.New("change log")
	// ErrTaskRunning marks a CreateTask refused because a task of the same
	// gallery and kind is still running.
	ErrTaskRunning = errors.New("a task of the same kind is still running")
)

// Gallery is one collection of targets: a CRS database (found by AppID)
// and an Alibaba instance (found by Name).
type Gallery struct {
	ID      int64
	Name    string // unique; the Alibaba InstanceName
	AppID   string // unique; the CRS appId
	Version int64  // version of the newest change; 0 for an untouched gallery
	Created int64  // unix milliseconds

	// Limits. Zero means unlimited.
	Capacity      int // most targets the gallery may hold
	QPS           int // search requests per second
	DailySearches int // search requests per UTC day

	// DAU marks a CRS database billed by daily active users: it serves
	// only SDK clients older than Sense 4.6.
	DAU bool
	// Suspended galleries refuse every request, as an instance with an
	// overdue payment does.
	Suspended bool
}

// Key is an API credential: a CRS apiKey or appKey, or an Alibaba
// AccessKeyId, with its secret.
type Key struct {
	ID      string
	Secret  string
	Gallery int64 // the only gallery the key may use; 0 means every gallery
	Created int64 // unix milliseconds
}

// Target is one image a gallery recognises.
type Target struct {
	Gallery      int64
	ID           string // UUID, the CRS targetId
	Seq          int64  // the gallery version that created it; set by CreateTarget
	Name         string
	Size         string // CRS physical width in cm, kept as the client sent it
	Meta         string
	Type         string
	Active       bool
	AllowSimilar bool
	Extra        string // JSON object of unknown create fields, returned unmodified

	// Alibaba attributes.
	ProductID     string
	PicName       string
	Category      int32
	IntAttr       [4]int32
	StrAttr       [4]string
	CustomContent string
	Region        string // "x1,x2,y1,y2" of the indexed subject

	Image       []byte   // the image file as uploaded; nil when not loaded
	ImageSHA256 [32]byte // of Image
	Width       int
	Height      int
	Fingerprint []byte // encoded shared/fingerprint value
	Grade       []byte // encoded shared/quality report
	// Features is the encoded feature record (shared/feature). Reads of
	// targets leave it nil (TargetFeatures and EachFeatures read it); a
	// write with Features nil keeps what is stored, one with an empty
	// record stores it (server/gallery's mark of a record to be made).
	Features []byte

	Created  int64 // unix milliseconds
	Modified int64 // unix milliseconds
}

// Op says what a change did to a target.
type Op uint8

// Change operations.
const (
	OpPut    Op = 1 // the target was created or updated
	OpDelete Op = 2 // the target was removed
)

// Change is one entry of a gallery's change log.
type Change struct {
	Version  int64
	TargetID string
	Seq      int64 // the target's sequence number
	Op       Op
	At       int64 // unix milliseconds
}

// TaskKind names what a background task does.
type TaskKind string

// The kinds of task.
const (
	TaskDump   TaskKind = "dump"   // write every target's metadata to a file
	TaskImport TaskKind = "import" // add and delete targets listed in a file
)

// Task statuses the store knows: a task is running until its Status is
// anything else (an outcome such as SUCCESS, NORMAL or TaskFailed).
const (
	TaskRunning = "PROCESSING"
	TaskFailed  = "FAIL"
)

// Task is a background job on a gallery, with its progress.
type Task struct {
	ID       int64
	Gallery  int64
	Kind     TaskKind
	Status   string // TaskRunning, then an outcome: e.g. SUCCESS, TaskFailed
	Code     string // "0" on success, else an error code
	Message  string
	Source   string // where the task reads from (import)
	Callback string // URL told when the task ends (import)
	Result   string // file the task wrote: the dump, or the import's errors
	Total    int    // items to process
	Done     int    // items processed
	Failed   int    // items that failed
	Created  int64  // unix milliseconds
	Modified int64  // unix milliseconds
}

// Page selects a slice of an ordered listing.
type Page struct {
	Offset int
	Limit  int
}

// Store persists galleries, keys and targets. All methods are safe for
// concurrent use. Lookups of something absent return an error wrapping
// ErrNotFound; creating something that exists returns one wrapping ErrExists.
type Store interface {
	CreateGallery(ctx context.Context, g Gallery) (Gallery, error)
	UpdateGallery(ctx context.Context, g Gallery) error // limits and flags; not Version
	DeleteGallery(ctx context.Context, id int64) error  // with its targets, keys and change log
	Gallery(ctx context.Context, id int64) (Gallery, error)
	GalleryByName(ctx context.Context, name string) (Gallery, error)
	GalleryByAppID(ctx context.Context, appID string) (Gallery, error)
	Galleries(ctx context.Context) ([]Gallery, error)

	CreateKey(ctx context.Context, k Key) error
	Key(ctx context.Context, id string) (Key, error)
	Keys(ctx context.Context) ([]Key, error)
	DeleteKey(ctx context.Context, id string) error

	// CreateTarget inserts t (ErrExists if its ID is taken) and returns the
	// gallery version its change was logged at, which becomes its Seq.
	CreateTarget(ctx context.Context, t Target) (int64, error)
	// UpdateTarget replaces every field of the stored target with t's.
	// When t.Image is nil the stored image, its hash and size are kept.
	UpdateTarget(ctx context.Context, t Target) (int64, error)
	// DeleteTargets removes the targets with the given IDs, all or none
	// (ErrNotFound names the first missing one), logging one change each.
	DeleteTargets(ctx context.Context, gallery int64, ids []string) (int64, error)
	// Target returns one target; with image false, Target.Image stays nil.
	Target(ctx context.Context, gallery int64, id string, image bool) (Target, error)
	// TargetsByID returns the targets of the gallery with the given IDs
	// that exist, in the order of ids (a repeated ID once), with their
	// images when image is true, in one round trip: a search's matches or
	// a sync delta are read at once, not one query each.
	TargetsByID(ctx context.Context, gallery int64, ids []string, image bool) ([]Target, error)
	// TargetFeatures returns the feature records of the targets with the
	// given IDs that have one, by ID, in one round trip.
	TargetFeatures(ctx context.Context, gallery int64, ids []string) (map[string][]byte, error)
	// EachFeatures calls fn with the ID and feature record of every target
	// of the gallery that has one, stopping at the first error fn returns.
	EachFeatures(ctx context.Context, gallery int64, fn func(id string, features []byte) error) error
	// SetFeatures replaces the feature record of an existing target
	// (ErrNotFound otherwise) without logging a change: a record made
	// anew from the stored picture (for another version of the features)
	// changes nothing a follower copies.
	SetFeatures(ctx context.Context, gallery int64, id string, features []byte) error
	// TargetByImage returns a target of the gallery whose image file has
	// the given SHA-256, if any.
	TargetByImage(ctx context.Context, gallery int64, sha256 [32]byte) (Target, error)
	// TargetByImageAndName returns a target of the gallery, other than
	// the one with ID except, whose image file has the given SHA-256 and
	// whose Name is name, if any: to CRS, the same target again.
	TargetByImageAndName(ctx context.Context, gallery int64, sha256 [32]byte, name, except string) (Target, error)
	// TargetBySeq returns the target with the given sequence number.
	TargetBySeq(ctx context.Context, gallery, seq int64) (Target, error)
	// TargetByName returns the target with the given Alibaba ProductId and
	// PicName: the pair identifies a target within a gallery.
	TargetByName(ctx context.Context, gallery int64, productID, picName string) (Target, error)
	// ProductTargets lists the targets of one ProductId without images,
	// oldest first.
	ProductTargets(ctx context.Context, gallery int64, productID string) ([]Target, error)
	// Targets lists targets without images, oldest first.
	Targets(ctx context.Context, gallery int64, p Page) ([]Target, error)
	CountTargets(ctx context.Context, gallery int64) (int, error)
	// EachTarget calls fn for every target of the gallery without its image,
	// in creation order, stopping at the first error fn returns.
	EachTarget(ctx context.Context, gallery int64, fn func(Target) error) error

	// Snapshot calls fn for every target of the gallery without its image,
	// in creation order, all read at one moment, and returns the gallery
	// version of that moment.
	Snapshot(ctx context.Context, gallery int64, fn func(Target) error) (int64, error)
	// Changes returns up to limit changes with a version above since, in
	// version order.
	Changes(ctx context.Context, gallery int64, since int64, limit int) ([]Change, error)

	// CreateTask records a new background task and returns it with its ID.
	// A running task (Status TaskRunning) is the only one of its gallery
	// and kind: the check that no other is running and the insert are one
	// atomic step, and CreateTask fails with ErrTaskRunning, recording
	// nothing, when one is.
	CreateTask(ctx context.Context, t Task) (Task, error)
	// UpdateTask saves a task's progress and outcome.
	UpdateTask(ctx context.Context, t Task) error
	// Task returns one task of a gallery.
	Task(ctx context.Context, gallery, id int64) (Task, error)
	// Tasks lists a page of a gallery's tasks of one kind, newest first,
	// and how many there are in all.
	Tasks(ctx context.Context, gallery int64, kind TaskKind, p Page) ([]Task, int, error)
	// FailRunningTasks ends every running task of every gallery: its
	// Status becomes TaskFailed, with code and message, and Modified now.
	// It returns how many it ended. A server calls it as it starts, when
	// no task an earlier process began can still be running.
	FailRunningTasks(ctx context.Context, code, message string) (int, error)

	// Setting returns a server-wide value saved under name (ErrNotFound
	// if none); PutSetting saves one. They hold secrets such as the token
	// encryption key.
	Setting(ctx context.Context, name string) (string, error)
	PutSetting(ctx context.Context, name, value string) error

	Close() error
}
