package projections

import (
	"context"
	"testing"
)

// selfEncoded encodes itself (DocumentEncoder) differently from what
// json.Marshal of it would give, so that the test sees which was stored.
type selfEncoded struct {
	N int `json:"n"`
}

func (v *selfEncoded) EncodeDocument() ([]byte, error) {
	return []byte(`{"n":` + string(rune('0'+v.N)) + `,"by":"EncodeDocument"}`), nil
}

// emptyBackend holds no document (only Load is called).
type emptyBackend struct{ Backend }

func (emptyBackend) Load(context.Context, string, uint64, string, string) ([]byte, bool, error) {
	return nil, false, nil
}

// plainDoc has no encoder of its own.
type plainDoc struct {
	N int `json:"n"`
}

// TestUpdateStoresWhatTheValueEncodes: a batch commits a document Update
// changed as its value's EncodeDocument returns it, without re-encoding
// it; a value without one as json.Marshal encodes it.
func TestUpdateStoresWhatTheValueEncodes(t *testing.T) {
	ctx := context.Background()
	b := newBatch(emptyBackend{}, "p", 1, 0)
	for range 2 { // the second Update changes the value the first left
		if err := Update(ctx, b, "docs", "self", func(v *selfEncoded) error { v.N++; return nil }); err != nil {
			t.Fatal(err)
		}
		if err := Update(ctx, b, "docs", "plain", func(v *plainDoc) error { v.N++; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	c, err := b.commitRequest()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, ch := range c.Changes {
		got[ch.Key] = string(ch.Doc)
	}
	if want := `{"n":2,"by":"EncodeDocument"}`; got["self"] != want {
		t.Errorf("the self-encoding document is stored as %s, want %s", got["self"], want)
	}
	if want := `{"n":2}`; got["plain"] != want {
		t.Errorf("the plain document is stored as %s, want %s", got["plain"], want)
	}
}
