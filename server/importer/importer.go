package importer

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/pixmatch/pixmatch/server/internal/crsclient"
	"github.com/pixmatch/pixmatch/shared/apierror"
)

// MaxImageBytes is the largest picture file the CRS API takes (2 MB): a
// larger one is reported as the server would refuse it (statusCode 422)
// without being read or sent.
const MaxImageBytes = 2 << 20

// JournalName is the journal's file name in the folder, when
// Options.Journal is empty.
const JournalName = ".pixmatch-import"

// attempts is how many times a request without a CRS answer, or answered
// statusCode 21 (busy), is sent.
const attempts = 3

// Options is an import.
type Options struct {
	Dir                string // the folder of pictures
	URL                string // the server, e.g. http://127.0.0.1:8080
	AppID, Key, Secret string // the gallery's appId and an API key with its secret
	Meta               string // a CSV or JSON lines file of per-picture fields (see ReadMeta), or ""
	Journal            string // the journal file (default Dir/.pixmatch-import)
	Clients            int    // requests in flight at once (default 4)
	AllowSimilar       bool   // add a picture similar to a target already there, rather than report it
	HTTP               *http.Client

	// Progress, when not nil, gets a progress bar (pictures done of all).
	Progress io.Writer
	// Acknowledged, when not nil, is called with each outcome once it is
	// in the journal, one call at a time.
	Acknowledged func(Record)
}

// outcome is what sending one picture came to.
type outcome struct {
	rec         *Record  // the server's answer, to journal; nil without one
	fail        *Failure // the failure to report, if it failed
	interrupted bool     // the run ended before an answer
}

// Run imports the pictures under o.Dir (see the package doc). It returns
// the report of what it did; when ctx ends first, the report so far and
// ctx's error. An error before any request (a folder that cannot be read,
// a meta file that does not parse or names a file that is not there, a
// journal that cannot be opened) changes nothing.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Dir == "" || o.URL == "" || o.AppID == "" || o.Key == "" || o.Secret == "" {
		return Report{}, errors.New("importer: a folder, a server URL, an appId, an API key and its secret are all needed")
	}
	pics, err := List(o.Dir)
	if err != nil {
		return Report{}, err
	}
	meta, err := readMetaFor(o.Meta, pics)
	if err != nil {
		return Report{}, err
	}
	if o.Journal == "" {
		o.Journal = filepath.Join(o.Dir, JournalName)
	}
	j, last, err := openJournal(o.Journal, o.AppID)
	if err != nil {
		return Report{}, fmt.Errorf("importer: the journal: %w", err)
	}
	defer j.Close()
	rep := Report{Pictures: len(pics)}
	var todo []Picture
	for _, p := range pics {
		if last[p.Rel].done() {
			rep.Skipped++
		} else {
			todo = append(todo, p)
		}
	}
	bar := newBar(o.Progress, len(todo), rep.Skipped)
	err = o.send(ctx, todo, meta, func(out outcome) error {
		return rep.count(out, j, o.Acknowledged, bar)
	})
	rep.Left = len(todo) - rep.Added - rep.Present - len(rep.Failed)
	if bar != nil {
		bar.Exit()
		fmt.Fprintln(o.Progress)
	}
	if err == nil {
		err = ctx.Err()
	}
	return rep, err
}

// readMetaFor reads the meta file, if any, and checks that it names only
// pictures of the folder.
func readMetaFor(name string, pics []Picture) (map[string]Entry, error) {
	if name == "" {
		return nil, nil
	}
	meta, err := ReadMeta(name)
	if err != nil {
		return nil, err
	}
	have := make(map[string]bool, len(pics))
	for _, p := range pics {
		have[p.Rel] = true
	}
	for file := range meta {
		if !have[file] {
			return nil, fmt.Errorf("%s names %q, which is not a picture under the folder", name, file)
		}
	}
	return meta, nil
}

// newBar returns a progress bar on w of the pictures to send, which
// names how many were skipped, or nil when w is nil.
func newBar(w io.Writer, todo, skipped int) *progressbar.ProgressBar {
	if w == nil {
		return nil
	}
	what := "importing"
	if skipped > 0 {
		what = fmt.Sprintf("importing (%d done before)", skipped)
	}
	return progressbar.NewOptions(todo,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("pictures"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
	)
}

// count journals an outcome and adds it to the report.
func (r *Report) count(out outcome, j *journal, ack func(Record), bar *progressbar.ProgressBar) error {
	if out.interrupted {
		return nil
	}
	if out.rec != nil {
		if err := j.append(*out.rec); err != nil {
			return fmt.Errorf("importer: the journal: %w", err)
		}
		switch out.rec.Outcome {
		case Added:
			r.Added++
		case Present:
			r.Present++
		}
	}
	if out.fail != nil {
		r.Failed = append(r.Failed, *out.fail)
	}
	if bar != nil {
		_ = bar.Add(1)
	}
	if ack != nil && out.rec != nil {
		ack(*out.rec)
	}
	return nil
}

// send sends the pictures with o.Clients workers, and hands each outcome
// to take, one at a time, in the caller's goroutine. An error from take
// stops the workers and is returned.
func (o Options) send(ctx context.Context, pics []Picture, meta map[string]Entry, take func(outcome) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c := &client{url: strings.TrimRight(o.URL, "/"), crs: crsclient.Client{AppID: o.AppID, Key: o.Key, Secret: o.Secret, HTTP: o.HTTP}}
	if c.crs.HTTP == nil {
		c.crs.HTTP = &http.Client{Timeout: 2 * time.Minute}
	}
	jobs := make(chan Picture)
	results := make(chan outcome)
	var wg sync.WaitGroup
	for range max(o.Clients, 1) {
		wg.Go(func() {
			for p := range jobs {
				results <- o.one(ctx, c, p, meta[p.Rel])
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, p := range pics {
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(results)
	}()
	var failed error
	for out := range results {
		if failed != nil {
			continue // drain: the workers stop at their next picture
		}
		if err := take(out); err != nil {
			failed = err
			cancel()
		}
	}
	return failed
}

// one sends a picture, again while there is no CRS answer or the server
// is busy, and says what it came to.
func (o Options) one(ctx context.Context, c *client, p Picture, e Entry) outcome {
	name := e.Name
	if name == "" {
		name = Name(p.Rel)
	}
	fail := func(code int, msg string) *Failure {
		return &Failure{File: p.Rel, Name: name, Code: code, Message: msg}
	}
	fields, err := o.fields(p, e, name)
	if err != nil {
		if ae := (*apierror.Error)(nil); errors.As(err, &ae) {
			f := fail(ae.CRSCode(), ae.Message)
			return outcome{rec: &Record{AppID: o.AppID, File: p.Rel, Outcome: Failed, Name: name, Code: f.Code, Message: f.Message}, fail: f}
		}
		return outcome{fail: fail(0, err.Error())}
	}
	var a answer
	for try := range attempts {
		if try > 0 && sleep(ctx, time.Duration(try)*time.Second) != nil {
			break
		}
		if a, err = c.create(ctx, fields); err == nil && a.code != apierror.CRSOverloaded.CRSCode() {
			break
		}
	}
	switch {
	case ctx.Err() != nil && (err != nil || a.code == apierror.CRSOverloaded.CRSCode()):
		return outcome{interrupted: true}
	case err != nil:
		return outcome{fail: fail(0, "no answer: "+err.Error())}
	}
	rec := &Record{AppID: o.AppID, File: p.Rel, Name: name, TargetID: a.targetID}
	switch a.code {
	case apierror.CRSOK.CRSCode():
		rec.Outcome = Added
		return outcome{rec: rec}
	case apierror.CRSTargetExists.CRSCode():
		rec.Outcome = Present
		return outcome{rec: rec}
	}
	rec.Outcome, rec.Code, rec.Message = Failed, a.code, a.message
	return outcome{rec: rec, fail: fail(a.code, a.message)}
}

// fields are the parameters of a picture's create. A file over
// MaxImageBytes is an *apierror.Error, CRSTooLarge, as the server would
// answer it.
func (o Options) fields(p Picture, e Entry, name string) (map[string]string, error) {
	st, err := os.Stat(p.Path)
	if err != nil {
		return nil, err
	}
	if st.Size() > MaxImageBytes {
		return nil, apierror.CRSTooLarge
	}
	img, err := os.ReadFile(p.Path)
	if err != nil {
		return nil, err
	}
	f := map[string]string{"image": base64.StdEncoding.EncodeToString(img), "name": name, "type": "ImageTarget", "allowSimilar": "0"}
	if o.AllowSimilar {
		f["allowSimilar"] = "1"
	}
	for k, v := range map[string]string{"meta": e.Meta, "active": e.Active, "size": e.Size} {
		if v != "" {
			f[k] = v
		}
	}
	for k, v := range e.Attrs {
		f[k] = v
	}
	return f, nil
}

// sleep waits for d, or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
