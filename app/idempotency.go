package app

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore"
)

// Idempotent commands.
//
// A client that gives a command its own ID (WithCommandID; the API's
// X-Command-ID) may send it again, after a timeout or a crash, and get the
// original answer: the events the first attempt stored. The same ID sent
// with a different command (another body, actor or occurred-at) is refused
// with RuleCommandIDReused.
//
// Nothing beside the log remembers a command: the events of a command with
// a client-given ID get IDs derived from it. Event i's ID is a version-8
// UUID made of SHA-256("collab-ledger command" ‖ command ID ‖ fingerprint ‖
// i), where the fingerprint is SHA-256 of the command's name, its JSON
// (with a participant's account keyed, see keyAccounts), the actor (left
// out for anonymous commands, whose author nothing may reveal) and the
// occurred-at time and reason. The CommandIndex folds the log into
// "command ID → position of its first event" for events whose ID is of
// version 8 (commands without a client ID get random version-7 IDs and are
// not indexed), so it is rebuilt from the log after a restart like any read
// model. A retry finds the first event, reads the command's events (they
// are contiguous: one append holds each command's events in a row), and
// compares the first one's ID with the ID the new command would get:
// equal, it is the same command; different, the ID was reused.

// RuleCommandIDReused refuses a command sent with the ID of another,
// different command.
const RuleCommandIDReused = "command.id_reused"

// fingerprint identifies a command as its sender gave it.
func fingerprint(c call) ([]byte, error) {
	body, err := json.Marshal(c.cmd)
	if err != nil {
		return nil, fmt.Errorf("fingerprint %s: %w", c.cmd.CommandName(), err)
	}
	h := sha256.New()
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	field([]byte(c.cmd.CommandName()))
	field(body)
	if p, ok := c.cmd.(domain.AddParticipant); ok {
		field([]byte(p.AccountKey)) // keyed; the account itself is cleared
	}
	if !anonymousCommand(c.cmd) {
		field([]byte(c.actor.String()))
	}
	at := ""
	if !c.at.IsZero() {
		at = c.at.UTC().Format(time.RFC3339Nano)
	}
	field([]byte(at))
	field([]byte(c.atReason))
	return h.Sum(nil), nil
}

// anonymousCommand reports whether cmd's events must not reveal its author.
func anonymousCommand(cmd domain.Command) bool {
	_, ok := cmd.(domain.PostQuestion)
	return ok
}

// derivedEventID is the ID of the i-th event of the command with the
// client-given ID commandID and fingerprint fp: a version-8 UUID.
func derivedEventID(commandID string, fp []byte, i int) uuid.UUID {
	h := sha256.New()
	h.Write([]byte("collab-ledger command\x00"))
	h.Write([]byte(commandID))
	h.Write([]byte{0})
	h.Write(fp)
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(i))
	h.Write(n[:])
	var id uuid.UUID
	copy(id[:], h.Sum(nil))
	id[6] = id[6]&0x0f | 0x80 // version 8
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// CommandIndex maps the client-given IDs of stored commands to the
// position of their first event, folded from the log (see above).
type CommandIndex struct {
	mu    sync.RWMutex
	first map[string]eventstore.Position
	pos   eventstore.Position
	err   error
	// changed is closed by the next fold; made only while someone waits,
	// so a bulk import's million events make no channel each.
	changed chan struct{}
}

func newCommandIndex() *CommandIndex {
	return &CommandIndex{first: map[string]eventstore.Position{}}
}

// Lookup returns the position of the first event of the command with ID id.
func (x *CommandIndex) Lookup(id string) (eventstore.Position, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p, ok := x.first[id]
	return p, ok
}

// Position returns the position of the last event the index has folded.
func (x *CommandIndex) Position() eventstore.Position {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.pos
}

