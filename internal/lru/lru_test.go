package lru

import (
	"fmt"
	"sync"
	"testing"
)

func TestEvictsLeastRecentlyUsed(t *testing.T) {
	c := New[string, int](100)
	for i := range 4 {
		c.Put(fmt.Sprint(i), i, 25)
	}
	if _, ok := c.Get("0"); !ok { // 0 is now the most recent
		t.Fatal("0 missing")
	}
	c.Put("4", 4, 25) // over budget: 1, the least recent, goes
	if _, ok := c.Get("1"); ok {
		t.Error("1 kept")
	}
	for _, k := range []string{"0", "2", "3", "4"} {
		if v, ok := c.Get(k); !ok || fmt.Sprint(v) != k {
			t.Errorf("%s: %v %v", k, v, ok)
		}
	}
	c.Put("2", 20, 10) // replaced: its cost too
	if st := c.Stats(); st.Entries != 4 || st.Cost != 85 {
		t.Errorf("stats %+v", st)
	}
	c.Put("big", 0, 26) // over a quarter: not kept, nothing evicted
	if _, ok := c.Get("big"); ok || c.Stats().Entries != 4 {
		t.Errorf("a value over a quarter of the budget was kept: %+v", c.Stats())
	}
}

func TestConcurrent(t *testing.T) {
	c := New[int, int](1000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 1000 {
				c.Put(i%50, g, 10)
				c.Get(i % 70)
			}
		}()
	}
	wg.Wait()
	if st := c.Stats(); st.Cost > 1000 || st.Entries > 100 {
		t.Errorf("over budget: %+v", st)
	}
}
