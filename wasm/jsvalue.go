//go:build js && wasm

package main

import (
	"errors"
	"math"
	"strconv"
	"syscall/js"
)

// Codes of the errors the module reports, set as the thrown Error's code.
const (
	codeArgument = "argument"
	codeContent  = "content"
	codeFilter   = "filter"
	codeFormat   = "format"
	codeGap      = "gap"
	codeVersion  = "version"
	codeInternal = "internal"
)

// callError is an error reported to JavaScript as an Error with a code.
type callError struct {
	code string
	msg  string
}

func (e *callError) Error() string { return e.msg }

// argError returns a callError for a bad argument.
func argError(msg string) error { return &callError{code: codeArgument, msg: msg} }

// handler is the Go side of one exported function.
type handler func(args []js.Value) (any, error)

// exporter turns handlers into JavaScript functions.
type exporter struct {
	// throwing wraps a function so that an Error it returns is thrown;
	// undefined when the page does not allow making it.
	throwing js.Value
}

// newExporter returns an exporter, with a throwing wrapper if the page
// allows one.
func newExporter() *exporter {
	return &exporter{throwing: makeThrowing()}
}

// throwingSource is the body of a function that takes a function f and
// returns f made to throw the Errors it returns. A Go function cannot
// throw into JavaScript itself: a panic ends the Go program.
const throwingSource = `return function () {
	const result = f.apply(this, arguments);
	if (result instanceof Error) throw result;
	return result;
};`

// makeThrowing returns the throwing wrapper, or undefined where the page's
// Content-Security-Policy forbids making functions from strings.
func makeThrowing() (wrap js.Value) {
	defer func() {
		if recover() != nil {
			wrap = js.Undefined()
		}
	}()
	return js.Global().Get("Function").New("f", throwingSource)
}

// export returns h as a JavaScript function. A panic inside h, such as a
// js.ValueError for an argument of the wrong type, is reported as an Error
// rather than ending the module.
func (x *exporter) export(h handler) js.Value {
	fn := js.FuncOf(func(_ js.Value, args []js.Value) (result any) {
		defer func() {
			if r := recover(); r != nil {
				result = jsError(panicError(r))
			}
		}()
		v, err := h(args)
		if err != nil {
			return jsError(err)
		}
		return v
	})
	if x.throwing.Type() == js.TypeFunction {
		return x.throwing.Invoke(fn)
	}
	return fn.Value
}

// panicError turns a recovered panic value into an error.
func panicError(r any) error {
	var ve *js.ValueError
	switch v := r.(type) {
	case error:
		if errors.As(v, &ve) {
			return argError("wrong argument type: " + v.Error())
		}
		return &callError{code: codeInternal, msg: "internal error: " + v.Error()}
	case string:
		return &callError{code: codeInternal, msg: "internal error: " + v}
	}
	return &callError{code: codeInternal, msg: "internal error"}
}

// jsError returns a JavaScript Error with err's message and code.
func jsError(err error) js.Value {
	code := codeInternal
	var ce *callError
	if errors.As(err, &ce) {
		code = ce.code
	}
	e := js.Global().Get("Error").New(err.Error())
	e.Set("code", code)
	return e
}

// isDefined reports whether v holds a value: neither undefined nor null.
func isDefined(v js.Value) bool { return !v.IsUndefined() && !v.IsNull() }

// arg returns args[i], or undefined past the end.
func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// intArg returns v as an integer in [lo, hi]; name is for the error.
func intArg(v js.Value, name string, lo, hi int) (int, error) {
	if v.Type() != js.TypeNumber {
		return 0, argError(name + " must be a number")
	}
	f := v.Float()
	if f != math.Trunc(f) || f < float64(lo) || f > float64(hi) {
		return 0, argError(name + " must be an integer from " + strconv.Itoa(lo) + " to " + strconv.Itoa(hi))
	}
	return int(f), nil
}

// optionalInt is intArg for an optional property of opts, def when absent.
func optionalInt(opts js.Value, name string, def, lo, hi int) (int, error) {
	if !isDefined(opts) {
		return def, nil
	}
	v := opts.Get(name)
	if !isDefined(v) {
		return def, nil
	}
	return intArg(v, name, lo, hi)
}

// byteArray returns the bytes of a Uint8Array, Uint8ClampedArray or
// ArrayBuffer as a Uint8Array or Uint8ClampedArray js.CopyBytesToGo reads.
func byteArray(v js.Value, name string) (js.Value, error) {
	g := js.Global()
	switch {
	case v.Type() != js.TypeObject:
	case v.InstanceOf(g.Get("Uint8Array")), v.InstanceOf(g.Get("Uint8ClampedArray")):
		return v, nil
	case v.InstanceOf(g.Get("ArrayBuffer")):
		return g.Get("Uint8Array").New(v), nil
	}
	return js.Value{}, argError(name + " must be a Uint8Array, Uint8ClampedArray or ArrayBuffer")
}

// toBytes copies a Uint8Array into a new Go slice.
func toBytes(v js.Value) []byte {
	b := make([]byte, v.Length())
	js.CopyBytesToGo(b, v)
	return b
}

// toUint8Array copies b into a new Uint8Array.
func toUint8Array(b []byte) js.Value {
	a := js.Global().Get("Uint8Array").New(len(b))
	js.CopyBytesToJS(a, b)
	return a
}
