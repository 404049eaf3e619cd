package domain

import (
	"errors"
	"fmt"
	"slices"
)

// StreamKind is the kind of aggregate a stream holds: the part of a stream
// name before its identifier.
type StreamKind string

// Stream kinds. Every stream of the domain is "<kind>-<id>", except the
// one PO registry stream, whose name is its kind alone.
const (
	StreamProposal       StreamKind = "proposal"
	StreamRegistry       StreamKind = "po-registry"
	StreamMonthlyMeeting StreamKind = "po-monthly"
	StreamCase           StreamKind = "case"
	StreamMeeting        StreamKind = "meeting"
	StreamTranscript     StreamKind = "transcript"
)

// streamKinds are the kinds with an identifier, longest prefix first where
// one kind's prefix could begin another's.
var streamKinds = []StreamKind{StreamMonthlyMeeting, StreamProposal, StreamCase, StreamMeeting, StreamTranscript}

// ErrNotDomainStream is returned by ParseStream for a stream name that no
// aggregate of the domain uses (the tokens stream, the checkpoint stream, a
// malformed name).
var ErrNotDomainStream = errors.New("not a domain stream")

// ParseStream returns the kind and identifier of a domain stream name: it is
// the one place stream names are read back, the inverse of StreamName (and of
// ProposalStream, CaseStream, …). "case-57" is (StreamCase, "57");
// "po-registry" is (StreamRegistry, ""). Any other name, or an identifier
// that is not well formed, is an error wrapping ErrNotDomainStream.
func ParseStream(name string) (StreamKind, string, error) {
	k, id, ok := parseStream(name)
	if !ok {
		if err := checkID("stream", id); k != "" && err != nil {
			return "", "", fmt.Errorf("stream %q: %w: %v", name, ErrNotDomainStream, err)
		}
		return "", "", fmt.Errorf("stream %q: %w", name, ErrNotDomainStream)
	}
	return k, id, nil
}

// parseStream is ParseStream without the error (it allocates nothing, for
// the folds that call it once per event). For a name with a known kind and a
// malformed identifier it returns the kind and the identifier, and false.
func parseStream(name string) (StreamKind, string, bool) {
	if name == string(StreamRegistry) {
		return StreamRegistry, "", true
	}
	if name == string(StreamErasures) {
		return StreamErasures, "", true
	}
	for _, k := range streamKinds {
		if len(name) > len(k) && name[len(k)] == '-' && name[:len(k)] == string(k) {
			id := name[len(k)+1:]
			return k, id, checkID(string(k), id) == nil
		}
	}
	return "", "", false
}

// StreamName is the name of the stream of kind and id, the inverse of
// ParseStream (id is ignored for StreamRegistry).
func StreamName(kind StreamKind, id string) string {
	if kind == StreamRegistry || kind == StreamErasures {
		return string(kind)
	}
	return string(kind) + "-" + id
}

// StreamOf returns the identifier of a stream of kind, or "" if name is not
// a well-formed stream of that kind: ParseStream for callers that want one
// kind.
func StreamOf(kind StreamKind, name string) string {
	k, id, ok := parseStream(name)
	if !ok || k != kind {
		return ""
	}
	return id
}

// MeetingOfStream returns the meeting a meeting or transcript stream
// belongs to, or "".
func MeetingOfStream(name string) MeetingID {
	k, id, ok := parseStream(name)
	if !ok || (k != StreamMeeting && k != StreamTranscript) {
		return ""
	}
	return MeetingID(id)
}

// IsStreamKind reports whether name is a well-formed stream of one of kinds.
func IsStreamKind(name string, kinds ...StreamKind) bool {
	k, _, ok := parseStream(name)
	return ok && slices.Contains(kinds, k)
}
