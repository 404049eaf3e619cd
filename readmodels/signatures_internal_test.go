package readmodels

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// TestSigTimeKeyAsFormat checks the hand-written time key against
// time.Format, over random times, the edges of the years written by hand,
// and years outside them.
func TestSigTimeKeyAsFormat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	times := []time.Time{
		{}, time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 1, time.UTC),
		time.Date(2017, 3, 4, 5, 6, 7, 8, time.FixedZone("UTC+8", 8*3600)),
	}
	for range 10000 {
		times = append(times, time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(time.FixedZone("z", int(r.Int32N(50000)))))
	}
	for _, at := range times {
		want := at.UTC().Format(sigTimeLayout) + "/id-1"
		if got := sigTimeKey(at, "id-1"); got != want {
			t.Fatalf("sigTimeKey(%v) = %q, want %q", at, got, want)
		}
	}
}

// TestCanonicalUUID: a UUID taken as it is must be what parsing it and
// writing it again gives; any other spelling is parsed.
func TestCanonicalUUID(t *testing.T) {
	u := uuid.New().String()
	for _, c := range []struct {
		s    string
		want bool
	}{
		{u, true}, {strings.ToUpper(u), false}, {"urn:uuid:" + u, false}, {"{" + u + "}", false},
		{strings.ReplaceAll(u, "-", ""), false}, {u[:35] + "g", false}, {u[:8] + "x" + u[9:], false}, {"", false},
	} {
		if got := canonicalUUID(c.s); got != c.want {
			t.Errorf("canonicalUUID(%q) = %v, want %v", c.s, got, c.want)
		}
		if p, err := uuid.Parse(c.s); c.want && (err != nil || p.String() != c.s) {
			t.Errorf("%q is not canonical after all: %v, %v", c.s, p, err)
		}
	}
}
