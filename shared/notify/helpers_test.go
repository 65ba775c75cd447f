package notify

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/chatsink"
	"github.com/certrotate/certrotate/shared/report"
)

// testdata is the module's top-level fixture folder.
const testdata = "../../testdata"

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// partialReport is testdata/report-partial.json: one target rotated, one failed, one unchanged, one skipped.
func partialReport(tb testing.TB) *report.Report {
	tb.Helper()
	var r report.Report
	if err := json.Unmarshal(readFixture(tb, "report-partial.json"), &r); err != nil {
		tb.Fatal(err)
	}
	return &r
}

// fixedNow is 89 days before the partial report's certificate expires.
var fixedNow = time.Date(2026, 5, 21, 0, 0, 0, 0, time.UTC)

// sink serves the fake chat robots on 127.0.0.1.
func sink(t *testing.T) (*chatsink.Sink, string) {
	t.Helper()
	s := chatsink.New(io.Discard)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv.URL
}

// scripted answers each request with the next status of a script (then 200 "ok"), recording bodies.
type scripted struct {
	mu       sync.Mutex
	statuses []int
	headers  map[string]string // sent with every scripted failure
	bodies   [][]byte
	reqs     []*http.Request
}

func (s *scripted) serve(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.bodies = append(s.bodies, body)
		s.reqs = append(s.reqs, r)
		status := http.StatusOK
		if len(s.statuses) > 0 {
			status, s.statuses = s.statuses[0], s.statuses[1:]
		}
		s.mu.Unlock()
		if status != http.StatusOK {
			for k, v := range s.headers {
				w.Header().Set(k, v)
			}
			http.Error(w, "scripted failure", status)
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.bodies)
}

// assertNoSecrets fails when out holds any of secrets or a PEM armour line.
func assertNoSecrets(t *testing.T, out string, secrets ...string) {
	t.Helper()
	for _, s := range append(secrets, "PRIVATE KEY", "-----BEGIN") {
		if s != "" && strings.Contains(out, s) {
			t.Fatalf("output holds %q:\n%s", s, out)
		}
	}
}
