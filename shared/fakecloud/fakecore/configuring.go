package fakecore

import (
	"sync"
	"time"
)

// DefaultConfiguringWindow is the configuring window `fakecloud serve` starts with: long enough
// that two writes to one load balancer in quick succession meet it, short enough for the demo.
const DefaultConfiguringWindow = time.Second

// Configuring models resources (a load balancer, a listener) that keep applying a write in the
// background for a while after the API answered it, and refuse the next write until they are
// done. The real clouds do this: Alibaba CLB answers ServiceIsConfiguring, OperationBusy and
// BackendServer.configuring ("A previous configuration of the load balancer is pending; please
// try again later.", CLB common error codes), ALB and NLB answer IncorrectStatus.Listener while a
// listener is "Configuring". How long the real window lasts is not published: the emulator uses
// a fixed window per resource, set by SetWindow (zero, the default, turns the model off).
//
// The zero value is ready to use and safe for concurrent use. Services call Busy before a write
// and Touch after a write that succeeded, both under the lock that serialises their state, so
// that of two writes arriving together exactly one passes.
type Configuring struct {
	mu     sync.Mutex
	window time.Duration
	until  map[string]time.Time // resource key → end of its configuring window
	last   map[string]string    // resource key → the sub-resource the last write touched
}

// SetWindow sets how long a resource stays configuring after each write (0: never).
func (c *Configuring) SetWindow(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.window = d
	if d == 0 {
		c.until, c.last = nil, nil
	}
}

// Window returns the current window.
func (c *Configuring) Window() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.window
}

// Busy reports whether resource key is still configuring at now, and, if so, which sub-resource
// (a listener port, a domain extension id; "" for the resource itself) its last write touched,
// so that a service can answer the code the real one gives for that case.
func (c *Configuring) Busy(key string, now time.Time) (busy bool, lastPart string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.window == 0 {
		return false, ""
	}
	end, ok := c.until[key]
	if !ok {
		return false, ""
	}
	if !now.Before(end) {
		delete(c.until, key)
		delete(c.last, key)
		return false, ""
	}
	return true, c.last[key]
}

// Touch starts resource key's configuring window at now, after a write to part of it succeeded.
func (c *Configuring) Touch(key, part string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.window == 0 {
		return
	}
	if c.until == nil {
		c.until, c.last = map[string]time.Time{}, map[string]string{}
	}
	for k, end := range c.until { // forget windows that are over, so the maps stay small
		if !now.Before(end) {
			delete(c.until, k)
			delete(c.last, k)
		}
	}
	c.until[key] = now.Add(c.window)
	c.last[key] = part
}
