package readmodels

import (
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestEventTypeCoverage checks that every read model either folds or
// deliberately ignores every domain event type, so that a new type is
// never dropped without a decision.
func TestEventTypeCoverage(t *testing.T) {
	for _, tb := range []*table{talliesTable, caseBoardTable, transcriptsTable, trailTable, directoryTable, countiesTable, signaturesTable} {
		c := tb.coverage()
		if len(c.Missing) > 0 {
			t.Errorf("%s neither handles nor ignores %v", tb.name, c.Missing)
		}
		for ty := range tb.handlers {
			if _, both := tb.ignored[ty]; both {
				t.Errorf("%s both handles and ignores %s", tb.name, ty)
			}
			if _, ok := domain.EventSchemaVersion(ty); !ok {
				t.Errorf("%s handles %s, which is not a domain event type", tb.name, ty)
			}
		}
		for ty := range tb.ignored {
			if _, ok := domain.EventSchemaVersion(ty); !ok {
				t.Errorf("%s ignores %s, which is not a domain event type", tb.name, ty)
			}
		}
		if len(c.Handled)+len(c.Ignored) != len(domain.EventTypes()) {
			t.Errorf("%s: %d handled + %d ignored of %d types", tb.name, len(c.Handled), len(c.Ignored), len(domain.EventTypes()))
		}
	}
}

// TestIDField checks the Preload shortcut against canonical JSON.
func TestIDField(t *testing.T) {
	for _, c := range []struct{ data, name, want string }{
		{`{"at":"x","meetingId":"m-1","utteranceId":"u-1"}`, "utteranceId", "u-1"},
		{`{"parts":[{"utteranceId":"p-1"}],"reason":"r","utteranceId":"u-1"}`, "utteranceId", "u-1"},
		{`{"text":"\"noteId\":\"fake\"","noteId":"n-1"}`, "noteId", "n-1"},
		{`{"text":"\"noteId\":\"fake\""}`, "noteId", ""},
		{`{"meetingId":"m"}`, "noteId", ""},
	} {
		if got := idField([]byte(c.data), c.name); got != c.want {
			t.Errorf("idField(%s, %s) = %q, want %q", c.data, c.name, got, c.want)
		}
	}
}
