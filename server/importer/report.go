package importer

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// Failure is a picture that was not imported, and why.
type Failure struct {
	File    string // Picture.Rel
	Name    string // the target name it was sent with
	Code    int    // the CRS statusCode the server answered (0: no answer)
	Message string // the catalogue message, or why there was no answer
}

// Report is what an import did.
type Report struct {
	Pictures int       // pictures under the folder
	Added    int       // created by this run
	Skipped  int       // recorded as done by an earlier run (added or present)
	Present  int       // already held by the server: the same name and file
	Failed   []Failure // refused by the server, or not answered, in the order they came
	Left     int       // not done because the run was interrupted: the next run sends them
}

// Write prints the report: the counts on one line, then each failure
// with its file, code and message.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "%d pictures: %d added, %d skipped (done before), %d already in the gallery, %d failed",
		r.Pictures, r.Added, r.Skipped, r.Present, len(r.Failed))
	if r.Left > 0 {
		fmt.Fprintf(w, ", %d left (interrupted)", r.Left)
	}
	fmt.Fprintln(w)
	if len(r.Failed) == 0 {
		return
	}
	fmt.Fprintln(w, "failed (run the import again to retry them):")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, f := range r.Failed {
		code := "-"
		if f.Code != 0 {
			code = fmt.Sprint(f.Code)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", f.File, code, f.Message)
	}
	tw.Flush()
}
