package sessionstore

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"
)

var bucketSessions = []byte("sessions")

// Bolt keeps sessions in a bbolt file of their own beside the embedded
// store (the store's file is held by its own process): a restart keeps
// them; one server only, as the embedded store.
type Bolt struct {
	db *bolt.DB
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (or creates) the sessions file at path.
func OpenBolt(path string) (*Bolt, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("sessions: open %s: %w", path, err)
	}
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(bucketSessions)
		return err
	}); err != nil {
		db.Close()
		return nil, fmt.Errorf("sessions: open %s: %w", path, err)
	}
	return &Bolt{db: db}, nil
}

// Close closes the file.
func (s *Bolt) Close() error { return s.db.Close() }

// A value is the expiry (Unix nanoseconds, 8 bytes big-endian) followed by
// the data.
func encodeBolt(rec Record) []byte {
	v := make([]byte, 8+len(rec.Data))
	binary.BigEndian.PutUint64(v, uint64(rec.Expires.UnixNano()))
	copy(v[8:], rec.Data)
	return v
}

func decodeBolt(v []byte) (Record, bool) {
	if len(v) < 8 {
		return Record{}, false
	}
	return Record{Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v))), Data: append([]byte(nil), v[8:]...)}, true
}

// Put implements Store.
func (s *Bolt) Put(_ context.Context, key Key, rec Record) error {
	err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Put(key[:], encodeBolt(rec)) })
	if err != nil {
		return fmt.Errorf("sessions: put: %w", err)
	}
	return nil
}

// Get implements Store.
func (s *Bolt) Get(_ context.Context, key Key, now time.Time) (Record, bool, error) {
	var (
		rec Record
		ok  bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		rec, ok = decodeBolt(tx.Bucket(bucketSessions).Get(key[:]))
		return nil
	})
	if err != nil {
		return Record{}, false, fmt.Errorf("sessions: get: %w", err)
	}
	if !ok || !now.Before(rec.Expires) {
		return Record{}, false, nil
	}
	return rec, true, nil
}

// Delete implements Store.
func (s *Bolt) Delete(_ context.Context, key Key) error {
	if err := s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(bucketSessions).Delete(key[:]) }); err != nil {
		return fmt.Errorf("sessions: delete: %w", err)
	}
	return nil
}

// Sweep implements Store.
func (s *Bolt) Sweep(_ context.Context, now time.Time) error {
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketSessions)
		c := b.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if rec, ok := decodeBolt(v); !ok || !now.Before(rec.Expires) {
				if err := c.Delete(); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sessions: sweep: %w", err)
	}
	return nil
}
