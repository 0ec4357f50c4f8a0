package apierror_test

import (
	"errors"
	"fmt"
	"os"

	"github.com/pixmatch/pixmatch/shared/apierror"
)

// A service returns a catalogue entry carrying its cause; the handler
// finds the entry again however deeply it was wrapped, answers with its
// status, code and message, and keeps the cause for the log.
func Example() {
	_, err := os.Open("no-such-target")
	err = fmt.Errorf("get target 42: %w", apierror.CRSTargetNotFound.Because(err))

	var e *apierror.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.CRSCode(), e.Message)
	}
	fmt.Println(errors.Is(err, apierror.CRSTargetNotFound))
	fmt.Println(errors.Is(err, os.ErrNotExist))
	// Output:
	// 404 404 Target not found
	// true
	// true
}

func ExampleLookup() {
	for _, e := range apierror.Lookup(apierror.CRS, "6") {
		fmt.Println(e.Status, e.Message)
	}
	// Output:
	// 401 invalid token
	// 403 invalid appkey token
}
