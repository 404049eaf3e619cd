package domain

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

// Anonymous questions and who may ask them.
//
// A question is posted by a participant of the meeting (or its hosts, PDIS
// staff), and the log must not say which one. So the participant list holds
// no account in the clear: AddParticipant's Account is turned by the command
// side into ParticipantKey(secret, meeting, account), a keyed digest bound to
// that meeting, and only the digest is stored (MeetingParticipantAdded's
// AccountKey). To decide PostQuestion the command side computes the same
// digest of the asker's account and hands it in AuthorKey; the domain checks
// it against the list and records nothing of it: the question's event and
// its envelope carry no actor, role or key (see Anonymous), so nothing in the
// log ties a question to a participant.

// ParticipantKey returns the digest under which account is a participant of
// meeting: HMAC-SHA256(secret, "participant\x00" + meeting + "\x00" +
// account), 64 lower-case hex digits. Without the secret it cannot be
// recomputed from a known account, and the digests of one account in two
// meetings differ. An empty secret (tests) still gives a digest, unkeyed.
func ParticipantKey(secret []byte, meeting MeetingID, account string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("participant\x00" + string(meeting) + "\x00" + account))
	return hex.EncodeToString(m.Sum(nil))
}

// RuleQuestionParticipantsOnly refuses a question from an actor who is not
// a participant of the meeting (nor one of its hosts).
const RuleQuestionParticipantsOnly = "meeting.post_question.participants_only"
