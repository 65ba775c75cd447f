package fakecloud

import (
	"io"
	"net/http"
	"slices"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// Services are the names of the emulated services, as the call log and the hang fault use them.
var Services = []string{"slb", "cas", "oss", "s3", "elb", "alb", "nlb"}

// hang wraps a service's handler with the hang fault (fakecore.Faults.SetHang): a request to a
// hanging service is read and never answered, until the client gives up or the faults are
// cleared; then the connection is dropped without an answer. A stalled front end or route does
// this: the TCP connection is accepted and nothing comes back, and a client sees only its own
// timeout — which is why the SDKs have one (alibaba-cloud-sdk-go docs/5-Timeout-EN.md: read
// timeout 10 s, connect 5 s, by default; huaweicloud-sdk-go-v3 core/config/http.go: DefaultTimeout 120 s);
// seen in this project's own end-to-end run (issue 18). The call log records it with code
// "fakecloud.Hang" and status 0 (no answer).
func (c *Cloud) hang(service string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.faults.Hangs(service) {
			next.ServeHTTP(w, r)
			return
		}
		// Read the whole body first: only then does net/http notice a client that closes the
		// connection, which ends r's context.
		_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, maxAdminBody))
		start := c.now()
		c.faults.Hold(r.Context(), service)
		action := r.Method
		if a := r.Form.Get("Action"); a != "" {
			action = a
		}
		c.log.Add(fakecore.Call{Time: start, End: c.now(), Service: service, Action: action, Code: "fakecloud.Hang"})
		// Drop the connection rather than answer (the client has gone, or the fault was cleared).
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler) // net/http closes the connection without writing an answer
	})
}

// validService reports whether name is an emulated service.
func validService(name string) bool { return slices.Contains(Services, name) }
