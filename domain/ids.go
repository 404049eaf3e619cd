package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"

	"github.com/google/uuid"
)

// Identifiers. They are strings chosen by the caller (a UUID, or an existing
// identifier such as a Join proposal number or a ministry's short code) and
// must match checkID: 1 to 128 characters from A-Z a-z 0-9 . _ : -. The
// domain generates no identifiers except deterministic ones (SignatureIDFor).
type (
	// ProposalID identifies a Join proposal.
	ProposalID string
	// MinistryID identifies a ministry or agency (e.g. "mohw", "mohw-nhia").
	MinistryID string
	// MonthlyMeetingID identifies a PO monthly meeting (e.g. "2019-03").
	MonthlyMeetingID string
	// CandidateID identifies a candidate topic within a monthly meeting.
	CandidateID string
	// CaseID identifies a collaboration case (e.g. "57" for cm.pdis.nat.gov.tw/57).
	CaseID string
	// MeetingID identifies a meeting (and its transcript).
	MeetingID string
	// StakeholderID identifies an entry of a case's stakeholder inventory.
	StakeholderID string
	// InterviewID identifies a stakeholder interview of a case.
	InterviewID string
	// MaterialID identifies a material of a case.
	MaterialID string
	// RecommendationID identifies a recommendation of a case.
	RecommendationID string
	// ParticipantID identifies a participant of a meeting (often an actor ID).
	ParticipantID string
	// NoteID identifies a note on a meeting's mind map or concept sheets.
	NoteID string
	// QuestionID identifies an anonymous question of a meeting.
	QuestionID string
	// RecordingID identifies a recording or live stream of a meeting.
	RecordingID string
	// UtteranceID identifies an utterance of a transcript.
	UtteranceID string
)

const maxIDLen = 128

// checkID reports whether s is a well-formed identifier.
func checkID(kind, s string) error {
	if s == "" {
		return msgf("%s ID is empty", term(kind))
	}
	if len(s) > maxIDLen {
		return msgf("%s ID is longer than %d bytes", term(kind), maxIDLen)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == ':', c == '-':
		default:
			return msgf("%s ID %q has character %q; use A-Z a-z 0-9 . _ : -", term(kind), s, c)
		}
	}
	return nil
}

// ValidateID checks that s can identify an aggregate or a ministry: 1 to
// 128 bytes of A-Z a-z 0-9 . _ : - (kind names it in the error).
func ValidateID(kind, s string) error { return checkID(kind, s) }

// validID returns a RuleError (ErrRuleViolated, rule "<cmd>.id_invalid") if
// s is not a well-formed identifier.
func validID(cmd, kind, s string) error {
	if err := checkID(kind, s); err != nil {
		return violated(cmd+".id_invalid", "%v", err)
	}
	return nil
}

// Stream names. One aggregate instance is one stream.

// ProposalStream is the stream of a proposal and its signatures:
// "proposal-<id>".
func ProposalStream(id ProposalID) string { return StreamName(StreamProposal, string(id)) }

// RegistryStream is the one stream of the PO registry (all ministries,
// agencies and POs): "po-registry".
func RegistryStream() string { return string(StreamRegistry) }

// MonthlyMeetingStream is the stream of a PO monthly meeting:
// "po-monthly-<id>".
func MonthlyMeetingStream(id MonthlyMeetingID) string {
	return StreamName(StreamMonthlyMeeting, string(id))
}

// CaseStream is the stream of a collaboration case: "case-<id>".
func CaseStream(id CaseID) string { return StreamName(StreamCase, string(id)) }

// MeetingStream is the stream of a meeting (participants, notes, questions,
// recordings): "meeting-<id>".
func MeetingStream(id MeetingID) string { return StreamName(StreamMeeting, string(id)) }

// TranscriptStream is the stream of a meeting's transcript:
// "transcript-<meeting id>".
func TranscriptStream(id MeetingID) string { return StreamName(StreamTranscript, string(id)) }

// SignerID is a keyed pseudonym of a verified person: the lower-case hex of
// HMAC-SHA256(server secret, verified identity). It identifies the same person
// across proposals without revealing who they are; the raw identity is never
// stored or put in an event.
type SignerID string

// Pseudonym computes the SignerID of a verified identity under the server's
// secret. The caller must normalise the identity consistently (e.g. the
// upper-case national ID as verified). It panics if secret is empty, which
// would make pseudonyms reversible by guessing.
func Pseudonym(secret []byte, verifiedIdentity string) SignerID {
	if len(secret) == 0 {
		panic("domain.Pseudonym: empty secret")
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(verifiedIdentity))
	return SignerID(hex.EncodeToString(m.Sum(nil)))
}

// Pseudonyms computes many pseudonyms under one secret with one keyed
// HMAC, reset between them, instead of keying a new one each time (a feed
// computes one per signature). Each is what Pseudonym computes. A
// Pseudonyms is used by one goroutine at a time.
type Pseudonyms struct {
	m   hash.Hash
	sum []byte
	hex []byte
}

// NewPseudonyms returns a Pseudonyms under secret. It panics if secret is
// empty, as Pseudonym does.
func NewPseudonyms(secret []byte) *Pseudonyms {
	if len(secret) == 0 {
		panic("domain.NewPseudonyms: empty secret")
	}
	return &Pseudonyms{m: hmac.New(sha256.New, secret), sum: make([]byte, 0, sha256.Size), hex: make([]byte, 2*sha256.Size)}
}

// Of is Pseudonym(secret, verifiedIdentity).
func (p *Pseudonyms) Of(verifiedIdentity string) SignerID {
	p.m.Reset()
	io.WriteString(p.m, verifiedIdentity)
	p.sum = p.m.Sum(p.sum[:0])
	hex.Encode(p.hex, p.sum)
	return SignerID(p.hex)
}

// Valid reports whether s has the shape of a pseudonym (64 lower-case hex
// digits), so that a raw identity cannot pass for one.
func (s SignerID) Valid() bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// signatureNamespace is the UUIDv5 namespace of signature IDs.
var signatureNamespace = uuid.MustParse("6f1d7a3e-4b7e-5c1a-9a43-0c2b8e5d1f60")

// SignatureIDFor is the ID of signer's signature on proposal: a UUIDv5 of
// both, so that the same signature always has the same ID (one signature per
// signer per proposal) and retries are recognisable.
func SignatureIDFor(proposal ProposalID, signer SignerID) uuid.UUID {
	return signatureID(proposal, signer)
}
