package transcriptdiff

import (
	"hash/maphash"
	"math"
	"slices"
	"strings"
)

// Item is one utterance as the alignment sees it.
type Item struct {
	// Kind is the utterance kind ("speech", "narration", "heading").
	Kind string
	// Speaker says who spoke, as one comparable string ("" if no one).
	Speaker string
	// Paragraphs are the utterance's paragraphs.
	Paragraphs []string
}

// StepKind is what happened to a stretch of utterances.
type StepKind uint8

// Step kinds.
const (
	// Same: one old utterance is the new one, unchanged.
	Same StepKind = iota
	// Changed: one old utterance became one new one (its text, speaker or
	// kind changed).
	Changed
	// Merged: several consecutive old utterances became one.
	Merged
	// Split: one old utterance became several consecutive ones.
	Split
	// Deleted: an old utterance is gone.
	Deleted
	// Inserted: a new utterance has no old counterpart.
	Inserted
)

// String returns the kind's name.
func (k StepKind) String() string {
	return [...]string{"same", "changed", "merged", "split", "deleted", "inserted"}[k]
}

// Step is one step of an alignment: the old utterances (indices into the
// old version) that became the new ones (indices into the new version).
type Step struct {
	Kind StepKind
	Old  []int
	New  []int
}

// Limits of the similarity pass, tuned on the PDIS archive.
const (
	// MaxMerge is the most utterances one merge or split joins.
	MaxMerge = 8
	// minDice is the least bigram similarity (Dice) for two stretches of
	// text to be taken as versions of each other.
	minDice = 0.3
	// bandCells bounds the similarity pass over one changed stretch; a
	// larger stretch is aligned within a band around its diagonal.
	bandCells = 400_000
)

// Align tells how the utterances old became new. The steps are in order
// and together name every old and every new utterance exactly once.
//
// Utterances whose normalised text (Normalize) is equal are matched first,
// by a diff over the whole transcript; each stretch in between is then
// aligned by the least cost of turning it into the new one, where keeping
// text costs nothing, deleting or inserting text costs its length, and a
// pair of versions (one to one, several merged into one, one split into
// several) costs the text that differs between them. A pair must share at
// least 30 % of its character bigrams; merges and splits join at most
// MaxMerge utterances.
func Align(old, new []Item) []Step {
	keys := map[string]int{}
	intern := func(items []Item) ([]int, []string) {
		ids := make([]int, len(items))
		norm := make([]string, len(items))
		for i, it := range items {
			k := Normalize(strings.Join(it.Paragraphs, ""))
			norm[i] = k
			id, ok := keys[k]
			if !ok {
				id = len(keys)
				keys[k] = id
			}
			ids[i] = id
		}
		return ids, norm
	}
	a, na := intern(old)
	b, nb := intern(new)
	var steps []Step
	ops := Diff(a, b)
	for i := 0; i < len(ops); i++ {
		op := ops[i]
		switch op.Kind {
		case Equal:
			for k := 0; k < op.A1-op.A0; k++ {
				o, n := op.A0+k, op.B0+k
				kind := Same
				if !sameItem(old[o], new[n]) {
					kind = Changed
				}
				steps = append(steps, Step{Kind: kind, Old: []int{o}, New: []int{n}})
			}
		case Delete:
			if i+1 < len(ops) && ops[i+1].Kind == Insert {
				ins := ops[i+1]
				steps = append(steps, alignGap(old, new, na, nb, op.A0, op.A1, ins.B0, ins.B1)...)
				i++
				continue
			}
			for o := op.A0; o < op.A1; o++ {
				steps = append(steps, Step{Kind: Deleted, Old: []int{o}})
			}
		case Insert:
			for n := op.B0; n < op.B1; n++ {
				steps = append(steps, Step{Kind: Inserted, New: []int{n}})
			}
		}
	}
	return steps
}

func sameItem(x, y Item) bool {
	return x.Kind == y.Kind && x.Speaker == y.Speaker && slices.Equal(x.Paragraphs, y.Paragraphs)
}

var seed = maphash.MakeSeed()

// bigrams returns the sorted hashes of s's character bigrams (a single
// character counts as one).
func bigrams(s string) []uint64 {
	rs := []rune(s)
	if len(rs) == 0 {
		return nil
	}
	if len(rs) == 1 {
		return []uint64{maphash.String(seed, s)}
	}
	out := make([]uint64, len(rs)-1)
	var buf [8]byte
	for i := 0; i+1 < len(rs); i++ {
		n := copy(buf[:], string(rs[i:i+2]))
		out[i] = maphash.Bytes(seed, buf[:n])
	}
	slices.Sort(out)
	return out
}

// common counts the elements two sorted multisets share.
func common(x, y []uint64) int {
	c, i, j := 0, 0, 0
	for i < len(x) && j < len(y) {
		switch {
		case x[i] == y[j]:
			c++
			i++
			j++
		case x[i] < y[j]:
			i++
		default:
			j++
		}
	}
	return c
}

func mergeSorted(x, y []uint64) []uint64 {
	out := make([]uint64, 0, len(x)+len(y))
	i, j := 0, 0
	for i < len(x) && j < len(y) {
		if x[i] <= y[j] {
			out = append(out, x[i])
			i++
		} else {
			out = append(out, y[j])
			j++
		}
	}
	out = append(out, x[i:]...)
	return append(out, y[j:]...)
}

type move struct {
	kind StepKind
	di   int // old utterances consumed
	dj   int // new utterances consumed
}

