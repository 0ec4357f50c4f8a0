package d1

import (
	"sync"
	"time"
)

// SettingTTL is how long a Store keeps a setting it read before reading
// it again.
//
// Settings are the app's keys (the one that seals access tokens, the one
// that signs file links), each made once on first use: an app is
// assembled for every Worker request, and read both each time, two D1
// queries a request for values that never change. The Store, which an
// isolate keeps for all its requests, keeps what it read instead. What it
// wrote it does not keep: two isolates that both make a key on their
// first request write one after the other, and the next read of each
// finds the one D1 kept. The TTL bounds how long an isolate could go on
// with a value replaced after it read it.
const SettingTTL = time.Minute

// settingCache holds the settings a Store read, with when it read them.
type settingCache struct {
	mu     sync.Mutex
	values map[string]setting
}

type setting struct {
	value string
	read  time.Time
}

// get returns the value of name read within SettingTTL before now.
func (c *settingCache) get(name string, now time.Time) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.values[name]
	if !ok || now.Sub(v.read) >= SettingTTL || now.Before(v.read) {
		return "", false
	}
	return v.value, true
}

// put keeps value as name's, read at now.
func (c *settingCache) put(name, value string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.values == nil {
		c.values = map[string]setting{}
	}
	c.values[name] = setting{value, now}
}

// drop forgets name's value.
func (c *settingCache) drop(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.values, name)
}
