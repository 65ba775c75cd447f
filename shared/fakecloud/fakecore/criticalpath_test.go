package fakecore

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// span is a hand-made call from ms a to ms b after t0.
func span(a, b int) Call {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return Call{Time: t0.Add(time.Duration(a) * time.Millisecond), End: t0.Add(time.Duration(b) * time.Millisecond)}
}

func TestCriticalPath(t *testing.T) {
	for _, tc := range []struct {
		name  string
		calls []Call
		want  int
	}{
		{"none", nil, 0},
		{"one", []Call{span(0, 50)}, 1},
		{"one after another", []Call{span(0, 50), span(51, 100), span(102, 150)}, 3},
		{"all at once", []Call{span(0, 50), span(1, 51), span(2, 52), span(0, 49), span(3, 60)}, 1},
		{"three waves", []Call{span(0, 50), span(50, 100), span(51, 101), span(52, 99), span(101, 150), span(102, 160)}, 3},
		{"starts when the previous ended", []Call{span(0, 50), span(50, 100)}, 2},
		{"overlaps by a millisecond", []Call{span(0, 50), span(49, 100)}, 1},
		{"a long call beside a chain of short ones", []Call{span(0, 100), span(1, 2), span(3, 4), span(5, 6), span(101, 102)}, 4},
		{"log order is not time order", []Call{span(100, 150), span(0, 50), span(50, 100)}, 3},
		{"no End: ends when it started", []Call{{Time: span(0, 0).Time}, span(0, 10)}, 2},
		{"zero-length calls at one instant chain", []Call{span(5, 5), span(5, 5), span(5, 9)}, 3},
	} {
		if got := CriticalPath(tc.calls); got != tc.want {
			t.Errorf("%s: CriticalPath = %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestCriticalPathMatchesSearch checks CriticalPath against an exhaustive search over every
// chain of distinct calls, on small random logs with many ties.
func TestCriticalPathMatchesSearch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 2000 {
		n := rng.IntN(8)
		calls := make([]Call, n)
		for i := range calls {
			a := rng.IntN(6)
			calls[i] = span(a, a+rng.IntN(3))
		}
		if got, want := CriticalPath(calls), longestBySearch(calls); got != want {
			t.Fatalf("round %d: CriticalPath = %d, search finds %d, calls %v", round, got, want, spans(calls))
		}
	}
}

func longestBySearch(calls []Call) int {
	used := make([]bool, len(calls))
	var from func(last int) int
	from = func(last int) int {
		best := 0
		for i, c := range calls {
			if used[i] || (last >= 0 && c.Time.Before(calls[last].End)) {
				continue
			}
			used[i] = true
			best = max(best, 1+from(i))
			used[i] = false
		}
		return best
	}
	return from(-1)
}

func spans(calls []Call) [][2]int64 {
	var out [][2]int64
	for _, c := range calls {
		out = append(out, [2]int64{c.Time.UnixMilli() % 1000, c.End.UnixMilli() % 1000})
	}
	return slices.Clip(out)
}
