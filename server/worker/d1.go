//go:build js && wasm

package worker

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"syscall/js"

	"github.com/pixmatch/pixmatch/server/store/d1/d1wire"
)

// OpenD1 returns the D1 database bound under binding, for d1.Open. Each
// statement is one call into worker.mjs (globalThis.pixmatchSQL), which
// runs it as syumai/workers' d1 driver does — prepare, bind, then raw
// with the column names for a query, run for an exec — and hands its
// whole answer back as one UTF-8 text (d1wire's sql.mjs), where that
// driver read each row and each of its values through a call of its own
// (d1wire says what that cost). Values bind and read back as with that
// driver, and like it, it has no transactions. A statement's wait ends
// with its context: D1 may still run a statement whose caller stopped
// waiting, as any database may.
func OpenD1(binding string) *sql.DB {
	return d1wire.Open(func(ctx context.Context, query string, args []driver.NamedValue, exec bool) ([]byte, error) {
		return runD1(ctx, binding, query, args, exec)
	})
}

// runD1 hands a statement to worker.mjs and returns its answer's text.
func runD1(ctx context.Context, binding, query string, args []driver.NamedValue, exec bool) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	bound := make([]any, len(args))
	for i, a := range args {
		switch v := a.Value.(type) {
		case []byte:
			bound[i] = jsBytes(v)
		case nil, int64, float64, bool, string:
			bound[i] = v
		default:
			return nil, fmt.Errorf("d1: cannot bind a %T", v)
		}
	}
	answer, err := await(ctx, js.Global().Call("pixmatchSQL", binding, query, bound, exec))
	if err != nil {
		return nil, fmt.Errorf("failed on promise: %w", err) // as syumai/workers' driver words it
	}
	if answer.Type() != js.TypeObject {
		return nil, d1wire.ErrNoAnswer
	}
	return goBytes(answer), nil
}
