package domain

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/pdis/collab-ledger/domain/calendar"
)

// Class says who may see a field of an event's data. Every field that
// holds text (a string, a list of strings, a pseudonym) declares its class
// with a struct tag beside it:
//
//	Signer SignerID `json:"signer" ledger:"personal"`
//	Reason string   `json:"reason" ledger:"confidential"`
//	Title  string   `json:"title" ledger:"public"`
//
// Fields of the domain's identifier and enumeration types (ProposalID,
// CaseStage, …; see publicTypes) are public by their type and need no tag.
// Public views (the trail's public entries, and later the public export)
// derive what they leave out from these classes, so a new field is hidden
// or shown because its declaration says so, not because a list elsewhere
// remembers it. TestEveryEventFieldClassified fails for a text field
// without a class.
type Class string

// Classes of event data fields.
const (
	// ClassPublic: anyone may see it (titles, what people said at the
	// microphone, the names shown for speakers, officials' identifiers).
	ClassPublic Class = "public"
	// ClassPersonal: it identifies or links a person who may be a private
	// citizen: a signer's pseudonym, a proposer's or speaker's actor ID, the
	// account that edited a speaker's words. Public views leave it out.
	ClassPersonal Class = "personal"
	// ClassConfidential: not about who someone is, but not for the public:
	// why a signature was invalidated, why a note, question or utterance was
	// removed. Public views leave it out.
	ClassConfidential Class = "confidential"
)

// Withdrawable is the tag option of a public field whose text public views
// hide again once the thing it belongs to is removed: `ledger:"public,
// withdrawable=note"` (note, question or utterance).
const tagWithdrawable = "withdrawable="

// Field is one classified leaf of an event type's data.
type Field struct {
	// Path is the field's JSON path in the event data: "signer",
	// "speaker.actorId", "parts.*.speaker.actorId" ("*" is every element of
	// a list).
	Path string
	// Class is who may see it.
	Class Class
	// Withdrawable names the kind of thing ("note", "question",
	// "utterance") whose removal withdraws this public field from public
	// views; "" if none.
	Withdrawable string
	// GoField is the Go path of the field, for messages
	// ("TranscriptUtteranceSplit.Parts[].Speaker.ActorID").
	GoField string
}

// Private reports whether public views leave the field out.
func (f Field) Private() bool { return f.Class == ClassPersonal || f.Class == ClassConfidential }

// publicTypes are the types whose values are public wherever they appear:
// identifiers of things (not of people) and the domain's enumerations.
// ParticipantID is not among them (it is often an actor ID): each field of
// that type declares its class.
var publicTypes = func() map[reflect.Type]bool {
	m := map[reflect.Type]bool{}
	for _, t := range []reflect.Type{
		reflect.TypeFor[ProposalID](), reflect.TypeFor[MinistryID](), reflect.TypeFor[MonthlyMeetingID](),
		reflect.TypeFor[CandidateID](), reflect.TypeFor[CaseID](), reflect.TypeFor[MeetingID](),
		reflect.TypeFor[StakeholderID](), reflect.TypeFor[InterviewID](), reflect.TypeFor[MaterialID](),
		reflect.TypeFor[RecommendationID](), reflect.TypeFor[NoteID](), reflect.TypeFor[QuestionID](),
		reflect.TypeFor[RecordingID](), reflect.TypeFor[UtteranceID](),
		reflect.TypeFor[CaseStage](), reflect.TypeFor[CaseSourceKind](), reflect.TypeFor[StakeholderCategory](),
		reflect.TypeFor[DirectiveKind](), reflect.TypeFor[Verdict](), reflect.TypeFor[MeetingKind](),
		reflect.TypeFor[Phase](), reflect.TypeFor[ParticipantRole](), reflect.TypeFor[Board](),
		reflect.TypeFor[ConceptSection](), reflect.TypeFor[RecordingKind](), reflect.TypeFor[CandidateKind](),
		reflect.TypeFor[PORole](), reflect.TypeFor[UtteranceKind](), reflect.TypeFor[Role](),
		reflect.TypeFor[RecommendationSourceKind](), reflect.TypeFor[calendar.Date](),
	} {
		m[t] = true
	}
	return m
}()

// classification is the result of reading one event type's tags.
type classification struct {
	fields   []Field  // every leaf with text, in declaration order
	private  []string // paths of personal and confidential fields
	problems []string // fields without a (valid) class
}

// classify walks an event type's fields.
func classify(t reflect.Type) classification {
	var c classification
	walkFields(t, "", t.Name(), &c)
	for _, f := range c.fields {
		if f.Private() {
			c.private = append(c.private, f.Path)
		}
	}
	return c
}

