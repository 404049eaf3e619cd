// Package sealedtest is the conformance suite every sealed.Secrets passes.
package sealedtest

import (
	"context"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/pdis/collab-ledger/eventstore/sealed"
)

// Run checks a Secrets store made fresh by open for each subtest.
func Run(t *testing.T, open func(t *testing.T) sealed.Secrets) {
	ctx := context.Background()
	ev1, ev2 := uuid.New(), uuid.New()
	alice, bob := []byte(`"alice-pseudonym"`), []byte(`"bob-pseudonym"`)
	sec := func(path string, value []byte) sealed.Secret {
		return sealed.Secret{Path: path, Salt: []byte("0123456789abcdef0123456789abcdef")[:32], Value: value}
	}
	paths := func(ss []sealed.Secret) []string {
		var out []string
		for _, s := range ss {
			out = append(out, s.Path)
		}
		return out
	}

	get := func(t *testing.T, s sealed.Secrets, id uuid.UUID) ([]sealed.Secret, error) {
		m, err := s.Get(ctx, id)
		if err == nil && len(m) > 1 {
			t.Fatalf("Get(%s) returned %d events", id, len(m))
		}
		return m[id], err
	}

	t.Run("PutGet", func(t *testing.T) {
		s := open(t)
		in := []sealed.Secret{sec("signer", alice), sec("reason", []byte(`"duplicate"`))}
		if err := s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev1: in}); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev1: in}); err != nil { // a retried append
			t.Fatalf("put again: %v", err)
		}
		got, err := get(t, s, ev1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(paths(got), []string{"reason", "signer"}) {
			t.Fatalf("paths %q, want reason, signer in order", paths(got))
		}
		for _, g := range got {
			want := in[slices.IndexFunc(in, func(s sealed.Secret) bool { return s.Path == g.Path })]
			if string(g.Value) != string(want.Value) || string(g.Salt) != string(want.Salt) {
				t.Errorf("%s: got %s/%x, want %s/%x", g.Path, g.Value, g.Salt, want.Value, want.Salt)
			}
		}
		if got, err := get(t, s, ev2); err != nil || len(got) != 0 {
			t.Errorf("unknown event: %v, %v", got, err)
		}
	})

	t.Run("ManyAtOnce", func(t *testing.T) {
		s := open(t)
		ev3 := uuid.New()
		if err := s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev1: {sec("signer", alice)}, ev2: {sec("signer", bob)}}); err != nil {
			t.Fatal(err)
		}
		m, err := s.Get(ctx, ev1, ev2, ev3)
		if err != nil || len(m) != 2 || string(m[ev1][0].Value) != string(alice) || string(m[ev2][0].Value) != string(bob) {
			t.Fatalf("get many: %v, %v", m, err)
		}
	})

	t.Run("EraseOneField", func(t *testing.T) {
		s := open(t)
		if err := s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev1: {sec("signer", alice), sec("reason", []byte(`"x"`))}}); err != nil {
			t.Fatal(err)
		}
		erased, err := s.Erase(ctx, ev1, "reason")
		if err != nil || !slices.Equal(erased, []string{"reason"}) {
			t.Fatalf("erase: %q, %v", erased, err)
		}
		got, _ := get(t, s, ev1)
		if !slices.Equal(paths(got), []string{"signer"}) {
			t.Fatalf("after erasing reason: %q", paths(got))
		}
		erased, err = s.Erase(ctx, ev1)
		if err != nil || !slices.Equal(erased, []string{"signer"}) {
			t.Fatalf("erase all: %q, %v", erased, err)
		}
		if got, _ := get(t, s, ev1); len(got) != 0 {
			t.Fatalf("after erasing all: %q", paths(got))
		}
		if erased, err := s.Erase(ctx, ev1); err != nil || len(erased) != 0 {
			t.Fatalf("erasing nothing: %q, %v", erased, err)
		}
	})

	t.Run("FindPerson", func(t *testing.T) {
		s := open(t)
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev1: {sec("signer", alice), sec("reason", []byte(`"alice-pseudonym was a duplicate"`))}}))
		must(s.Put(ctx, map[uuid.UUID][]sealed.Secret{ev2: {sec("from.actorId", alice), sec("to.actorId", bob)}}))
		got, err := s.FindPerson(ctx, alice)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || !slices.Equal(got[ev1], []string{"signer"}) || !slices.Equal(got[ev2], []string{"from.actorId"}) {
			t.Fatalf("found %v", got)
		}
		if kept, _ := get(t, s, ev1); len(kept) != 2 {
			t.Fatalf("finding deleted: %q", paths(kept))
		}
		for id, ps := range got {
			if _, err := s.Erase(ctx, id, ps...); err != nil {
				t.Fatal(err)
			}
		}
		if again, err := s.FindPerson(ctx, alice); err != nil || len(again) != 0 {
			t.Fatalf("after erasing what was found: %v, %v", again, err)
		}
		left1, _ := get(t, s, ev1)
		left2, _ := get(t, s, ev2)
		if !slices.Equal(paths(left1), []string{"reason"}) || !slices.Equal(paths(left2), []string{"to.actorId"}) {
			t.Fatalf("left %q and %q", paths(left1), paths(left2))
		}
	})
}
