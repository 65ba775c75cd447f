package fakecloud

import "time"

// SetConfiguringWindow sets how long an emulated load balancer refuses writes after each write
// (0: never; see fakecore.Configuring). New starts with 0, `fakecloud serve` with
// fakecore.DefaultConfiguringWindow.
func (c *Cloud) SetConfiguringWindow(d time.Duration) { c.slb.SetConfiguringWindow(d) }

// ConfiguringWindow returns the configuring window of the emulated load balancers.
func (c *Cloud) ConfiguringWindow() time.Duration { return c.slb.ConfiguringWindow() }
