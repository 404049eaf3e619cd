package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
)

// TestFor: every index once; an error stops its worker and is returned.
func TestFor(t *testing.T) {
	for _, n := range []int{0, 1, 7, 1000} {
		seen := make([]atomic.Int32, n)
		if err := For(n, 3, func(i int) error { seen[i].Add(1); return nil }); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if c := seen[i].Load(); c != 1 {
				t.Fatalf("n=%d: index %d called %d times", n, i, c)
			}
		}
	}
	boom := errors.New("boom")
	if err := For(100, 1, func(i int) error {
		if i == 42 {
			return boom
		}
		return nil
	}); !errors.Is(err, boom) {
		t.Fatalf("got %v", err)
	}
}
