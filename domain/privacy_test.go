package domain

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// TestEveryEventFieldClassified: every text field of every event type (a
// string, a list of strings, a pseudonym, an actor ID) declares who may see
// it, so that a new field holding a person's identifier cannot reach the
// public views or the public export by being forgotten.
func TestEveryEventFieldClassified(t *testing.T) {
	problems := ClassificationProblems()
	for _, name := range EventTypes() {
		for _, p := range problems[name] {
			t.Errorf("event %s: %s.\n\tAdd a ledger tag beside its json tag: `ledger:\"public\"` (anyone may see it), "+
				"`ledger:\"personal\"` (an actor ID, a signer, a pseudonym, anything that identifies or links a person), "+
				"or `ledger:\"confidential\"` (not for the public, e.g. why something was removed); see domain/privacy.go", name, p)
		}
	}
}

// TestPersonFieldsArePrivate: a field that by its name holds an actor, a
// signer, a proposer, an editor or a pseudonym is personal unless the
// exceptions below say why it is public (officials acting in office).
func TestPersonFieldsArePrivate(t *testing.T) {
	public := map[string]bool{
		// POs are officials; their identifiers are public in the registry
		// and on their ballots.
		"registry.po_registered poId": true, "registry.po_renewed poId": true, "registry.po_retired poId": true,
		"registry.po_role_changed poId": true, "monthly.ballot_cast po": true,
		// Organisers (PDIS staff) correct, split, merge, insert, reclassify
		// normalise and import transcripts in office; their actor is public anyway.
		"transcript.utterance_corrected editor": true, "transcript.utterance_inserted editor": true,
		"transcript.utterance_reclassified editor": true, "transcript.utterance_split editor": true,
		"transcript.utterances_merged editor": true, "transcript.version_imported editor": true, "transcript.normalised editor": true,
	}
	personish := []string{"actorId", "signer", "proposer", "editor", "pseudonym", "po", "poId", "participantId"}
	for _, name := range EventTypes() {
		for _, f := range EventFields(name) {
			last := f.Path[strings.LastIndex(f.Path, ".")+1:]
			if !slices.Contains(personish, last) || f.Private() || public[name+" "+f.Path] {
				continue
			}
			if last == "participantId" {
				continue // checked below
			}
			t.Errorf("event %s: %s (%s) holds a person's identifier but is %s: tag it `ledger:\"personal\"`, or add it to the exceptions here saying why it is public",
				name, f.Path, f.GoField, f.Class)
		}
	}
}

// TestPrivateFieldsOfKnownEvents pins the classes public views have always
// applied.
func TestPrivateFieldsOfKnownEvents(t *testing.T) {
	for typ, want := range map[string][]string{
		"proposal.submitted":                {"proposer"},
		"proposal.signed":                   {"signer", "district"},
		"proposal.established":              {"signer"},
		"proposal.signature_invalidated":    {"signer", "reason"},
		"meeting.note_removed":              {"reason"},
		"meeting.question_archived":         {"reason"},
		"transcript.utterance_deleted":      {"editor", "reason"},
		"transcript.utterance_recorded":     {"speaker.actorId"},
		"transcript.utterance_inserted":     {"speaker.actorId"},
		"transcript.utterance_edited":       {"editor"},
		"transcript.speaker_reattributed":   {"from.actorId", "to.actorId"},
		"transcript.utterance_split":        {"parts.*.speaker.actorId"},
		"transcript.utterance_reclassified": {"speaker.actorId"},
		"case.opened":                       nil,
	} {
		if got := PrivateFields(typ); !slices.Equal(got, want) {
			t.Errorf("PrivateFields(%s) = %q, want %q", typ, got, want)
		}
	}
	for typ, want := range map[string][2]string{
		"meeting.note_added":             {"note", "text"},
		"meeting.question_answered":      {"question", "answer"},
		"transcript.utterance_corrected": {"utterance", "paragraphs"},
	} {
		kind, path, ok := WithdrawableField(typ)
		if !ok || kind != want[0] || path != want[1] {
			t.Errorf("WithdrawableField(%s) = %q, %q, %v; want %q", typ, kind, path, ok, want)
		}
	}
	for _, typ := range []string{"meeting.note_removed", "meeting.question_archived", "transcript.utterance_deleted"} {
		if !WithholdsActor(typ) {
			t.Errorf("WithholdsActor(%s) = false", typ)
		}
	}
	if WithholdsActor("meeting.note_added") {
		t.Error("WithholdsActor(meeting.note_added) = true")
	}
}

// TestLedgerTagsParse: malformed tags are problems, not silently public.
func TestLedgerTagsParse(t *testing.T) {
	for _, bad := range []string{"", "secret", "public,withdrawable=case", "personal,withdrawable=note", "public,other"} {
		if _, err := parseLedgerTag(bad); err == nil {
			t.Errorf("parseLedgerTag(%q) accepted", bad)
		}
	}
	type inner struct {
		Who string `json:"who"`
	}
	type probe struct {
		ID   CaseID  `json:"id"`
		Name string  `json:"name"`
		In   []inner `json:"in"`
		Occurred
	}
	c := classify(reflectTypeOf(probe{}))
	if len(c.problems) != 2 || !strings.Contains(c.problems[0], `"name"`) || !strings.Contains(c.problems[1], `"in.*.who"`) {
		t.Errorf("problems %q", c.problems)
	}
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }
