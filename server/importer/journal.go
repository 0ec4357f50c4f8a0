package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
)

// The outcomes a journal records.
const (
	Added   = "added"   // the server created the target
	Present = "present" // the server holds it already: the same name and file (statusCode 403)
	Failed  = "failed"  // the server refused it (its catalogue code and message)
)

// Record is one line of the journal: a picture's outcome, as the server
// acknowledged it, in the gallery of AppID.
type Record struct {
	AppID    string `json:"appId"`
	File     string `json:"file"` // Picture.Rel
	Outcome  string `json:"outcome"`
	Name     string `json:"name,omitempty"`
	TargetID string `json:"targetId,omitempty"`
	Code     int    `json:"code,omitempty"`    // the CRS statusCode of a failure
	Message  string `json:"message,omitempty"` // its message
}

// done reports whether the picture needs no other request.
func (r Record) done() bool { return r.Outcome == Added || r.Outcome == Present }

// journal appends records to a file, one JSON line each, synced.
type journal struct {
	f *os.File
}

// openJournal reads the journal at name, if there is one, and opens it
// for appending (creating it, 0600). It returns the last record of each
// file in the gallery of appID. A last line cut short (the process died
// while writing it) is ignored, and the next record starts on a line of
// its own.
func openJournal(name, appID string) (*journal, map[string]Record, error) {
	data, err := os.ReadFile(name)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, err
	}
	last := map[string]Record{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil && r.AppID == appID && r.File != "" {
			last[r.File] = r
		}
	}
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, nil, err
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		if _, err := f.Write([]byte{'\n'}); err != nil {
			f.Close()
			return nil, nil, err
		}
	}
	return &journal{f: f}, last, nil
}

// append writes r and syncs the file: once it returns, the outcome
// survives a crash.
func (j *journal) append(r Record) error {
	line, err := json.Marshal(r)
	if err != nil {
		return err
	}
	if _, err := j.f.Write(append(line, '\n')); err != nil {
		return err
	}
	return j.f.Sync()
}

func (j *journal) Close() error { return j.f.Close() }
