package readmodels_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pdis/collab-ledger/projections"
	"github.com/pdis/collab-ledger/projections/projectiontest"
	rm "github.com/pdis/collab-ledger/readmodels"
)

// TestFastPathsSameDocuments folds the story's log with the trail and the
// transcripts twice, with the catch-up fast paths (which write documents
// from the events' JSON) and with the decoded folds, and checks that every
// document decodes to the same value (an entry's data to the same bytes).
func TestFastPathsSameDocuments(t *testing.T) {
	ctx := projectiontest.Ctx(t)
	store := projectiontest.NewStore(t)
	l := newLedger(t, store)
	story(l, func(string) {})
	bigCase(t, l, "big", 2, 50, 2, 20)
	head, err := store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}

	types := map[string]map[string]reflect.Type{
		rm.TrailName: {
			"entries": reflect.TypeFor[rm.Entry](), "subjects": reflect.TypeFor[rm.Subject](),
			"meetings": reflect.TypeFor[map[string]any](), "hidden": reflect.TypeFor[rm.Hidden](),
		},
		rm.TranscriptsName: {
			"meetings": reflect.TypeFor[rm.MeetingRecord](), "utterances": reflect.TypeFor[rm.Utterance](),
			"versions": reflect.TypeFor[rm.UtteranceVersion](), "notes": reflect.TypeFor[rm.Note](), "questions": reflect.TypeFor[rm.Question](),
		},
	}
	for _, p := range []projections.Projection{rm.Trail{}, rm.Transcripts{}} {
		fold := func(fast bool) map[string]map[string][]byte {
			defer rm.SetFastPaths(fast)()
			mb, _, err := projections.Replay(ctx, store, p, projections.AsOf{Position: head})
			if err != nil {
				t.Fatal(err)
			}
			out := map[string]map[string][]byte{}
			for coll := range types[p.Name()] {
				out[coll] = map[string][]byte{}
				err := mb.Reader(p.Name()).Scan(ctx, coll, "", func(key string, raw []byte) error {
					out[coll][key] = raw
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
			return out
		}
		fast, slow := fold(true), fold(false)
		n := 0
		for coll, typ := range types[p.Name()] {
			if len(fast[coll]) != len(slow[coll]) {
				t.Errorf("%s %s: %d documents with the fast paths, %d without", p.Name(), coll, len(fast[coll]), len(slow[coll]))
			}
			for key, want := range slow[coll] {
				got, ok := fast[coll][key]
				if !ok {
					t.Errorf("%s %s/%s: missing with the fast paths", p.Name(), coll, key)
					continue
				}
				g, w := reflect.New(typ), reflect.New(typ)
				if err := json.Unmarshal(got, g.Interface()); err != nil {
					t.Fatalf("%s %s/%s: %v", p.Name(), coll, key, err)
				}
				if err := json.Unmarshal(want, w.Interface()); err != nil {
					t.Fatalf("%s %s/%s: %v", p.Name(), coll, key, err)
				}
				if !reflect.DeepEqual(g.Interface(), w.Interface()) {
					t.Errorf("%s %s/%s:\n fast %s\n slow %s", p.Name(), coll, key, got, want)
				}
				n++
			}
		}
		if n < 100 {
			t.Errorf("%s: only %d documents compared", p.Name(), n)
		}
	}
}
