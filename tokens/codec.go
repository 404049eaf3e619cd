package tokens

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/pdis/collab-ledger/domain"
)

// Codec turns the tokens stream's stored events into Issued and Revoked
// and back: the app.Codec the command side decides tokens with. Unknown
// fields are refused, except the note of a version 1 token.issued, which
// is dropped.
type Codec struct{}

// issuedV1 is token.issued as schema version 1 stored it.
type issuedV1 struct {
	Issued
	Note string `json:"note,omitempty"`
}

// Decode implements app.Codec.
func (Codec) Decode(eventType string, schemaVersion int, data []byte) (domain.Event, error) {
	switch {
	case eventType == EventIssued && schemaVersion == 2:
		var e Issued
		return e, strict(data, &e)
	case eventType == EventIssued && schemaVersion == 1:
		var e issuedV1
		return e.Issued, strict(data, &e)
	case eventType == EventRevoked && schemaVersion == 1:
		var e Revoked
		return e, strict(data, &e)
	}
	return nil, fmt.Errorf("decode %s event: unknown type %q version %d", Stream, eventType, schemaVersion)
}

// Encode implements app.Codec.
func (Codec) Encode(e domain.Event) (string, int, []byte, error) {
	switch e.(type) {
	case Issued, Revoked:
	default:
		return "", 0, nil, fmt.Errorf("encode %s event: %T is not a token event", Stream, e)
	}
	data, err := json.Marshal(e)
	if err != nil {
		return "", 0, nil, fmt.Errorf("encode %s: %w", e.EventType(), err)
	}
	return e.EventType(), e.SchemaVersion(), data, nil
}

func strict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode %s event: %w", Stream, err)
	}
	if dec.More() {
		return fmt.Errorf("decode %s event: trailing data after the JSON object", Stream)
	}
	return nil
}
