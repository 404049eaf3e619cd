package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/pdis/collab-ledger/eventstore"
)

// eventColumns are the columns every read selects, in the order decode
// expects.
const eventColumns = `position, stream, version, id, type, schema_version, data,
	actor_id, actor_role, command_id, correlation_id, causation_id, occurred_at, recorded_at, hash`

const numEventColumns = 15

// columnOIDs are the types of eventColumns.
var columnOIDs = [numEventColumns]uint32{
	pgtype.Int8OID, pgtype.TextOID, pgtype.Int8OID, pgtype.UUIDOID, pgtype.TextOID, pgtype.Int4OID, pgtype.ByteaOID,
	pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.TimestamptzOID, pgtype.ByteaOID,
}

// microsecondsToY2K is the PostgreSQL epoch (2000-01-01 UTC) in Unix
// microseconds.
const microsecondsToY2K = 946_684_800 * 1_000_000

// decoder turns result rows into Events. For the binary format (what pgx
// asks for with its default statement cache) it decodes the raw bytes
// itself: no reflection, and data and repeated strings share per-call
// allocations. Any other format falls back to rows.Scan.
type decoder struct {
	binary  bool
	checked bool
	// arena holds the data of the events decoded so far; each event's Data
	// is a capacity-limited slice of it.
	arena []byte
	// strs interns repeated strings (streams, types, actors, roles).
	strs map[string]string
}

// Arena chunks start small, so that reading a few events allocates little,
// and double up to arenaChunk.
const (
	arenaFirstChunk = 2 << 10
	arenaChunk      = 64 << 10
)

// readEvents collects up to limit events from rows.
func readEvents(rows pgx.Rows, limit int) ([]eventstore.Event, error) {
	defer rows.Close()
	out := make([]eventstore.Event, 0, min(limit, 1024))
	var d decoder
	for rows.Next() {
		var ev eventstore.Event
		if err := d.decode(rows, &ev); err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func (d *decoder) decode(rows pgx.Rows, ev *eventstore.Event) error {
	if !d.checked {
		d.checked = true
		fds := rows.FieldDescriptions()
		d.binary = len(fds) == numEventColumns
		for i, fd := range fds {
			if !d.binary {
				break
			}
			want := columnOIDs[i]
			// Text is the same bytes in either format; the others must be
			// binary.
			d.binary = fd.DataTypeOID == want && (want == pgtype.TextOID || fd.Format == pgx.BinaryFormatCode)
		}
	}
	if !d.binary {
		return scanEvent(rows, ev)
	}
	raw := rows.RawValues()
	if len(raw) != numEventColumns {
		return fmt.Errorf("decode event: %d columns, want %d", len(raw), numEventColumns)
	}
	var err error
	pos, err := int8At(raw, 0, err)
	ver, err := int8At(raw, 2, err)
	sv, err := int4At(raw, 5, err)
	if err != nil {
		return err
	}
	if len(raw[3]) != 16 || len(raw[14]) != len(ev.Hash) || len(raw[13]) != 8 {
		return errors.New("decode event: malformed id, hash or recorded_at")
	}
	ev.Position = eventstore.Position(pos)
	ev.Stream = d.intern(raw[1])
	ev.Version = uint64(ver)
	ev.ID = uuid.UUID(raw[3])
	ev.Type = d.intern(raw[4])
	ev.SchemaVersion = int(sv)
	ev.Data = d.bytes(raw[6])
	ev.Metadata.ActorID = d.intern(raw[7])
	ev.Metadata.ActorRole = d.intern(raw[8])
	ev.Metadata.CommandID = string(raw[9])
	ev.Metadata.CorrelationID = string(raw[10])
	ev.Metadata.CausationID = string(raw[11])
	if raw[12] != nil {
		if len(raw[12]) != 8 {
			return errors.New("decode event: malformed occurred_at")
		}
		ev.Metadata.OccurredAt = pgTime(raw[12])
	}
	ev.RecordedAt = pgTime(raw[13])
	copy(ev.Hash[:], raw[14])
	return nil
}

func int8At(raw [][]byte, i int, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	if len(raw[i]) != 8 {
		return 0, fmt.Errorf("decode event: column %d is not an int8", i)
	}
	return int64(binary.BigEndian.Uint64(raw[i])), nil
}

func int4At(raw [][]byte, i int, err error) (int32, error) {
	if err != nil {
		return 0, err
	}
	if len(raw[i]) != 4 {
		return 0, fmt.Errorf("decode event: column %d is not an int4", i)
	}
	return int32(binary.BigEndian.Uint32(raw[i])), nil
}

// pgTime decodes a binary timestamptz: microseconds since 2000-01-01 UTC.
func pgTime(b []byte) time.Time {
	return time.UnixMicro(microsecondsToY2K + int64(binary.BigEndian.Uint64(b))).UTC()
}

// intern returns b as a string, sharing one allocation among equal values
// within a read.
func (d *decoder) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := d.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.strs == nil {
		d.strs = make(map[string]string, 64)
	}
	if len(d.strs) < 4096 {
		d.strs[s] = s
	}
	return s
}

// bytes copies b into the arena. Small values share chunks of up to
// 64 KiB; the returned slice's capacity is its length, so appending to it
// never writes into a neighbour.
func (d *decoder) bytes(b []byte) []byte {
	if len(b) > arenaChunk/4 {
		return append([]byte(nil), b...)
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		size := min(max(2*cap(d.arena), arenaFirstChunk), arenaChunk)
		d.arena = make([]byte, 0, max(size, len(b)))
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// scanEvent reads a row in any format with pgx's generic scanning.
func scanEvent(rows pgx.Rows, ev *eventstore.Event) error {
	var (
		pos, ver       int64
		sv             int32
		occurred       *time.Time
		recorded       time.Time
		data, hash     []byte
		md             eventstore.Metadata
		stream, evType string
	)
	if err := rows.Scan(&pos, &stream, &ver, &ev.ID, &evType, &sv, &data,
		&md.ActorID, &md.ActorRole, &md.CommandID, &md.CorrelationID, &md.CausationID,
		&occurred, &recorded, &hash); err != nil {
		return fmt.Errorf("decode event: %w", err)
	}
	if len(hash) != len(ev.Hash) {
		return fmt.Errorf("decode event %s: hash has %d bytes", ev.ID, len(hash))
	}
	ev.Position = eventstore.Position(pos)
	ev.Stream = stream
	ev.Version = uint64(ver)
	ev.Type = evType
	ev.SchemaVersion = int(sv)
	ev.Data = data
	if occurred != nil {
		md.OccurredAt = occurred.UTC()
	}
	ev.Metadata = md
	ev.RecordedAt = recorded.UTC()
	copy(ev.Hash[:], hash)
	return nil
}
