package fakecore

import (
	"testing"
	"time"
)

func TestJobs(t *testing.T) {
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		window time.Duration
		// at is when, after the start, the job is looked at; want whether it is done then.
		at   time.Duration
		done bool
	}{
		{"no window: done at once", 0, 0, true},
		{"within the window", 10 * time.Second, 9 * time.Second, false},
		{"at the end of the window", 10 * time.Second, 10 * time.Second, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			j := NewJobs("")
			j.SetWindow(tt.window)
			var order []string
			id := j.Start("lsn-1", "Associate", t0, func() { order = append(order, "first") })
			j.Start("lsn-2", "Associate", t0, func() { order = append(order, "second") })
			if busy := j.Busy("lsn-1", t0.Add(tt.at)); busy == tt.done {
				t.Errorf("Busy = %v, want %v", busy, !tt.done)
			}
			st, ok := j.Get(id, t0.Add(tt.at))
			if !ok || st.Done != tt.done || st.Resource != "lsn-1" || st.API != "Associate" {
				t.Errorf("Get = %+v, %v", st, ok)
			}
			if tt.done && (len(order) != 2 || order[0] != "first") {
				t.Errorf("applied %v, want first then second", order)
			}
			if !tt.done && len(order) != 0 {
				t.Errorf("applied %v before the window ended", order)
			}
			if _, ok := j.Get("no-such-job", t0); ok {
				t.Error("Get of an unknown id")
			}
		})
	}
}
