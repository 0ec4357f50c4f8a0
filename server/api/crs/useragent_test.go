package crs

import (
	"regexp"
	"strconv"
	"testing"
)

// senseOracle is the regular expression senseVersion stands for.
var senseOracle = regexp.MustCompile(`(?i)easyar[ _-]?(?:sense)?/(\d+)\.(\d+)`)

// oracleVersion is what senseOracle finds in ua.
func oracleVersion(ua string) (major, minor int, ok bool) {
	m := senseOracle.FindStringSubmatch(ua)
	if m == nil {
		return 0, 0, false
	}
	major, _ = strconv.Atoi(m[1])
	minor, _ = strconv.Atoi(m[2])
	return major, minor, true
}

var userAgents = []string{
	"EasyAR Sense/4.6.0", "EasyARSense/4.1", "EasyAR/4.0", "easyar_sense/3.9 (Android)", "EASYAR-SENSE/10.02",
	"Mozilla/5.0 EasyAR Sense/4.6.0 Unity", "EasyAR Sense", "EasyAR Sense/4", "EasyAR Sense/.6", "EasyAR  Sense/4.6",
	"EasyAR Sens/4.6", "easyar/x easyar/2.3", "EasyAR Sense/4.a", "EasyAR Sense/99999999999999999999.1",
	"EaſyAR Senſe/4.7", "EasyAR_/4.1", "EasyAR-Sense-/4.1", "", "curl/8.0", "EasyAR Sense/4.6\u00a0", "easyarsense/4.06",
}

// TestSenseVersion: senseVersion finds what the regular expression
// finds in User-Agents of EasyAR's SDKs and in near misses.
func TestSenseVersion(t *testing.T) {
	for _, ua := range userAgents {
		a, b, ok := senseVersion(ua)
		wa, wb, wok := oracleVersion(ua)
		if a != wa || b != wb || ok != wok {
			t.Errorf("%q: %d.%d %v, the expression finds %d.%d %v", ua, a, b, ok, wa, wb, wok)
		}
	}
	if a, b, ok := senseVersion("Mozilla/5.0 EasyAR Sense/4.6.0"); !ok || a != 4 || b != 6 {
		t.Errorf("Sense 4.6 read as %d.%d %v", a, b, ok)
	}
}

// FuzzSenseVersion holds senseVersion equal to the regular expression.
func FuzzSenseVersion(f *testing.F) {
	for _, ua := range userAgents {
		f.Add(ua)
	}
	f.Fuzz(func(t *testing.T, ua string) {
		a, b, ok := senseVersion(ua)
		wa, wb, wok := oracleVersion(ua)
		if a != wa || b != wb || ok != wok {
			t.Errorf("%q: %d.%d %v, the expression finds %d.%d %v", ua, a, b, ok, wa, wb, wok)
		}
	})
}
