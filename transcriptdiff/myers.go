// Package transcriptdiff tells how one version of a transcript became
// another: which utterances stayed, which were corrected, merged, split,
// reclassified, reattributed, deleted or inserted (Align), and, within a
// changed paragraph, which words (Words).
//
// It follows the field's practice for raw record → published transcript:
// align utterances first by a diff over normalised text (full-width and
// ASCII punctuation folded together, white space ignored: Normalize), then
// resolve each changed stretch by similarity, where merges, splits and
// narration lines are their own kinds of step; then diff words within the
// changed paragraphs (Chinese per character, Latin per word).
//
//	steps := transcriptdiff.Align(oldItems, newItems)
//	for _, s := range steps { switch s.Kind { case transcriptdiff.Merge: ... } }
//	chunks := transcriptdiff.Words("可備預見", "可被預見") // = 可, -備, +被, 預見
//
// The diff is Myers' O(ND) algorithm in linear space (Diff), written here
// so that the package has no dependency.
package transcriptdiff

// OpKind is the kind of a run of a diff.
type OpKind uint8

// Diff run kinds.
const (
	// Equal: a[A0:A1] equals b[B0:B1].
	Equal OpKind = iota
	// Delete: a[A0:A1] is not in b.
	Delete
	// Insert: b[B0:B1] is not in a.
	Insert
)

// Op is one run of a diff, over half-open index ranges of a and b.
type Op struct {
	Kind   OpKind
	A0, A1 int
	B0, B1 int
}

// Diff returns a shortest edit script from a to b as runs in order:
// Equal, Delete and Insert runs that together cover a and b. Adjacent runs
// of the same kind are merged; in a changed stretch the Delete run comes
// before the Insert run.
func Diff[T comparable](a, b []T) []Op {
	d := differ[T]{a: a, b: b}
	d.compare(0, len(a), 0, len(b))
	return normalize(d.ops)
}

type differ[T comparable] struct {
	a, b   []T
	ops    []Op
	v1, v2 []int
}

func (d *differ[T]) emit(k OpKind, a0, a1, b0, b1 int) {
	if a0 == a1 && b0 == b1 {
		return
	}
	d.ops = append(d.ops, Op{Kind: k, A0: a0, A1: a1, B0: b0, B1: b1})
}

// normalize merges adjacent runs: equal runs together, and each stretch of
// changes into one Delete run followed by one Insert run.
func normalize(ops []Op) []Op {
	out := ops[:0]
	for i := 0; i < len(ops); {
		if ops[i].Kind == Equal {
			o := ops[i]
			for i++; i < len(ops) && ops[i].Kind == Equal; i++ {
				o.A1, o.B1 = ops[i].A1, ops[i].B1
			}
			out = append(out, o)
			continue
		}
		first := ops[i]
		last := first
		for i++; i < len(ops) && ops[i].Kind != Equal; i++ {
			last = ops[i]
		}
		if first.A0 < last.A1 {
			out = append(out, Op{Kind: Delete, A0: first.A0, A1: last.A1, B0: first.B0, B1: first.B0})
		}
		if first.B0 < last.B1 {
			out = append(out, Op{Kind: Insert, A0: last.A1, A1: last.A1, B0: first.B0, B1: last.B1})
		}
	}
	return out
}

func (d *differ[T]) compare(aLo, aHi, bLo, bHi int) {
	// Common prefix.
	p := 0
	for aLo+p < aHi && bLo+p < bHi && d.a[aLo+p] == d.b[bLo+p] {
		p++
	}
	d.emit(Equal, aLo, aLo+p, bLo, bLo+p)
	aLo, bLo = aLo+p, bLo+p
	// Common suffix, emitted last.
	s := 0
	for aHi-s > aLo && bHi-s > bLo && d.a[aHi-s-1] == d.b[bHi-s-1] {
		s++
	}
	aHi, bHi = aHi-s, bHi-s
	switch {
	case aLo == aHi:
		d.emit(Insert, aLo, aLo, bLo, bHi)
	case bLo == bHi:
		d.emit(Delete, aLo, aHi, bLo, bLo)
	default:
		x, y, ok := d.bisect(aLo, aHi, bLo, bHi)
		if ok && !(x == aLo && y == bLo) && !(x == aHi && y == bHi) {
			d.compare(aLo, x, bLo, y)
			d.compare(x, aHi, y, bHi)
		} else {
			d.emit(Delete, aLo, aHi, bLo, bLo)
			d.emit(Insert, aHi, aHi, bLo, bHi)
		}
	}
	d.emit(Equal, aHi, aHi+s, bHi, bHi+s)
}

// bisect finds the middle snake of a[aLo:aHi] and b[bLo:bHi] and returns
// where to split the problem.
func (d *differ[T]) bisect(aLo, aHi, bLo, bHi int) (int, int, bool) {
	n, m := aHi-aLo, bHi-bLo
	maxD := (n + m + 1) / 2
	off := maxD
	vlen := 2*maxD + 2
	if cap(d.v1) < vlen {
		d.v1, d.v2 = make([]int, vlen), make([]int, vlen)
	}
	v1, v2 := d.v1[:vlen], d.v2[:vlen]
	for i := range v1 {
		v1[i], v2[i] = -1, -1
	}
	v1[off+1], v2[off+1] = 0, 0
	delta := n - m
	front := delta%2 != 0
	k1start, k1end, k2start, k2end := 0, 0, 0, 0
	for dd := 0; dd < maxD; dd++ {
		for k1 := -dd + k1start; k1 <= dd-k1end; k1 += 2 {
			k1o := off + k1
			var x1 int
			if k1 == -dd || (k1 != dd && v1[k1o-1] < v1[k1o+1]) {
				x1 = v1[k1o+1]
			} else {
				x1 = v1[k1o-1] + 1
			}
			y1 := x1 - k1
			for x1 < n && y1 < m && d.a[aLo+x1] == d.b[bLo+y1] {
				x1++
				y1++
			}
			v1[k1o] = x1
			switch {
			case x1 > n:
				k1end += 2
			case y1 > m:
				k1start += 2
			case front:
				k2o := off + delta - k1
				if k2o >= 0 && k2o < vlen && v2[k2o] != -1 {
					if x2 := n - v2[k2o]; x1 >= x2 {
						return aLo + x1, bLo + y1, true
					}
				}
			}
		}
		for k2 := -dd + k2start; k2 <= dd-k2end; k2 += 2 {
			k2o := off + k2
			var x2 int
			if k2 == -dd || (k2 != dd && v2[k2o-1] < v2[k2o+1]) {
				x2 = v2[k2o+1]
			} else {
				x2 = v2[k2o-1] + 1
			}
			y2 := x2 - k2
			for x2 < n && y2 < m && d.a[aHi-x2-1] == d.b[bHi-y2-1] {
				x2++
				y2++
			}
			v2[k2o] = x2
			switch {
			case x2 > n:
				k2end += 2
			case y2 > m:
				k2start += 2
			case !front:
				k1o := off + delta - k2
				if k1o >= 0 && k1o < vlen && v1[k1o] != -1 {
					x1 := v1[k1o]
					y1 := off + x1 - k1o
					if x1 >= n-x2 {
						return aLo + x1, bLo + y1, true
					}
				}
			}
		}
	}
	return 0, 0, false
}
