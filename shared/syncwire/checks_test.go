package syncwire

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pixmatch/pixmatch/shared/index"
)

func TestCodeSize(t *testing.T) {
	for checks, want := range []int{9, 17, 25, 33} {
		if got := CodeSize(checks); got != want {
			t.Errorf("CodeSize(%d) = %d, want %d", checks, got, want)
		}
	}
}

// TestRoundTripChecks encodes random batches carrying each number of
// check words a code, 0 to index.Checks, and checks that they decode to
// the same codes, with the check words not carried zero, and that each
// code takes CodeSize(checks) bytes: the batch is longer than the same
// one carrying no check words by 8 bytes a check word of each code.
func TestRoundTripChecks(t *testing.T) {
	rnd := rand.New(rand.NewPCG(21, 22))
	for checks := range index.Checks + 1 {
		for _, kind := range []Kind{Snapshot, Delta} {
			t.Run(fmt.Sprintf("%v with %d checks", kind, checks), func(t *testing.T) {
				b := randomBatch(rnd, shape{kind: kind, records: 60, tables: 14, checks: checks, maxCodes: 20})
				data := mustEncode(t, b)
				got, err := Decode(data)
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if got.Checks != checks {
					t.Fatalf("decoded Checks = %d, want %d", got.Checks, checks)
				}
				sameBatch(t, got, b)
				codes := 0
				for _, r := range got.Records {
					codes += len(r.Codes)
					for j, c := range r.Codes {
						if slices.ContainsFunc(c.Checks[checks:], func(w uint64) bool { return w != 0 }) {
							t.Fatalf("seq %d code %d: check words beyond %d are %x, want zero", r.Seq, j, checks, c.Checks)
						}
					}
				}
				bare := withoutChecks(b)
				if extra, want := len(data)-len(mustEncode(t, bare)), (CodeSize(checks)-CodeSize(0))*codes; extra != want {
					t.Fatalf("%d codes with %d checks take %d bytes more than without checks, want %d", codes, checks, extra, want)
				}
			})
		}
	}
}

// withoutChecks returns a copy of b that carries no check words, its codes'
// check words zeroed.
func withoutChecks(b Batch) Batch {
	b.Checks = 0
	b.Records = slices.Clone(b.Records)
	for i := range b.Records {
		r := &b.Records[i]
		r.Codes = slices.Clone(r.Codes)
		for j := range r.Codes {
			r.Codes[j].Checks = [index.Checks]uint64{}
		}
	}
	return b
}

// TestEncodeRefusesCheckBeyondChecks sets each check word of a code in
// turn in batches of each number of checks: Encode writes the batch if
// the word is carried and refuses it otherwise, rather than drop the word.
func TestEncodeRefusesCheckBeyondChecks(t *testing.T) {
	for checks := range index.Checks + 1 {
		for k := range index.Checks {
			code := index.Code{Table: 1, Key: 5}
			code.Checks[k] = 1 << (20 * k)
			b := Batch{Kind: Snapshot, Fingerprint: 2, Tables: 2, Checks: checks, To: 3, Records: []Record{
				{Seq: 1, Codes: []index.Code{{Key: 1}}},
				{Seq: 3, Active: true, Codes: []index.Code{{Key: 2}, code}},
			}}
			data, err := Encode(b)
			switch {
			case k < checks && err != nil:
				t.Fatalf("%d checks, check word %d set: Encode: %v", checks, k, err)
			case k < checks:
				got, err := Decode(data)
				if err != nil {
					t.Fatalf("%d checks, check word %d set: Decode: %v", checks, k, err)
				}
				sameBatch(t, got, b)
			case !errors.Is(err, ErrFormat):
				t.Fatalf("%d checks, check word %d set: Encode = %d bytes, %v; want an error wrapping ErrFormat", checks, k, len(data), err)
			}
		}
	}
}

// TestDecodeCodeSize checks that Decode reads each code of a batch as
// CodeSize(checks) bytes: a put whose code is of that size decodes, with
// the check words carried and the others zero; one cut short anywhere in
// its code is refused as cut short, and so is one whose code is of
// another size.
func TestDecodeCodeSize(t *testing.T) {
	const key = 0x0123456789abcdef
	for checks := range index.Checks + 1 {
		put := head(1, 4, uint64(checks), 0, 10, 1).u(3).b(0x12)
		b, err := Decode(put.codeOf(checks, 2, key))
		if err != nil {
			t.Fatalf("%d checks: Decode: %v", checks, err)
		}
		want := index.Code{Table: 2, Key: key}
		copy(want.Checks[:checks], []uint64{^uint64(key), key << 1, key >> 1})
		if got := b.Records[0].Codes; len(got) != 1 || got[0] != want {
			t.Fatalf("%d checks: decoded codes %+v, want %+v", checks, got, want)
		}
		full := put.codeOf(checks, 2, key)
		for n := len(put); n < len(full); n++ {
			_, err := Decode(full[:n:n])
			if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "cut short") {
				t.Fatalf("%d checks, code of %d bytes: Decode = %v, want a code cut short", checks, n-len(put), err)
			}
		}
		for other := range index.Checks + 1 {
			if other == checks {
				continue
			}
			if _, err := Decode(put.codeOf(other, 2, key)); !errors.Is(err, ErrFormat) {
				t.Fatalf("%d checks, a code of %d: Decode = %v, want an error wrapping ErrFormat", checks, other, err)
			}
		}
	}
}
