package crs

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// senseVersion finds the EasyAR Sense version a client declares in its
// User-Agent ("EasyAR Sense/4.6.0", "EasyARSense/4.1", "EasyAR/4.0"): the
// first "easyar", in any case, followed by at most one of " _-", an
// optional "sense", a slash and major.minor — what the regular expression
// (?i)easyar[ _-]?(?:sense)?/(\d+)\.(\d+) finds (FuzzSenseVersion holds
// them equal), without package regexp in the Cloudflare Worker's module.
// A number too long for an int reads as 0.
func senseVersion(ua string) (major, minor int, ok bool) {
	for i := range len(ua) {
		end, found := foldedAt(ua, i, "easyar")
		if !found {
			continue
		}
		if end < len(ua) && strings.IndexByte(" _-", ua[end]) >= 0 {
			end++
		}
		if e, found := foldedAt(ua, end, "sense"); found {
			end = e
		}
		if end >= len(ua) || ua[end] != '/' {
			continue
		}
		a, rest := leadingDigits(ua[end+1:])
		if a == "" || rest == "" || rest[0] != '.' {
			continue
		}
		b, _ := leadingDigits(rest[1:])
		if b == "" {
			continue
		}
		major, _ = strconv.Atoi(a)
		minor, _ = strconv.Atoi(b)
		return major, minor, true
	}
	return 0, 0, false
}

// foldedAt reports whether s holds word, under Unicode's simple case
// folding, at byte i, and where it ends.
func foldedAt(s string, i int, word string) (end int, ok bool) {
	for _, w := range word {
		if i >= len(s) {
			return 0, false
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if !strings.EqualFold(string(r), string(w)) {
			return 0, false
		}
		i += n
	}
	return i, true
}

// leadingDigits splits s after its leading ASCII digits.
func leadingDigits(s string) (run, rest string) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return s[:i], s[i:]
}