// WaitFor returns once the index has folded every event up to p, or with
// ctx's error.
func (x *CommandIndex) WaitFor(ctx context.Context, p eventstore.Position) error {
	for {
		x.mu.Lock()
		pos, lastErr := x.pos, x.err
		if pos >= p {
			x.mu.Unlock()
			return nil
		}
		if x.changed == nil {
			x.changed = make(chan struct{})
		}
		ch := x.changed
		x.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("command index at %d of %d: %w", pos, p, errors.Join(ctx.Err(), lastErr))
		}
	}
}

func (x *CommandIndex) fold(ev eventstore.Event) error {
	x.mu.Lock()
	defer x.mu.Unlock()
	if ev.Position <= x.pos {
		return nil
	}
	if ev.ID.Version() == 8 && ev.Metadata.CommandID != "" {
		if _, seen := x.first[ev.Metadata.CommandID]; !seen {
			x.first[ev.Metadata.CommandID] = ev.Position
		}
	}
	x.pos, x.err = ev.Position, nil
	if x.changed != nil {
		close(x.changed)
		x.changed = nil
	}
	return nil
}

func (x *CommandIndex) setErr(err error) {
	x.mu.Lock()
	x.err = err
	x.mu.Unlock()
}

// keyLocks serialises the commands of one client-given ID within the
// process, so a retry sent while the first attempt is still running waits
// for it and then finds it.
type keyLocks struct {
	mu   sync.Mutex
	held map[string]chan struct{}
}

// lock takes id's lock, or returns ctx's error.
func (k *keyLocks) lock(ctx context.Context, id string) (unlock func(), err error) {
	for {
		k.mu.Lock()
		if k.held == nil {
			k.held = map[string]chan struct{}{}
		}
		ch, busy := k.held[id]
		if !busy {
			ch = make(chan struct{})
			k.held[id] = ch
			k.mu.Unlock()
			return func() {
				k.mu.Lock()
				delete(k.held, id)
				k.mu.Unlock()
				close(ch)
			}, nil
		}
		k.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("command %s: waiting for its first attempt: %w", id, ctx.Err())
		}
	}
}

// replay answers a command whose client-given ID is in the log: the
// original result if it is the same command, RuleCommandIDReused if not.
// found is false when the ID is not in the log.
func (l *Ledger) replay(ctx context.Context, c call, fp []byte) (res Result, found bool, err error) {
	head, err := l.store.Head(ctx)
	if err != nil {
		return Result{}, false, fmt.Errorf("command %s: %w", c.commandID, err)
	}
	if err := l.commands.WaitFor(ctx, head); err != nil {
		return Result{}, false, err
	}
	pos, ok := l.commands.Lookup(c.commandID)
	if !ok {
		return Result{}, false, nil
	}
	var evs []eventstore.Event
	for after := pos - 1; ; {
		batch, err := l.store.ReadAll(ctx, after, 256)
		if err != nil {
			return Result{}, true, fmt.Errorf("command %s: read its events: %w", c.commandID, err)
		}
		done := len(batch) < 256
		for _, ev := range batch {
			if ev.Metadata.CommandID != c.commandID || len(evs) > 0 && ev.Stream != evs[0].Stream {
				done = true
				break
			}
			evs = append(evs, ev)
			after = ev.Position
		}
		if done || len(evs) == 0 {
			break
		}
	}
	if len(evs) == 0 {
		return Result{}, true, fmt.Errorf("command %s: indexed at %d but not there", c.commandID, pos)
	}
	if evs[0].ID != derivedEventID(c.commandID, fp, 0) {
		return Result{}, true, domain.NewRuleError(domain.ErrRuleViolated, RuleCommandIDReused,
			fmt.Sprintf("command ID %q was used for another command (%s on %s); send a new ID for a new command", c.commandID, evs[0].Type, evs[0].Stream),
			fmt.Sprintf("指令代號 %q 已用於另一個指令（%s，事件串 %s）；新的指令請使用新的代號", c.commandID, evs[0].Type, evs[0].Stream))
	}
	last := evs[len(evs)-1]
	return Result{Stream: last.Stream, CommandID: c.commandID, CorrelationID: evs[0].Metadata.CorrelationID, Events: evs, Version: last.Version}, true, nil
}
