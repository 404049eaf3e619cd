package app

import (
	"crypto/rand"
	"io"
)

// randomBlockMax is the most random bytes a randomBlock reads at a time:
// 256 IDs.
const randomBlockMax = 4096

// randomBlock hands out random bytes from crypto/rand, read a block at a
// time rather than once per ID: a batch of signatures needs a command ID
// and an event ID each (decision 0053). The IDs are as random as
// uuid.NewRandom's and uuid.NewV7's, which read crypto/rand 16 bytes at a
// time. It is used by one goroutine; its bytes are handed out once.
type randomBlock struct {
	buf  []byte
	next int // buf[next:] is still unused
	want int // how many bytes the caller expects to use, bounding the first block
}

// newRandomBlock returns a source for about ids IDs.
func newRandomBlock(ids int) *randomBlock { return &randomBlock{want: 16 * max(ids, 1)} }

// Read implements io.Reader: it fills p with random bytes, or returns
// crypto/rand's error.
func (r *randomBlock) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if r.next == len(r.buf) {
			size := min(max(r.want, len(p)-n), randomBlockMax)
			if cap(r.buf) < size {
				r.buf = make([]byte, size)
			}
			r.buf = r.buf[:size]
			if _, err := io.ReadFull(rand.Reader, r.buf); err != nil {
				r.buf, r.next = r.buf[:0], 0
				return n, err
			}
			r.next = 0
			r.want = randomBlockMax // later blocks: as large as allowed
		}
		c := copy(p[n:], r.buf[r.next:])
		r.next += c
		n += c
	}
	return n, nil
}
