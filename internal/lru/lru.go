// Package lru is a least-recently-used cache bounded by a budget of costs
// (bytes, usually), safe for concurrent use.
//
//	c := lru.New[string, []byte](64 << 20)
//	c.Put("k", v, len(v))
//	v, ok := c.Get("k")
package lru

import (
	"container/list"
	"sync"
)

// Cache keeps values up to a total cost; putting more evicts the least
// recently used. A value costing more than a quarter of the budget is not
// kept, so that one value cannot push out most of the others.
type Cache[K comparable, V any] struct {
	mu     sync.Mutex
	budget int
	used   int
	order  *list.List // of *entry[K, V], most recently used first
	items  map[K]*list.Element

	hits, misses uint64
}

type entry[K comparable, V any] struct {
	key  K
	val  V
	cost int
}

// Stats are a cache's counters.
type Stats struct {
	Hits, Misses uint64
	Entries      int
	Cost         int
}

// New returns a cache with the given budget (at least 1).
func New[K comparable, V any](budget int) *Cache[K, V] {
	return &Cache[K, V]{budget: max(budget, 1), order: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value kept for key, if any.
func (c *Cache[K, V]) Get(key K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		c.misses++
		var zero V
		return zero, false
	}
	c.hits++
	c.order.MoveToFront(el)
	return el.Value.(*entry[K, V]).val, true
}

// Put keeps val for key at cost, evicting the least recently used values
// beyond the budget.
func (c *Cache[K, V]) Put(key K, val V, cost int) {
	if cost > c.budget/4 {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		c.used -= el.Value.(*entry[K, V]).cost
		c.order.Remove(el)
	}
	c.items[key] = c.order.PushFront(&entry[K, V]{key: key, val: val, cost: cost})
	c.used += cost
	for c.used > c.budget {
		last := c.order.Back()
		old := last.Value.(*entry[K, V])
		c.order.Remove(last)
		delete(c.items, old.key)
		c.used -= old.cost
	}
}

// Stats returns the cache's counters.
func (c *Cache[K, V]) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	return Stats{Hits: c.hits, Misses: c.misses, Entries: c.order.Len(), Cost: c.used}
}
