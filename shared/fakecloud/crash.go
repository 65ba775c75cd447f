package fakecloud

import (
	"net/http"
	"sync"
)

// Crash wraps the emulator's handler to simulate a function killed mid-run: once n mutating
// calls have succeeded through it, the request that made the nth is answered with a dropped
// connection (its change stays made, as when a process dies before reading the answer), kill is
// called, and every later request through it is dropped too. Requests are served one at a time.
// n < 1 never crashes.
func (c *Cloud) Crash(n int, kill func()) http.Handler {
	var (
		mu   sync.Mutex
		done int
		dead bool
	)
	inner := c.Handler()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if dead {
			panic(http.ErrAbortHandler)
		}
		before := c.log.Len()
		rec := &bufferedResponse{header: http.Header{}}
		inner.ServeHTTP(rec, r)
		for _, call := range c.log.Since(before) {
			if call.Mutating && call.Status < 300 {
				done++
			}
		}
		if n > 0 && done >= n {
			dead = true
			kill()
			panic(http.ErrAbortHandler)
		}
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.status)
		_, _ = w.Write(rec.body)
	})
}

// bufferedResponse holds an answer until the crash wrapper decides whether to send it.
type bufferedResponse struct {
	header http.Header
	status int
	body   []byte
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	b.body = append(b.body, p...)
	return len(p), nil
}
