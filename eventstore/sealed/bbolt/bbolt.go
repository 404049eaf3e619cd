// Package bbolt keeps sealed events' secrets in a bucket of a bbolt file:
// the embedded store's erasable companion.
package bbolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"

	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// Bucket is the bucket the secrets live in: key event ID (16 bytes) ‖ 0 ‖
// path, value the JSON of {salt, value}.
var Bucket = []byte("sealed-secrets")

// Store is a sealed.Secrets store in a bbolt database.
type Store struct {
	db    *bolt.DB
	owned bool
}

var _ sealed.Secrets = (*Store)(nil)

// New uses db (whose other buckets it leaves alone), creating the bucket.
func New(db *bolt.DB) (*Store, error) {
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(Bucket)
		return err
	}); err != nil {
		return nil, fmt.Errorf("sealed secrets: create bucket: %w", err)
	}
	return &Store{db: db}, nil
}

// Open opens (or creates) the bbolt file at path, beside the log
// ("ledger.db.secrets" next to "ledger.db"), and uses it.
func Open(path string) (*Store, error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{FreelistType: bolt.FreelistMapType, Timeout: 10 * time.Second})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: open %s: %w", path, err)
	}
	s, err := New(db)
	if err != nil {
		db.Close()
		return nil, err
	}
	s.owned = true
	return s, nil
}

// Close closes the file if Open opened it. Closing again does nothing.
func (s *Store) Close() error {
	if s.owned {
		s.owned = false
		return s.db.Close()
	}
	return nil
}

// record is a secret as stored: both as bytes (base64 in the JSON), so
// that the value keeps its exact canonical bytes.
type record struct {
	Salt  []byte `json:"salt"`
	Value []byte `json:"value"`
}

func key(event uuid.UUID, path string) []byte {
	k := make([]byte, 0, 17+len(path))
	k = append(k, event[:]...)
	k = append(k, 0)
	return append(k, path...)
}

// Put implements sealed.Secrets: one transaction, one sync.
func (s *Store) Put(_ context.Context, secrets map[uuid.UUID][]sealed.Secret) error {
	if len(secrets) == 0 {
		return nil
	}
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		for event, secs := range secrets {
			for _, sec := range secs {
				v, err := json.Marshal(record{Salt: sec.Salt, Value: []byte(sec.Value)})
				if err != nil {
					return err
				}
				if err := b.Put(key(event, sec.Path), v); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("sealed secrets: put: %w", err)
	}
	return nil
}

// scan calls fn for each secret of event, in path order.
func scan(b *bolt.Bucket, event uuid.UUID, fn func(k []byte, sec sealed.Secret) error) error {
	prefix := key(event, "")
	c := b.Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var r record
		if err := json.Unmarshal(v, &r); err != nil {
			return fmt.Errorf("secret %x: %w", k, err)
		}
		if err := fn(k, sealed.Secret{Path: string(k[len(prefix):]), Salt: r.Salt, Value: r.Value}); err != nil {
			return err
		}
	}
	return nil
}

// Get implements sealed.Secrets.
func (s *Store) Get(_ context.Context, events ...uuid.UUID) (map[uuid.UUID][]sealed.Secret, error) {
	out := map[uuid.UUID][]sealed.Secret{}
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		for _, event := range events {
			if err := scan(b, event, func(_ []byte, sec sealed.Secret) error {
				out[event] = append(out[event], sec)
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: get: %w", err)
	}
	return out, nil
}

// Erase implements sealed.Secrets.
func (s *Store) Erase(_ context.Context, event uuid.UUID, paths ...string) ([]string, error) {
	var erased []string
	err := s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(Bucket)
		var keys [][]byte
		if err := scan(b, event, func(k []byte, sec sealed.Secret) error {
			if len(paths) == 0 || slices.Contains(paths, sec.Path) {
				keys, erased = append(keys, bytes.Clone(k)), append(erased, sec.Path)
			}
			return nil
		}); err != nil {
			return err
		}
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: erase %s: %w", event, err)
	}
	return erased, nil
}

// FindPerson implements sealed.Secrets. It reads the whole bucket: erasures
// are rare staff actions.
func (s *Store) FindPerson(_ context.Context, value []byte) (map[uuid.UUID][]string, error) {
	out := map[uuid.UUID][]string{}
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(Bucket).ForEach(func(k, v []byte) error {
			var r record
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("secret %x: %w", k, err)
			}
			if bytes.Equal(r.Value, value) && len(k) > 17 {
				id, _ := uuid.FromBytes(k[:16])
				out[id] = append(out[id], string(k[17:])) // keys in path order
			}
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("sealed secrets: find person: %w", err)
	}
	return out, nil
}
