package transparency

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	bolt "go.etcd.io/bbolt"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/bbolt"
	"github.com/pdis/collab-ledger/eventstore/postgres"
	"github.com/pdis/collab-ledger/eventstore/postgres/pgtest"
	"github.com/pdis/collab-ledger/projections"
)

// tickingClock records every commit a millisecond after the one before, so
// that recorded-at times are distinct and in log order.
func tickingClock() func() time.Time {
	var n atomic.Int64
	base := time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC)
	return func() time.Time { return base.Add(time.Duration(n.Add(1)) * time.Millisecond) }
}

// seedLedger runs the server's side on store: 30 events over four case
// streams, a checkpoint, 30 more, a checkpoint, and 5 more not yet covered.
// Positions: events 1-30, checkpoint 31 (size 30), events 32-61, checkpoint
// 62 (size 61), events 63-67.
func seedLedger(t *testing.T, store eventstore.Store, k testKeys) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	l, err := Open(ctx, Config{Verifiers: k.verifiers})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- l.Follow(ctx, store) }()
	pub, err := NewPublisher(PublisherConfig{Log: l, Store: store, Signer: k.signer, CatchUpTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	appendN := func(count int) {
		for range count {
			ev, err := eventstore.NewEventData("case.noted", 1, map[string]any{"n": n, "note": "會議紀錄 <ok> & \"quoted\""},
				eventstore.Metadata{ActorID: "po-7", ActorRole: "po"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Append(ctx, fmt.Sprintf("case-%d", n%4+1), eventstore.Any, ev); err != nil {
				t.Fatal(err)
			}
			n++
		}
	}
	publish := func(size int64) {
		cp, ok, err := pub.Publish(ctx)
		if err != nil || !ok || cp.Size != size {
			select {
			case ferr := <-done:
				t.Errorf("follow ended: %v", ferr)
			default:
			}
			head, _ := store.Head(ctx)
			t.Fatalf("publish: %+v %v %v, want size %d (tree %+v, head %d)", cp, ok, err, size, l.State(), head)
		}
		if err := l.WaitFor(ctx, cp.Position); err != nil {
			t.Fatal(err)
		}
	}
	appendN(30)
	publish(30)
	appendN(30)
	publish(61)
	appendN(5)
	cancel()
	<-done
}

// forgeCheckpoint appends, as anyone with write access could, a checkpoint
// signed by another key.
func forgeCheckpoint(t *testing.T, store eventstore.Store) eventstore.Position {
	t.Helper()
	forger := newKeys(t, DefaultOrigin)
	cp, err := SignCheckpoint(forger.signer, DefaultOrigin, 67, [32]byte{7})
	if err != nil {
		t.Fatal(err)
	}
	ev, _ := CheckpointEvent(cp)
	res, err := store.Append(context.Background(), CheckpointStream, eventstore.Any, ev)
	if err != nil {
		t.Fatal(err)
	}
	return res.Position
}

// tamperCase is one way of tampering and what verification must say.
type tamperCase struct {
	name   string
	kind   error
	pos    eventstore.Position
	detail string
}

var tamperCases = []tamperCase{
	{"ChangeOneByte", ErrContentChanged, 10, "its stored content hash is"},
	{"DeleteOne", ErrEventMissing, 12, "no event at position 12"},
	{"SwapTwo", ErrOrderChanged, 14, "was recorded at"},
	{"SwapTwoSameStream", ErrOrderChanged, 20, "comes before its version"},
	{"ForgedCheckpoint", ErrSignatureInvalid, 68, "no signature by a trusted key"},
}

func TestTamperEmbeddedFile(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, DefaultOrigin)
	open := func(t *testing.T, path string) *bbolt.Store {
		s, err := bbolt.Open(ctx, bbolt.Config{Path: path, Config: eventstore.Config{Now: tickingClock()}})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// withFile opens the ledger file directly, as an intruder would.
	withFile := func(t *testing.T, path string, fn func(b *bolt.Bucket) error) {
		db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := db.Update(func(tx *bolt.Tx) error { return fn(tx.Bucket([]byte("events"))) }); err != nil {
			t.Fatal(err)
		}
	}
	key := func(p uint64) []byte { return binary.BigEndian.AppendUint64(nil, p) }
	for _, tc := range append(tamperCases, tamperCase{"UnreadableRecord", ErrContentChanged, 11, "cannot be read"}) {
		t.Run(tc.name, func(t *testing.T) {
			store, path := openBolt(t)
			store.Close()
			store = open(t, path)
			seedLedger(t, store, k)
			if r, err := VerifyStore(ctx, store, VerifyConfig{Verifiers: k.verifiers}); err != nil || r.Err() != nil || r.Latest.Size != 61 || r.Uncovered() != 6 {
				t.Fatalf("before tampering: %v %v", err, r.Err())
			}
			if tc.name == "ForgedCheckpoint" {
				forgeCheckpoint(t, store)
			}
			store.Close()
			withFile(t, path, func(b *bolt.Bucket) error {
				switch tc.name {
				case "ChangeOneByte":
					v := bytes.Clone(b.Get(key(10)))
					at := bytes.Index(v, []byte("<ok>"))
					v[at+1] ^= 0x01 // "<ok>" → "<nk>" inside the event's data
					return b.Put(key(10), v)
				case "UnreadableRecord":
					v := bytes.Clone(b.Get(key(11)))
					v[0] = 9 // the record format byte
					return b.Put(key(11), v)
				case "DeleteOne":
					return b.Delete(key(12))
				case "SwapTwo":
					// Positions 14 and 17: case-2 v4 and case-1 v5; each
					// stream still reads in order, only the times and the
					// checkpoint show it.
					a, c := bytes.Clone(b.Get(key(14))), bytes.Clone(b.Get(key(17)))
					if err := b.Put(key(14), c); err != nil {
						return err
					}
					return b.Put(key(17), a)
				case "SwapTwoSameStream":
					a, c := bytes.Clone(b.Get(key(20))), bytes.Clone(b.Get(key(24)))
					if err := b.Put(key(20), c); err != nil {
						return err
					}
					return b.Put(key(24), a)
				}
				return nil
			})
			store = open(t, path)
			defer store.Close()
			r, err := VerifyStore(ctx, store, VerifyConfig{Verifiers: k.verifiers})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, r, tc.kind, tc.pos, tc.detail)
			t.Logf("named: %v", r.Err())
		})
	}
}

func TestTamperPostgres(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, DefaultOrigin)
	for _, tc := range tamperCases {
		t.Run(tc.name, func(t *testing.T) {
			db := pgtest.New(t)
			store, err := postgres.Open(ctx, db.URL, postgres.Config{Config: eventstore.Config{Now: tickingClock()}})
			if err != nil {
				t.Fatal(err)
			}
			defer store.Close()
			seedLedger(t, store, k)
			if tc.name == "ForgedCheckpoint" {
				forgeCheckpoint(t, store)
			}
			conn, err := pgx.Connect(ctx, db.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			exec := func(sql string, args ...any) {
				t.Helper()
				if _, err := conn.Exec(ctx, sql, args...); err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			// The table refuses changes; the intruder (its owner) turns
			// that off first.
			exec("ALTER TABLE events DISABLE TRIGGER USER")
			swap := func(a, b int64) {
				exec("UPDATE events SET position = 1000000 WHERE position = $1", a)
				exec("UPDATE events SET position = $1 WHERE position = $2", a, b)
				exec("UPDATE events SET position = $1 WHERE position = 1000000", b)
			}
			switch tc.name {
			case "ChangeOneByte":
				exec("UPDATE events SET data = set_byte(data, 2, get_byte(data, 2) # 1) WHERE position = 10")
			case "DeleteOne":
				exec("DELETE FROM events WHERE position = 12")
			case "SwapTwo":
				swap(14, 17)
			case "SwapTwoSameStream":
				swap(20, 24)
			}
			r, err := VerifyStore(ctx, store, VerifyConfig{Verifiers: k.verifiers})
			if err != nil {
				t.Fatal(err)
			}
			expectProblem(t, r, tc.kind, tc.pos, tc.detail)
			t.Logf("named: %v", r.Err())
		})
	}
}

// TestServerRefusesTamperedLog restarts the server's tree on a tampered
// file: Follow stops at the changed event, and nothing is signed over it.
func TestServerRefusesTamperedLog(t *testing.T) {
	ctx := context.Background()
	k := newKeys(t, DefaultOrigin)
	store, path := openBolt(t)
	seedLedger(t, store, k)
	store.Close()
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("events"))
		k := binary.BigEndian.AppendUint64(nil, 40)
		v := bytes.Clone(b.Get(k))
		v[bytes.Index(v, []byte("<ok>"))+1] ^= 1
		return b.Put(k, v)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	store2, err := bbolt.Open(ctx, bbolt.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer store2.Close()
	l, err := Open(ctx, Config{Verifiers: k.verifiers})
	if err != nil {
		t.Fatal(err)
	}
	err = l.Follow(ctx, store2)
	var p *Problem
	if !errors.As(err, &p) || !errors.Is(err, ErrContentChanged) || p.Position != 40 {
		t.Fatalf("follow over a changed event: %v", err)
	}
	if st := l.State(); st.Size != 39 {
		t.Fatalf("the tree went on past the changed event: %+v", st)
	}
	pub, err := NewPublisher(PublisherConfig{Log: l, Store: store2, Signer: k.signer})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok, err := pub.Publish(ctx); ok || !errors.Is(err, ErrContentChanged) {
		t.Fatalf("publishing over a stopped tree: %v %v", ok, err)
	}
	status, err := l.Status(ctx, store2)
	if err != nil || status.State != projections.StateFailed || status.ErrorPosition != 40 || status.Checkpoint != 39 || status.Lag != 28 || status.Projection != Name {
		t.Fatalf("status after a changed event: %+v %v", status, err)
	}
}
