//go:build race

package d1

func init() { raceEnabled = true }
