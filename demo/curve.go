package demo

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// spread divides total into len(weights) whole parts proportional to the
// weights (largest remainder).
func spread(total int, weights []float64) []int {
	out := make([]int, len(weights))
	if total <= 0 || len(weights) == 0 {
		return out
	}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	type rem struct {
		i int
		r float64
	}
	rems := make([]rem, len(weights))
	given := 0
	for i, w := range weights {
		x := float64(total) * w / sum
		out[i] = int(math.Floor(x))
		given += out[i]
		rems[i] = rem{i, x - math.Floor(x)}
	}
	for given < total {
		best := 0
		for j := range rems {
			if rems[j].r > rems[best].r {
				best = j
			}
		}
		out[rems[best].i]++
		rems[best].r = -1
		given++
	}
	return out
}

// shape is a proposal's daily interest: day d after publication → weight.
type shape func(d int) float64

// burst: a launch peak decaying over tau days, a floor, and a bump (press
// coverage) of the given height around day at.
func burst(tau, floor float64, bumpAt int, bump float64) shape {
	return func(d int) float64 {
		x := float64(d - bumpAt)
		return math.Exp(-float64(d)/tau) + floor + bump*math.Exp(-x*x/6)
	}
}

func weights(sh shape, from, to int) []float64 {
	w := make([]float64, 0, to-from)
	for d := from; d < to; d++ {
		w = append(w, sh(d))
	}
	return w
}

// dailyCounts returns the signatures per day over days 0..days-1: total in
// all, and, when establishOn >= 0, exactly threshold by the end of that
// day (the threshold signature is its last).
func dailyCounts(sh shape, days, total, threshold, establishOn int) []int {
	if establishOn < 0 {
		return spread(total, weights(sh, 0, days))
	}
	before := spread(threshold, weights(sh, 0, establishOn+1))
	if before[establishOn] == 0 {
		before[establishOn]++
		before[0]--
	}
	after := spread(total-threshold, weights(sh, establishOn+1, days))
	return append(before, after...)
}

// slots are the moments of a day signatures arrive at (hour, weight): the
// commute, lunch and the evening.
var slots = []struct {
	hour   int
	weight float64
}{{7, 0.6}, {9, 1}, {11, 1.1}, {12, 1.6}, {15, 1}, {18, 1.2}, {21, 2}, {23, 0.9}}

// curve is a proposal's signatures: who signs, from which moment on.
type curve struct {
	pid       domain.ProposalID
	published time.Time
	counts    []int
	// firstSigner numbers the first signer; signers are numbered
	// consecutively (the same citizen signs several proposals).
	firstSigner int
}

// add adds the curve's signatures to the script: per day, a few moments
// (more on busy days), each with its signers decided at once.
func (s *script) addCurve(c curve) {
	rng := rand.New(rand.NewPCG(seed(string(c.pid)), 1))
	next := c.firstSigner
	day0 := time.Date(c.published.Year(), c.published.Month(), c.published.Day(), 0, 0, 0, 0, c.published.Location())
	for d, n := range c.counts {
		if n == 0 {
			continue
		}
		date := day0.AddDate(0, 0, d)
		var moments []time.Time
		var w []float64
		for _, sl := range slots {
			t := date.Add(time.Duration(sl.hour)*time.Hour + time.Duration(rng.IntN(50)+5)*time.Minute)
			if !t.After(c.published) {
				continue
			}
			moments, w = append(moments, t), append(w, sl.weight)
		}
		if len(moments) == 0 {
			panic(fmt.Sprintf("demo: no moment to sign %s on day %d", c.pid, d))
		}
		if keep := max(1, min(len(moments), n/20)); keep < len(moments) {
			// Quiet days: fewer moments, spread across the day.
			var km []time.Time
			var kw []float64
			for i := range keep {
				j := i * len(moments) / keep
				km, kw = append(km, moments[j]), append(kw, w[j])
			}
			moments, w = km, kw
		}
		for i, k := range spread(n, w) {
			signers := make([]domain.SignerID, k)
			for j := range signers {
				signers[j] = s.citizen(next)
				next++
			}
			s.sign(moments[i], c.pid, signers)
		}
	}
}

// citizen is the pseudonym of the demo's n-th verified citizen.
func (s *script) citizen(n int) domain.SignerID {
	return s.ledger.Pseudonym(fmt.Sprintf("demo-citizen-%06d", n))
}

func seed(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
