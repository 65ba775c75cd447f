package fakecore

import (
	"context"
	"testing"
	"time"
)

func TestFaultsScriptedThenRates(t *testing.T) {
	var f Faults
	if k := f.Apply(context.Background(), "Any"); k != 0 {
		t.Fatalf("zero value injected %v", k)
	}
	f.FailNext("Upload", Throttle, 2)
	f.FailNext("", ServerError, 1)
	got := []FaultKind{f.Apply(context.Background(), "Upload"), f.Apply(context.Background(), "Upload"), f.Apply(context.Background(), "Upload"), f.Apply(context.Background(), "Upload")}
	want := []FaultKind{Throttle, Throttle, ServerError, 0}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("faults %v, want %v", got, want)
		}
	}
	f.SetRates(0.5, 0.25, 7)
	counts := map[FaultKind]int{}
	for range 4000 {
		counts[f.Apply(context.Background(), "X")]++
	}
	if counts[Throttle] < 1800 || counts[Throttle] > 2200 || counts[ServerError] < 850 || counts[ServerError] > 1150 {
		t.Fatalf("rates off: %v", counts)
	}
	f.Clear()
	if k := f.Apply(context.Background(), "X"); k != 0 {
		t.Fatalf("after Clear: %v", k)
	}
}

func TestLogAndKeyring(t *testing.T) {
	var l Log
	l.Add(Call{Action: "A"})
	calls := l.Calls()
	calls[0].Action = "changed"
	if l.Calls()[0].Action != "A" {
		t.Fatal("Calls does not copy")
	}
	l.Reset()
	if len(l.Calls()) != 0 {
		t.Fatal("Reset kept calls")
	}
	k := NewKeyring()
	if c, ok := k.Lookup(DefaultAccessKeyID); !ok || c.AccessKeySecret != DefaultAccessKeySecret {
		t.Fatal("default credential missing")
	}
	if _, ok := k.Lookup("nobody"); ok {
		t.Fatal("unknown key found")
	}
}

func TestConfiguring(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var c Configuring
	c.Touch("lb", "a", t0)
	if busy, _ := c.Busy("lb", t0); busy {
		t.Fatal("the zero value is busy")
	}
	c.SetWindow(10 * time.Second)
	c.Touch("lb", "listener:443", t0)
	tests := []struct {
		name     string
		key      string
		at       time.Duration
		busy     bool
		lastPart string
	}{
		{"right after the write", "lb", 0, true, "listener:443"},
		{"inside the window", "lb", 9 * time.Second, true, "listener:443"},
		{"window over", "lb", 10 * time.Second, false, ""},
		{"another resource", "lb-2", time.Second, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			busy, last := c.Busy(tt.key, t0.Add(tt.at))
			if busy != tt.busy || last != tt.lastPart {
				t.Fatalf("Busy = %v %q, want %v %q", busy, last, tt.busy, tt.lastPart)
			}
		})
	}
	c.Touch("lb", "x", t0)
	c.SetWindow(0)
	if busy, _ := c.Busy("lb", t0); busy || c.Window() != 0 {
		t.Fatal("SetWindow(0) left the resource busy")
	}
}
