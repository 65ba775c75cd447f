package fakecore

import (
	"context"
	"testing"
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
