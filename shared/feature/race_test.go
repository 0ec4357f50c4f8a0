//go:build race

package feature

func init() { raceEnabled = true }
