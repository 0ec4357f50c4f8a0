//go:build race

package syncwire

func init() { raceEnabled = true }
