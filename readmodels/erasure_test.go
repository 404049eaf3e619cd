package readmodels_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/app"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/eventstore/sealed"
	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// dumpAll returns every document of every read model's active generation,
// by "projection/collection/key".
func dumpAll(t testing.TB, ctx context.Context, backend *projections.MemoryBackend) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range rm.All() {
		gens, err := backend.Generations(ctx, p.Name())
		if err != nil {
			t.Fatal(err)
		}
		err = backend.Dump(ctx, p.Name(), gens.Active, func(collection, key string, raw []byte) error {
			out[p.Name()+"/"+collection+"/"+key] = string(raw)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestErasureForgetsEverywhere: the story recorded on a sealed log; a
// lawful erasure of a signer whose signature was invalidated and of a
// speaker who edited their own words, through the command side. Then no
// read model holds either value (where they were, the commitments the log
// holds), the stamps of the erased events say when and why, and every
// read model equals a fresh rebuild from the log — the values are gone
// from the secrets store too, so a rebuild cannot bring them back.
func TestErasureForgetsEverywhere(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	inner := projectiontest.NewStore(t)
	secrets := sealed.NewMemory()
	store := sealed.NewLog(inner, secrets, sealed.Policy{Fields: domain.PrivateFields, Actor: domain.IsPseudonymousRole})
	live := projections.NewMemoryBackend()
	r := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: live, Projections: rm.All(), Topic: topic})
	l := newLedger(t, store)
	story(l, func(string) {})

	signer, speaker := citizen(3).ID, speakerA.ID
	waitAll(t, ctx, r, l.last.Position)
	before := dumpAll(t, ctx, live)
	for _, v := range []string{signer, speaker, "duplicate account"} {
		if !containsValue(before, v) {
			t.Fatalf("the read models never held %q: the test proves nothing", v)
		}
	}

	ledger, err := app.NewLedger(store, app.LedgerConfig{Secret: secret, Erasable: secrets})
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	for _, person := range []string{signer, speaker} {
		res, err := ledger.Execute(ctx, staff, domain.Erase{Person: person, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
		if err != nil {
			t.Fatalf("erase %s: %v", person, err)
		}
		var d domain.DataErased
		if err := json.Unmarshal(res.Events[0].Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, f := range d.Erased {
			if f.Stream == "" || len(f.Commitments) != len(f.Paths) {
				t.Errorf("erasure of %s names %+v without its stream or commitments", person, f)
			}
		}
	}
	// The invalidation's reason belongs to the invalidation event; erase it
	// by event too.
	var invalidation string
	for _, ev := range readLog(t, store) {
		if ev.Type == "proposal.signature_invalidated" {
			invalidation = ev.ID.String()
		}
	}
	res, err := ledger.Execute(ctx, staff, domain.Erase{EventID: invalidation, Reason: "當事人請求刪除", LegalBasis: "個人資料保護法第11條第3項"})
	if err != nil {
		t.Fatalf("erase the invalidation: %v", err)
	}
	last := res.Events[len(res.Events)-1].Position
	waitAll(t, ctx, r, last)
	after := dumpAll(t, ctx, live)
	for _, v := range []string{signer, speaker, "duplicate account"} {
		if k := keyHolding(after, v); k != "" {
			t.Errorf("after the erasure %s still holds %q", k, v)
		}
	}
	if !strings.Contains(strings.Join(slices.Collect(maps.Values(after)), ""), `"erased":{"on":`) {
		t.Error("no stamp is marked erased")
	}

	// Proposal tally and trail: the erased fields read as erased.
	inv, err := rm.Invalidations(ctx, r.Reader(rm.TalliesName), proposalID, rm.Auditor)
	if err != nil || len(inv) != 1 {
		t.Fatalf("invalidations: %v, %v", inv, err)
	}
	if inv[0].Erased == nil || !sealed.IsErased(inv[0].Signer) || !sealed.IsErased(inv[0].Reason) || inv[0].Erased.Reason != "當事人請求刪除" {
		t.Errorf("the invalidation after the erasure: %+v", inv[0])
	}

	// A fresh rebuild from the log equals what the erasures left.
	rebuilt := projections.NewMemoryBackend()
	r2 := projectiontest.Start(t, projections.RunnerConfig{Store: store, Backend: rebuilt, Projections: rm.All(), Topic: topic + "-rebuilt"})
	waitAll(t, ctx, r2, last)
	fresh := dumpAll(t, ctx, rebuilt)
	for _, k := range slices.Sorted(maps.Keys(after)) {
		if normalJSON(t, after[k]) != normalJSON(t, fresh[k]) {
			t.Errorf("%s differs from a fresh rebuild:\n live    %s\n rebuilt %s", k, after[k], fresh[k])
		}
	}
	for k := range fresh {
		if _, ok := after[k]; !ok {
			t.Errorf("%s only in the rebuild", k)
		}
	}
}

func containsValue(docs map[string]string, v string) bool { return keyHolding(docs, v) != "" }

// keyHolding returns a document holding v, if any (checkpoint documents
// aside: they hold no data).
func keyHolding(docs map[string]string, v string) string {
	for _, k := range slices.Sorted(maps.Keys(docs)) {
		if strings.Contains(docs[k], v) {
			return k
		}
	}
	return ""
}

// normalJSON re-encodes a document so that two encodings of one value
// compare equal.
func normalJSON(t testing.TB, s string) string {
	t.Helper()
	if s == "" {
		return ""
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Sprintf("%q", s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