func walkFields(t reflect.Type, path, goPath string, c *classification) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if sf.Anonymous && name == "" {
			walkFields(sf.Type, path, goPath, c)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		p, g := path+name, goPath+"."+sf.Name
		ft, lists := sf.Type, ""
		for ft.Kind() == reflect.Pointer || ft.Kind() == reflect.Slice || ft.Kind() == reflect.Array && ft.Elem().Kind() != reflect.Uint8 {
			if ft.Kind() != reflect.Pointer {
				lists += ".*"
			}
			ft = ft.Elem()
		}
		tag, tagged := sf.Tag.Lookup("ledger")
		switch {
		case ft.Kind() == reflect.Struct && ft.PkgPath() == t.PkgPath() && !publicTypes[ft]:
			// the fields of each element, "parts.*.speaker.actorId"
			if tagged {
				c.problems = append(c.problems, fmt.Sprintf("%s: a ledger tag on a struct field; tag its fields instead", g))
			}
			walkFields(ft, p+lists+".", g+strings.ReplaceAll(lists, ".*", "[]"), c)
		case ft.Kind() != reflect.String:
			// numbers, times, booleans, UUIDs, and types of their own
			// (calendar.Date) carry no text about a person.
		case !tagged && publicTypes[ft]:
			c.fields = append(c.fields, Field{Path: p, Class: ClassPublic, GoField: g})
		case !tagged:
			c.problems = append(c.problems, fmt.Sprintf("%s (JSON %q, type %s) has no class", g, p, sf.Type))
		default:
			f, err := parseLedgerTag(tag)
			if err != nil {
				c.problems = append(c.problems, fmt.Sprintf("%s: %v", g, err))
				continue
			}
			f.Path, f.GoField = p, g
			c.fields = append(c.fields, f)
		}
	}
}

// parseLedgerTag reads `ledger:"<class>[,withdrawable=<kind>]"`.
func parseLedgerTag(tag string) (Field, error) {
	class, opt, _ := strings.Cut(tag, ",")
	f := Field{Class: Class(class)}
	switch f.Class {
	case ClassPublic, ClassPersonal, ClassConfidential:
	default:
		return f, fmt.Errorf("ledger tag %q: class must be public, personal or confidential", tag)
	}
	if opt != "" {
		kind, ok := strings.CutPrefix(opt, tagWithdrawable)
		if !ok || !slices.Contains([]string{"note", "question", "utterance"}, kind) || f.Class != ClassPublic {
			return f, fmt.Errorf("ledger tag %q: the only option is withdrawable=note|question|utterance, on a public field", tag)
		}
		f.Withdrawable = kind
	}
	return f, nil
}

// EventFields returns the classified text fields of an event type's data,
// in declaration order (nil for an unknown type).
func EventFields(eventType string) []Field {
	return slices.Clone(registry[eventType].class.fields)
}

// PrivateFields returns the JSON paths of the personal and confidential
// fields of an event type: what public views leave out of its data.
func PrivateFields(eventType string) []string {
	return registry[eventType].class.private
}

// WithdrawableField returns the public field of an event type that public
// views hide once the thing it belongs to is removed, and the kind of that
// thing ("note", "question", "utterance").
func WithdrawableField(eventType string) (kind, path string, ok bool) {
	for _, f := range registry[eventType].class.fields {
		if f.Withdrawable != "" {
			return f.Withdrawable, f.Path, true
		}
	}
	return "", "", false
}

// Classify reads the `ledger` tags of an event data type declared outside
// domain (the tokens package's events): its private (personal and
// confidential) paths, and the text fields it leaves unclassified.
func Classify(t reflect.Type) (private, unclassified []string) {
	c := classify(t)
	return c.private, c.problems
}

// ClassificationProblems returns, per event type, the text fields that
// declare no class or a malformed one (for the test that keeps every field
// classified).
func ClassificationProblems() map[string][]string {
	out := map[string][]string{}
	for name, c := range registry {
		if len(c.class.problems) > 0 {
			out[name] = c.class.problems
		}
	}
	return out
}

// Removal is implemented by events that remove something from public view
// (a note, a question, an utterance): who removed it is for auditors, so
// public views leave the event's actor out.
type Removal interface {
	Event
	// RemovesFromPublicView marks the event type as a removal.
	RemovesFromPublicView()
}

// WithholdsActor reports whether public views leave out the actor of events
// of eventType (the removals).
func WithholdsActor(eventType string) bool { return registry[eventType].removal }

// RemovesFromPublicView implements Removal.
func (MeetingNoteRemoved) RemovesFromPublicView() {}

// RemovesFromPublicView implements Removal.
func (MeetingQuestionArchived) RemovesFromPublicView() {}

// RemovesFromPublicView implements Removal.
func (TranscriptUtteranceDeleted) RemovesFromPublicView() {}

// IsPseudonymousRole reports whether actors of role act under a keyed
// pseudonym (citizens and proposers): their actor ID links their events, so
// public views leave it out and a sealed log commits to it.
func IsPseudonymousRole(role string) bool {
	return role == string(RoleCitizen) || role == string(RoleProposer)
}
