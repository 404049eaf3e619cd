package eventstore_test

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// TestPrepareSharedAsPrepare: PrepareShared (decision 0053) returns what
// Prepare returns for every append — canonical or not, occurred-at in other
// zones, with nanoseconds or already as stored — and the caller's slice
// itself only when Prepare changed none of its events; it never modifies
// the caller's events, and refuses what Prepare refuses.
func TestPrepareSharedAsPrepare(t *testing.T) {
	cfg := eventstore.Config{}.WithDefaults()
	rng := rand.New(rand.NewPCG(53, 1))
	taipei := time.FixedZone("CST", 8*3600)
	stored := time.Date(2019, 5, 6, 7, 8, 9, 123000, time.UTC) // as Prepare keeps it
	occurred := []time.Time{{}, stored, stored.In(taipei), stored.Add(456), time.Now()}
	shared, copied := 0, 0
	for n := range 2000 {
		evs := make([]eventstore.EventData, 1+rng.IntN(5))
		unchanged := true
		for i := range evs {
			canonical := rng.IntN(4) > 0
			data := []byte(`{"a":1,"b":"x"}`)
			if !canonical {
				data = []byte(`{ "b":"x", "a":1 }`)
				unchanged = false
			}
			occ := occurred[rng.IntN(len(occurred))]
			if !occ.IsZero() && occ != stored {
				unchanged = false
			}
			evs[i] = eventstore.EventData{ID: uuid.New(), Type: "test.event", SchemaVersion: 1, Data: data, Canonical: canonical,
				Metadata: eventstore.Metadata{ActorID: "a", OccurredAt: occ}}
		}
		if n%97 == 0 {
			evs[len(evs)-1].Type = "bad type" // refused by both
		}
		before := slices.Clone(evs)
		want, werr := cfg.Prepare("s-1", evs)
		got, gerr := cfg.PrepareShared("s-1", evs)
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(got, want) {
			t.Fatalf("append %d: PrepareShared gave %v, %v; Prepare %v, %v", n, got, gerr, want, werr)
		}
		if !reflect.DeepEqual(evs, before) {
			t.Fatalf("append %d: the caller's events were modified", n)
		}
		if werr != nil {
			continue
		}
		same := &got[0] == &evs[0]
		if same != unchanged {
			t.Fatalf("append %d: result is the caller's slice: %v, nothing to change: %v", n, same, unchanged)
		}
		if same {
			shared++
		} else {
			copied++
		}
	}
	if shared < 100 || copied < 100 {
		t.Fatalf("only %d appends shared and %d copied", shared, copied)
	}
}
