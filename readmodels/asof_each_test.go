package readmodels

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/projections/projectiontest"
)

// TestEachMergesLevels: a scan over a chain of snapshot levels (each
// holding its own documents and tombstones over the one below) yields,
// for every prefix, exactly the live documents a fold of all the levels'
// changes into one map holds, in key order, each from the highest level
// that changed it; want skips keys, fn stops the scan; while folding (the
// top level not frozen) it sees what fn changed.
func TestEachMergesLevels(t *testing.T) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(47, 1))
	key := func() string { return fmt.Sprintf("%c/%d", 'a'+rng.IntN(4), rng.IntN(60)) }
	for round := range 20 {
		want := map[string]string{}
		var top *memTx
		for level := range 1 + rng.IntN(12) {
			tx := newMemTx(nil)
			tx.base = top
			for range rng.IntN(80) {
				k := key()
				if _, ok := want[k]; ok && level > 0 && rng.IntN(4) == 0 {
					if err := tx.Delete(ctx, "c", k); err != nil {
						t.Fatal(err)
					}
					delete(want, k)
					continue
				}
				v := fmt.Sprintf("%s@%d", k, level)
				if err := tx.Put(ctx, "c", k, v); err != nil {
					t.Fatal(err)
				}
				want[k] = v
			}
			tx.freeze()
			top = tx
		}
		for _, prefix := range []string{"", "a/", "b/1", "c/5", "d/", "e/", "a"} {
			var keys []string
			for k := range want {
				if strings.HasPrefix(k, prefix) {
					keys = append(keys, k)
				}
			}
			slices.Sort(keys)
			var got []string
			err := top.Scan(ctx, "c", prefix, func(k string, raw []byte) error {
				var v string
				if err := json.Unmarshal(raw, &v); err != nil {
					return err
				}
				if v != want[k] {
					t.Errorf("round %d: %s is %q, want %q", round, k, v, want[k])
				}
				got = append(got, k)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, keys) {
				t.Fatalf("round %d, prefix %q: scanned %v, want %v", round, prefix, got, keys)
			}
			// want filters keys; fn stops the scan.
			var odd []string
			err = top.scanValues(ctx, "c", prefix, func(k string) bool { return strings.HasSuffix(k, "1") }, func(k string, _ any, _ func() ([]byte, error)) error {
				if odd = append(odd, k); len(odd) == 3 {
					return errStop
				}
				return nil
			})
			if err != nil && err != errStop {
				t.Fatal(err)
			}
			var wantOdd []string
			for _, k := range keys {
				if strings.HasSuffix(k, "1") && len(wantOdd) < 3 {
					wantOdd = append(wantOdd, k)
				}
			}
			if !slices.Equal(odd, wantOdd) {
				t.Fatalf("round %d, prefix %q, keys ending in 1: %v, want %v", round, prefix, odd, wantOdd)
			}
		}
	}

	// While folding, a scan sees the documents fn changed.
	base := newMemTx(nil)
	for _, k := range []string{"x/1", "x/2", "x/3"} {
		if err := base.Put(ctx, "c", k, "old"); err != nil {
			t.Fatal(err)
		}
	}
	base.freeze()
	tx := newMemTx(nil)
	tx.base = base
	var seen []string
	err := tx.Scan(ctx, "c", "x/", func(k string, raw []byte) error {
		seen = append(seen, k+"="+string(raw))
		if k == "x/1" {
			if err := tx.Put(ctx, "c", "x/2", "new"); err != nil {
				return err
			}
			return tx.Delete(ctx, "c", "x/3")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{`x/1="old"`, `x/2="new"`}; !slices.Equal(seen, want) {
		t.Errorf("scan while folding: %v, want %v", seen, want)
	}
}

// TestReadStreamCut: a stream cut at a position, read in pages growing
// from cutPage, is the stream's events up to that position, whichever
// page the cut falls in, and from any version.
func TestReadStreamCut(t *testing.T) {
	ctx := context.Background()
	store := projectiontest.NewStore(t)
	projectiontest.Fill(t, store, "s-", 3000, 2, 100) // s-0 and s-1 interleaved, 1,500 events each
	all, err := readStream(ctx, store, "s-0", AsOf{Position: ^eventstore.Position(0)})
	if err != nil || len(all) != 1500 {
		t.Fatalf("whole stream: %d events, %v", len(all), err)
	}
	for _, from := range []uint64{1, 200, 1400} {
		for _, cut := range []int{0, 1, 255, 256, 257, 767, 768, 1000, 1499} {
			at := AsOf{Position: all[cut].Position}
			got, err := readStreamFrom(ctx, store, "s-0", from, at)
			if err != nil {
				t.Fatal(err)
			}
			var want []eventstore.Event
			for _, ev := range all[from-1:] {
				if ev.Position <= at.Position {
					want = append(want, ev)
				}
			}
			if len(got) != len(want) || len(got) > 0 && (got[0].Position != want[0].Position || got[len(got)-1].Position != want[len(want)-1].Position) {
				t.Errorf("from version %d cut at event %d: %d events, want %d", from, cut, len(got), len(want))
			}
		}
	}
}