// alignGap aligns old[a0:a1] with new[b0:b1] by least cost (see Align).
func alignGap(old, new []Item, na, nb []string, a0, a1, b0, b1 int) []Step {
	m, n := a1-a0, b1-b0
	// Bigrams of old[a0+i : a0+i+k] and new[b0+j : b0+j+k], built as
	// needed.
	jo, jn := newJoiner(na[a0:a1]), newJoiner(nb[b0:b1])
	size := func(x []uint64) int { return len(x) }
	// A pair can reach minDice only if neither side is more than
	// maxRatio times the other.
	const maxRatio = (2 - minDice) / minDice

	const inf = math.MaxInt / 4
	w := n + 1
	cost := make([]int, (m+1)*w)
	from := make([]move, (m+1)*w)
	for i := range cost {
		cost[i] = inf
	}
	cost[0] = 0
	// The band: cells near the diagonal of the stretch when it is large.
	band := m * n
	width := n + 1
	if band > bandCells {
		width = max(bandCells/max(m, 1), 2*MaxMerge+abs(n-m)/max(m, 1)+4)
	}
	inBand := func(i, j int) bool {
		if width > n {
			return true
		}
		c := i * n / max(m, 1)
		return j >= c-width && j <= c+width
	}
	pairCost := func(o, nn []uint64, extra int, spk bool) (int, bool) {
		c := common(o, nn)
		tot := size(o) + size(nn)
		if tot == 0 || float64(2*c) < minDice*float64(tot) {
			return 0, false
		}
		pc := 2*(tot-2*c) + 1 + 2*extra
		if spk {
			pc++
		}
		return pc, true
	}
	for i := 0; i <= m; i++ {
		for j := 0; j <= n; j++ {
			if !inBand(i, j) {
				continue
			}
			here := cost[i*w+j]
			if here >= inf {
				continue
			}
			relax := func(ni, nj, c int, mv move) {
				if ni > m || nj > n {
					return
				}
				if k := ni*w + nj; here+c < cost[k] {
					cost[k], from[k] = here+c, mv
				}
			}
			if i < m {
				relax(i+1, j, 2*jo.size(i, 1)+1, move{Deleted, 1, 0})
			}
			if j < n {
				relax(i, j+1, 2*jn.size(j, 1)+1, move{Inserted, 0, 1})
			}
			if i < m && j < n {
				spk := old[a0+i].Speaker != new[b0+j].Speaker
				so, sn := float64(jo.size(i, 1)), float64(jn.size(j, 1))
				if c, ok := pairCost(jo.get(i, 1), jn.get(j, 1), 0, spk); ok {
					relax(i+1, j+1, c, move{Changed, 1, 1})
				}
				for k := 2; k <= MaxMerge && i+k <= m && float64(jo.size(i, k)) <= maxRatio*sn+1; k++ {
					if c, ok := pairCost(jo.get(i, k), jn.get(j, 1), k-1, spk); ok {
						relax(i+k, j+1, c, move{Merged, k, 1})
					}
				}
				for k := 2; k <= MaxMerge && j+k <= n && float64(jn.size(j, k)) <= maxRatio*so+1; k++ {
					if c, ok := pairCost(jo.get(i, 1), jn.get(j, k), k-1, spk); ok {
						relax(i+1, j+k, c, move{Split, 1, k})
					}
				}
			}
		}
	}
	// Walk back.
	var rev []Step
	i, j := m, n
	for i > 0 || j > 0 {
		mv := from[i*w+j]
		if mv.di == 0 && mv.dj == 0 {
			// Unreachable outside the band (cannot happen: the band always
			// connects the corners by deletions and insertions).
			break
		}
		s := Step{Kind: mv.kind}
		for k := 0; k < mv.di; k++ {
			s.Old = append(s.Old, a0+i-mv.di+k)
		}
		for k := 0; k < mv.dj; k++ {
			s.New = append(s.New, b0+j-mv.dj+k)
		}
		if s.Kind == Changed && sameItem(old[s.Old[0]], new[s.New[0]]) {
			s.Kind = Same
		}
		rev = append(rev, s)
		i, j = i-mv.di, j-mv.dj
	}
	slices.Reverse(rev)
	return rev
}

// joiner gives the bigrams of runs of consecutive utterances, built when
// first asked for.
type joiner struct {
	single [][]uint64
	prefix []int        // prefix[i] = total bigrams of the first i
	memo   [][][]uint64 // memo[i][k-1] = bigrams of i .. i+k-1
}

func newJoiner(keys []string) *joiner {
	j := &joiner{single: make([][]uint64, len(keys)), prefix: make([]int, len(keys)+1), memo: make([][][]uint64, len(keys))}
	for i, k := range keys {
		j.single[i] = bigrams(k)
		j.prefix[i+1] = j.prefix[i] + len(j.single[i])
	}
	return j
}

// size is the number of bigrams of utterances i .. i+k-1.
func (j *joiner) size(i, k int) int { return j.prefix[i+k] - j.prefix[i] }

// get returns the sorted bigrams of utterances i .. i+k-1.
func (j *joiner) get(i, k int) []uint64 {
	if k == 1 {
		return j.single[i]
	}
	m := j.memo[i]
	if len(m) == 0 {
		m = append(m, j.single[i])
	}
	for len(m) < k {
		m = append(m, mergeSorted(m[len(m)-1], j.single[i+len(m)]))
	}
	j.memo[i] = m
	return m[k-1]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
