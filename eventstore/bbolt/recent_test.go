package bbolt

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// TestRecentEventsAsDecoded: what ReadAll serves from the window of recent
// events is exactly what it decodes from the file (the store reopened),
// from every starting point, across the window's trimming; odd times
// (another zone, nanoseconds, a microsecond after the epoch, before 1970)
// included. (The epoch itself is refused by validation.)
func TestRecentEventsAsDecoded(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ledger.db")
	taipei := time.FixedZone("CST", 8*3600)
	clock := time.Date(2026, 11, 23, 3, 34, 13, 123456789, taipei)
	const recentCap = 8192 // the window's size in this test
	s := openAt(t, path, func(c *Config) {
		c.recent = recentCap
		c.Now = func() time.Time { clock = clock.Add(time.Millisecond); return clock }
	})
	occurred := []time.Time{{}, time.Unix(0, 1000), time.Date(1969, 12, 31, 23, 59, 59, 999, taipei), time.Date(2019, 1, 25, 9, 0, 0, 1500, taipei)}
	const total = 2*recentCap + 3000
	for i := 0; i < total; {
		n := 1 + i%700
		evs := make([]eventstore.EventData, 0, n)
		for k := 0; k < n && i < total; k++ {
			data := make([]byte, 0, 64) // spare capacity, which readers must not share
			data = fmt.Appendf(data, `{"n":%d,"s":"é\n"}`, i)
			evs = append(evs, eventstore.EventData{ID: uuid.New(), Type: "test.event", SchemaVersion: 1, Data: data,
				Metadata: eventstore.Metadata{ActorID: "a", OccurredAt: occurred[i%len(occurred)]}})
			i++
		}
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%7), eventstore.Any, evs...); err != nil {
			t.Fatal(err)
		}
	}
	type read struct {
		after eventstore.Position
		limit int
	}
	var reads []read
	for _, after := range []eventstore.Position{0, 1, total - 2*recentCap - 1, total - recentCap - 5, total - recentCap, total - 600, total - 1, total} {
		for _, limit := range []int{1, 512, 100_000} {
			reads = append(reads, read{after, limit})
		}
	}
	fromWindow := map[read][]eventstore.Event{}
	served := 0
	for _, r := range reads {
		got, err := s.ReadAll(ctx, r.after, r.limit)
		if err != nil {
			t.Fatal(err)
		}
		fromWindow[r] = got
		if _, ok := s.tail.read(nil, r.after, eventstore.Position(total), r.limit); ok {
			served++
		}
	}
	if served == 0 {
		t.Fatal("no read was served from the window")
	}
	s.Close()
	f := openAt(t, path)
	defer f.Close()
	for _, r := range reads {
		want, err := f.ReadAll(ctx, r.after, r.limit)
		if err != nil {
			t.Fatal(err)
		}
		got := fromWindow[r]
		if len(got) != len(want) {
			t.Fatalf("after %d limit %d: %d events, the file has %d", r.after, r.limit, len(got), len(want))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want[i]) || cap(got[i].Data) != len(got[i].Data) {
				t.Fatalf("after %d limit %d: event %d:\n got %+v\nwant %+v", r.after, r.limit, i, got[i], want[i])
			}
			if err := got[i].Verify(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestSubscribeReusesNoYieldedEvent: a subscription reads its batches into
// one slice (decision 0053); the events it yielded, kept by the consumer,
// are still what ReadAll returns after every later batch, from the file and
// from the window of recent events, and two ranges over one subscription at
// once each see the whole log.
func TestSubscribeReusesNoYieldedEvent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a range that misses events fails, not hangs
	defer cancel()
	const recentCap = 4096 // the window's size in this test
	s := openAt(t, filepath.Join(t.TempDir(), "ledger.db"), func(c *Config) { c.recent = recentCap })
	const total = 3*recentCap + 700 // older events come from the file
	for i := 0; i < total; {
		n := min(1+i%900, total-i)
		evs := make([]eventstore.EventData, n)
		for k := range evs {
			evs[k] = eventstore.EventData{ID: uuid.New(), Type: "test.event", SchemaVersion: 1, Data: fmt.Appendf(nil, `{"n":%d}`, i+k)}
		}
		if _, err := s.Append(ctx, fmt.Sprintf("s-%d", i%5), eventstore.Any, evs...); err != nil {
			t.Fatal(err)
		}
		i += n
	}
	want, err := s.ReadAll(ctx, 0, total)
	if err != nil || len(want) != total {
		t.Fatalf("read %d events of %d: %v", len(want), total, err)
	}
	sub := s.Subscribe(ctx, 0)
	got := make([][]eventstore.Event, 2)
	done := make(chan error, 2)
	for r := range got {
		go func() {
			for ev, err := range sub {
				if err != nil {
					done <- err
					return
				}
				got[r] = append(got[r], ev)
				if len(got[r]) == total {
					break
				}
			}
			done <- nil
		}()
	}
	for range got {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	for r := range got {
		if !reflect.DeepEqual(got[r], want) {
			t.Fatalf("range %d: the events yielded differ from ReadAll's", r)
		}
	}
}
