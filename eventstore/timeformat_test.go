package eventstore

import (
	"math/rand/v2"
	"testing"
	"time"
)

// TestAppendTimeIsAppendFormat: the content hash's own time formatter writes
// exactly what time.Time.AppendFormat(TimeLayout) writes, in UTC, whatever
// the zone, for random instants and the edges.
func TestAppendTimeIsAppendFormat(t *testing.T) {
	taipei := time.FixedZone("Asia/Taipei", 8*3600)
	times := []time.Time{{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 11, 23, 11, 34, 13, 120000999, taipei), time.Date(2024, 2, 29, 0, 0, 0, 1000, time.UTC)}
	r := rand.New(rand.NewPCG(1, 2))
	for range 100_000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(taipei))
	}
	for _, tm := range times {
		if got, want := string(appendTime(nil, tm)), tm.UTC().Format(TimeLayout); got != want {
			t.Fatalf("%v: %s, want %s", tm, got, want)
		}
	}
}
