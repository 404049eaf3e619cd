package export

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore"
	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// batchSize is how many events Log reads at a time.
const batchSize = 4096

// Log writes to w the events of store after position after, up to and
// including head, in global order: the export `collabledger export` writes
// and GET /api/v1/export streams. store is the log as stored (a sealed
// event's personal fields as commitments). With secrets, each sealed
// event's line also carries the values and salts of its committed fields
// (the auditor export, decision 0025); nil writes the public export.
// flushed, if set, is called after each batch is flushed to w's
// destination, so that a stream reaches its reader as it is written.
func Log(ctx context.Context, store eventstore.Store, secrets sealed.Secrets, after, head eventstore.Position, w *Writer, flushed func() error) error {
	pos := after
	for pos < head {
		batch, err := store.ReadAll(ctx, pos, batchSize)
		if err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		if len(batch) == 0 {
			break
		}
		kept, err := secretsOf(ctx, secrets, batch)
		if err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		for _, e := range batch {
			if e.Position > head {
				return w.Flush()
			}
			if err := w.WriteWithSecrets(e, kept[e.ID]); err != nil {
				return err
			}
			pos = e.Position
		}
		if err := w.Flush(); err != nil {
			return fmt.Errorf("export after %d: %w", pos, err)
		}
		if flushed != nil {
			if err := flushed(); err != nil {
				return fmt.Errorf("export after %d: %w", pos, err)
			}
		}
	}
	return w.Flush()
}

// secretsOf reads the kept secrets of the sealed events of batch (none
// without a secrets store: a public export).
func secretsOf(ctx context.Context, secrets sealed.Secrets, batch []eventstore.Event) (map[uuid.UUID][]sealed.Secret, error) {
	if secrets == nil {
		return nil, nil
	}
	var ids []uuid.UUID
	for _, e := range batch {
		if sealed.IsSealed(e.Data) {
			ids = append(ids, e.ID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return secrets.Get(ctx, ids...)
}
