package app

import (
	"bytes"
	"testing"

	"github.com/google/uuid"
)

// TestRandomBlockIDs: the IDs a batch takes from one randomBlock (decision
// 0053) are well-formed version-4 and version-7 UUIDs, all different, across
// many blocks, and the bytes it hands out are never handed out twice.
func TestRandomBlockIDs(t *testing.T) {
	for _, want := range []int{1, 3, 256, 5000} {
		r := newRandomBlock(want)
		seen := map[uuid.UUID]bool{}
		for i := range 3 * want {
			var id uuid.UUID
			var err error
			if i%2 == 0 {
				id, err = uuid.NewRandomFromReader(r)
			} else {
				id, err = uuid.NewV7FromReader(r)
			}
			if err != nil {
				t.Fatal(err)
			}
			if v := id.Version(); v != 4 && i%2 == 0 || v != 7 && i%2 == 1 || id.Variant() != uuid.RFC4122 {
				t.Fatalf("id %d of %d: %s is version %d, variant %s", i, want, id, v, id.Variant())
			}
			if seen[id] {
				t.Fatalf("id %s twice", id)
			}
			seen[id] = true
		}
	}
	// Reads of any size, across blocks: no run of bytes repeats.
	r := newRandomBlock(10)
	var all []byte
	for n := 1; len(all) < 3*randomBlockMax; n += 7 {
		p := make([]byte, n)
		if k, err := r.Read(p); err != nil || k != n {
			t.Fatalf("read %d of %d: %v", k, n, err)
		}
		all = append(all, p...)
	}
	for i := 0; i+32 <= len(all); i += 32 {
		if bytes.Contains(all[i+32:], all[i:i+32]) {
			t.Fatalf("the bytes at %d are handed out again", i)
		}
	}
}
