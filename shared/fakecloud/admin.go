package fakecloud

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// FaultConfig is the body of POST /_fake/faults. It replaces every fault configured before.
type FaultConfig struct {
	LatencyMS    int             `json:"latency_ms"`
	ThrottleRate float64         `json:"throttle_rate"` // 0..1
	ErrorRate    float64         `json:"error_rate"`    // 0..1
	Seed         uint64          `json:"seed"`
	FailNext     []ScriptedFault `json:"fail_next,omitempty"`
	// Hang lists services (Services: "slb", "cas", "oss", "s3", "elb", "alb", "nlb") whose requests are read
	// and never answered until the faults are replaced or removed (see Cloud.hang).
	Hang []string `json:"hang,omitempty"`
}

// ScriptedFault scripts the next Count requests of Action ("" for any) to fail with Kind
// ("throttle" or "server_error").
type ScriptedFault struct {
	Action string `json:"action"`
	Kind   string `json:"kind"`
	Count  int    `json:"count"`
}

// Apply validates cfg and installs it on f, replacing what was there.
func (cfg FaultConfig) Apply(f *fakecore.Faults) error {
	var problems []string
	if cfg.LatencyMS < 0 {
		problems = append(problems, "latency_ms must be >= 0")
	}
	if cfg.ThrottleRate < 0 || cfg.ThrottleRate > 1 || cfg.ErrorRate < 0 || cfg.ErrorRate > 1 || cfg.ThrottleRate+cfg.ErrorRate > 1 {
		problems = append(problems, "throttle_rate and error_rate must be in 0..1 and sum to at most 1")
	}
	kinds := make([]fakecore.FaultKind, len(cfg.FailNext))
	for i, fn := range cfg.FailNext {
		switch fn.Kind {
		case "throttle":
			kinds[i] = fakecore.Throttle
		case "server_error":
			kinds[i] = fakecore.ServerError
		default:
			problems = append(problems, fmt.Sprintf("fail_next[%d].kind must be throttle or server_error", i))
		}
		if fn.Count < 1 {
			problems = append(problems, fmt.Sprintf("fail_next[%d].count must be >= 1", i))
		}
	}
	for i, svc := range cfg.Hang {
		if !validService(svc) {
			problems = append(problems, fmt.Sprintf("hang[%d]: %q is not a service (%s)", i, svc, strings.Join(Services, ", ")))
		}
	}
	if len(problems) > 0 {
		return fmt.Errorf("fakecloud: faults: %s", strings.Join(problems, "; "))
	}
	f.Clear()
	if len(cfg.Hang) > 0 {
		f.SetHang(cfg.Hang...)
	}
	f.SetLatency(time.Duration(cfg.LatencyMS) * time.Millisecond)
	if cfg.ThrottleRate > 0 || cfg.ErrorRate > 0 {
		f.SetRates(cfg.ThrottleRate, cfg.ErrorRate, cfg.Seed)
	}
	for i, fn := range cfg.FailNext {
		f.FailNext(fn.Action, kinds[i], fn.Count)
	}
	return nil
}

const maxAdminBody = 10 << 20

// adminHandler serves /_fake/ to loopback clients only:
//
//	GET    /_fake/state                                  Snapshot as JSON
//	GET    /_fake/calls                                  the call log
//	DELETE /_fake/calls                                  empty the call log
//	PUT    /_fake/objects/{oss|s3}/{bucket}/{key...}     store the body as an object
//	GET    /_fake/objects/{oss|s3}/{bucket}/{key...}     read an object back
//	PUT    /_fake/symlinks/{bucket}/{key...}?target=K    make an OSS symlink
//	POST   /_fake/faults                                 install a FaultConfig
//	DELETE /_fake/faults                                 remove every fault
func (c *Cloud) adminHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_fake/state", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, c.Snapshot())
	})
	mux.HandleFunc("GET /_fake/calls", func(w http.ResponseWriter, r *http.Request) {
		calls := c.Calls()
		if calls == nil {
			calls = []fakecore.Call{}
		}
		writeJSON(w, http.StatusOK, calls)
	})
	mux.HandleFunc("DELETE /_fake/calls", func(w http.ResponseWriter, r *http.Request) {
		c.ResetCalls()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_fake/objects/{store}/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		store, bucket, key, ok := objectPath(w, r)
		if !ok {
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxAdminBody))
		if err != nil {
			adminError(w, http.StatusBadRequest, "reading body: "+err.Error())
			return
		}
		c.objects.Put(store, bucket, key, body)
		writeJSON(w, http.StatusOK, map[string]any{"store": store, "bucket": bucket, "key": key, "size": len(body)})
	})
	mux.HandleFunc("GET /_fake/objects/{store}/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		store, bucket, key, ok := objectPath(w, r)
		if !ok {
			return
		}
		body, found := c.objects.Object(store, bucket, key)
		if !found {
			adminError(w, http.StatusNotFound, "no such object")
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("PUT /_fake/symlinks/{bucket}/{key...}", func(w http.ResponseWriter, r *http.Request) {
		bucket, key, target := r.PathValue("bucket"), r.PathValue("key"), r.URL.Query().Get("target")
		if bucket == "" || key == "" || target == "" {
			adminError(w, http.StatusBadRequest, "want /_fake/symlinks/{bucket}/{key}?target=KEY")
			return
		}
		c.objects.PutSymlink(bucket, key, target)
		writeJSON(w, http.StatusOK, map[string]string{"bucket": bucket, "key": key, "target": target})
	})
	mux.HandleFunc("POST /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		var cfg FaultConfig
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAdminBody))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&cfg); err != nil {
			adminError(w, http.StatusBadRequest, "faults: "+err.Error())
			return
		}
		if err := cfg.Apply(c.faults); err != nil {
			adminError(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusOK, cfg)
	})
	mux.HandleFunc("DELETE /_fake/faults", func(w http.ResponseWriter, r *http.Request) {
		c.faults.Clear()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.Handle("/_fake/chat/", chatsink.New(nil)) // fake chat robots for notify; see package chatsink
	mux.HandleFunc("/_fake/", func(w http.ResponseWriter, r *http.Request) {
		adminError(w, http.StatusNotFound, "unknown admin endpoint "+r.Method+" "+r.URL.Path+
			"; see GET /_fake/state, GET|DELETE /_fake/calls, PUT|GET /_fake/objects/{oss|s3}/{bucket}/{key}, "+
			"PUT /_fake/symlinks/{bucket}/{key}?target=, POST|DELETE /_fake/faults")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !loopback(r.RemoteAddr) {
			adminError(w, http.StatusForbidden, "admin endpoints answer loopback clients only")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func objectPath(w http.ResponseWriter, r *http.Request) (store, bucket, key string, ok bool) {
	store, bucket, key = r.PathValue("store"), r.PathValue("bucket"), r.PathValue("key")
	if store != "oss" && store != "s3" {
		adminError(w, http.StatusBadRequest, "store must be oss or s3")
		return "", "", "", false
	}
	if bucket == "" || key == "" {
		adminError(w, http.StatusBadRequest, "want /_fake/objects/{oss|s3}/{bucket}/{key}")
		return "", "", "", false
	}
	return store, bucket, key, true
}

func loopback(remoteAddr string) bool {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func adminError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
