package bbolt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
	"unsafe"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
)

// recordFormat is the first byte of every stored event record. A record is:
//
//	format (1 byte, = 2)
//	id (16 bytes) · hash (32 bytes)
//	uvarint version · uvarint prev · uvarint skip · uvarint schema version
//	varint recorded-at (Unix µs) · varint occurred-at (Unix µs, 0 = unset)
//	then length-prefixed (uvarint) byte strings:
//	stream · type · data · actorId · actorRole · commandId · correlationId · causationId
//
// The global position is the record's key, not part of the value. prev is
// the position of the stream's previous event (version-1) and skip the
// position of its event at version v-lowbit(v) (0: none): the per-stream
// index is a chain through the records themselves, so an append touches no
// per-stream B+tree page (see docs/decisions/0001-embedded-store-format.md).
const recordFormat = 2

// link is a record's place in its stream's chain.
type link struct {
	version, prev, skip uint64
}

// skipVersion is the version a record at version v points its skip link at.
func skipVersion(v uint64) uint64 { return v - v&-v }

var errCorrupt = errors.New("corrupt event record")

func encodeRecord(b []byte, e *eventstore.Event, l link) []byte {
	b = append(b, recordFormat)
	b = append(b, e.ID[:]...)
	b = append(b, e.Hash[:]...)
	b = binary.AppendUvarint(b, e.Version)
	b = binary.AppendUvarint(b, l.prev)
	b = binary.AppendUvarint(b, l.skip)
	b = binary.AppendUvarint(b, uint64(e.SchemaVersion))
	b = binary.AppendVarint(b, e.RecordedAt.UnixMicro())
	var occ int64
	if !e.Metadata.OccurredAt.IsZero() {
		occ = e.Metadata.OccurredAt.UnixMicro()
		if occ == 0 {
			occ = 1 // 1970-01-01T00:00:00Z exactly is stored a microsecond later rather than lost
		}
	}
	b = binary.AppendVarint(b, occ)
	for _, s := range [...]string{e.Stream, e.Type, unsafe.String(unsafe.SliceData(e.Data), len(e.Data)),
		e.Metadata.ActorID, e.Metadata.ActorRole, e.Metadata.CommandID, e.Metadata.CorrelationID, e.Metadata.CausationID} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeRecord decodes a record. The value is copied once; the event's
// strings and data share that copy, so nothing refers to bbolt's memory
// after the transaction ends.
func decodeRecord(pos eventstore.Position, val []byte) (eventstore.Event, error) {
	if len(val) < 1+16+32 || val[0] != recordFormat {
		return eventstore.Event{}, fmt.Errorf("position %d: %w: bad header", pos, errCorrupt)
	}
	buf := make([]byte, len(val))
	copy(buf, val)
	e := eventstore.Event{Position: pos}
	e.ID = uuid.UUID(buf[1:17])
	e.Hash = eventstore.Hash(buf[17:49])
	r := buf[49:]
	u := func() uint64 {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			r = nil
			return 0
		}
		r = r[n:]
		return v
	}
	i := func() int64 {
		v, n := binary.Varint(r)
		if n <= 0 {
			r = nil
			return 0
		}
		r = r[n:]
		return v
	}
	bad := false
	str := func() []byte {
		n := u()
		if r == nil || n > uint64(len(r)) {
			bad = true
			return nil
		}
		s := r[:n:n]
		r = r[n:]
		return s
	}
	s := func() string {
		b := str()
		return unsafe.String(unsafe.SliceData(b), len(b))
	}
	e.Version = u()
	u() // prev
	u() // skip
	e.SchemaVersion = int(u())
	e.RecordedAt = time.UnixMicro(i()).UTC()
	if occ := i(); occ != 0 {
		e.Metadata.OccurredAt = time.UnixMicro(occ).UTC()
	}
	e.Stream = s()
	e.Type = s()
	e.Data = str()
	e.Metadata.ActorID = s()
	e.Metadata.ActorRole = s()
	e.Metadata.CommandID = s()
	e.Metadata.CorrelationID = s()
	e.Metadata.CausationID = s()
	if bad || r == nil || len(r) != 0 {
		return eventstore.Event{}, fmt.Errorf("position %d: %w: truncated or trailing bytes", pos, errCorrupt)
	}
	return e, nil
}

func u64(v uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], v)
	return b[:]
}

// decodeLink reads a record's version and chain links without decoding the
// rest.
func decodeLink(pos uint64, val []byte) (link, error) {
	if len(val) < 1+16+32 || val[0] != recordFormat {
		return link{}, fmt.Errorf("position %d: %w: bad header", pos, errCorrupt)
	}
	r := val[49:]
	var l link
	for _, dst := range []*uint64{&l.version, &l.prev, &l.skip} {
		v, n := binary.Uvarint(r)
		if n <= 0 {
			return link{}, fmt.Errorf("position %d: %w: bad chain links", pos, errCorrupt)
		}
		*dst, r = v, r[n:]
	}
	return l, nil
}

// head is a stream's entry in the heads bucket: its version and the
// position of its last event.
type streamHead struct {
	version, pos uint64
}

func encodeHead(h streamHead) []byte {
	b := make([]byte, 16)
	binary.BigEndian.PutUint64(b, h.version)
	binary.BigEndian.PutUint64(b[8:], h.pos)
	return b
}

func decodeHead(b []byte) (streamHead, error) {
	if len(b) != 16 {
		return streamHead{}, fmt.Errorf("%w: stream head of %d bytes", errCorrupt, len(b))
	}
	return streamHead{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}, nil
}
