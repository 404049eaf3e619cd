package importer

import (
	"fmt"
	"slices"

	"github.com/pdis/collab-ledger/akn"
	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/transcriptdiff"
)

// speakerOf maps an Akoma Ntoso speech's speaker to the ledger's.
func speakerOf(u akn.Utterance) domain.Speaker {
	if u.Kind != akn.Speech || (u.Speaker == "" && u.Name == "") {
		return domain.Speaker{}
	}
	return domain.Speaker{Ref: u.Speaker, Name: u.Name}
}

// itemOf is an utterance as the alignment sees it.
func itemOf(kind, ref, name string, ps []string) transcriptdiff.Item {
	who := ""
	if ref != "" || name != "" {
		who = ref + "\x00" + name
	}
	return transcriptdiff.Item{Kind: kind, Speaker: who, Paragraphs: ps}
}

// Changes returns the staff changes that turn the transcript cur (as it
// reads now) into the utterances target, in the order they must be
// decided: corrections, reattributions, reclassifications, merges, splits,
// deletions and insertions, as transcriptdiff.Align recognises them. New
// utterances get the IDs newID(1), newID(2), ...
func Changes(meeting domain.MeetingID, cur []domain.CurrentUtterance, target []akn.Utterance, newID func(int) domain.UtteranceID) []domain.Command {
	old := make([]transcriptdiff.Item, len(cur))
	for i, u := range cur {
		old[i] = itemOf(string(u.Kind), u.Speaker.Ref, u.Speaker.Name, u.Paragraphs)
	}
	nw := make([]transcriptdiff.Item, len(target))
	for i, u := range target {
		s := speakerOf(u)
		nw[i] = itemOf(string(u.Kind), s.Ref, s.Name, u.Paragraphs)
	}
	c := changer{meeting: meeting, newID: newID}
	for _, st := range transcriptdiff.Align(old, nw) {
		if st.Kind == transcriptdiff.Same {
			c.prev = cur[st.Old[0]].ID
			continue
		}
		if len(st.Old) > 0 && len(st.New) > 0 && !canBecome(cur[st.Old[0]], target[st.New[0]]) {
			// A speech cannot lose its speaker: replace the utterances.
			for _, i := range st.Old {
				c.delete(cur[i].ID)
			}
			for _, j := range st.New {
				c.insert(target[j])
			}
			continue
		}
		switch st.Kind {
		case transcriptdiff.Changed:
			o, n := cur[st.Old[0]], target[st.New[0]]
			c.fixKindAndSpeaker(o, n)
			if !slices.Equal(o.Paragraphs, n.Paragraphs) {
				c.add(domain.CorrectUtterance{MeetingID: meeting, UtteranceID: o.ID, Paragraphs: n.Paragraphs})
			}
			c.prev = o.ID
		case transcriptdiff.Merged:
			first, n := cur[st.Old[0]], target[st.New[0]]
			merged := make([]domain.UtteranceID, 0, len(st.Old)-1)
			for _, i := range st.Old[1:] {
				merged = append(merged, cur[i].ID)
			}
			c.add(domain.MergeUtterances{MeetingID: meeting, UtteranceID: first.ID, Merged: merged, Paragraphs: n.Paragraphs})
			c.fixKindAndSpeaker(first, n)
			c.prev = first.ID
		case transcriptdiff.Split:
			o, head := cur[st.Old[0]], target[st.New[0]]
			parts := make([]domain.UtterancePart, 0, len(st.New)-1)
			for _, j := range st.New[1:] {
				n := target[j]
				parts = append(parts, domain.UtterancePart{UtteranceID: c.next(), Kind: domain.UtteranceKind(n.Kind), Speaker: speakerOf(n), Paragraphs: n.Paragraphs})
			}
			c.add(domain.SplitUtterance{MeetingID: meeting, UtteranceID: o.ID, Paragraphs: head.Paragraphs, Parts: parts})
			c.fixKindAndSpeaker(o, head)
			c.prev = parts[len(parts)-1].UtteranceID
		case transcriptdiff.Deleted:
			c.delete(cur[st.Old[0]].ID)
		case transcriptdiff.Inserted:
			c.insert(target[st.New[0]])
		}
	}
	return c.out
}

// canBecome reports whether utterance o can be changed into n by the
// ledger's staff changes: anything but a speech losing its speaker.
func canBecome(o domain.CurrentUtterance, n akn.Utterance) bool {
	return !(domain.UtteranceKind(n.Kind) == domain.UtteranceSpeech && o.Kind == domain.UtteranceSpeech &&
		o.Speaker != (domain.Speaker{}) && speakerOf(n) == (domain.Speaker{}))
}

type changer struct {
	meeting domain.MeetingID
	newID   func(int) domain.UtteranceID
	n       int
	prev    domain.UtteranceID // the last utterance of the new order so far
	out     []domain.Command
}

func (c *changer) add(cmd domain.Command) { c.out = append(c.out, cmd) }

func (c *changer) next() domain.UtteranceID {
	c.n++
	return c.newID(c.n)
}

func (c *changer) delete(id domain.UtteranceID) {
	c.add(domain.DeleteUtterance{MeetingID: c.meeting, UtteranceID: id})
}

func (c *changer) insert(n akn.Utterance) {
	id := c.next()
	c.add(domain.InsertUtterance{MeetingID: c.meeting, UtteranceID: id, After: c.prev, Kind: domain.UtteranceKind(n.Kind), Speaker: speakerOf(n), Paragraphs: n.Paragraphs})
	c.prev = id
}

// fixKindAndSpeaker adds the reclassification or reattribution that gives
// utterance o the kind and speaker of n (canBecome(o, n) holds).
func (c *changer) fixKindAndSpeaker(o domain.CurrentUtterance, n akn.Utterance) {
	want := speakerOf(n)
	kind := domain.UtteranceKind(n.Kind)
	switch {
	case o.Kind != kind:
		c.add(domain.ReclassifyUtterance{MeetingID: c.meeting, UtteranceID: o.ID, Kind: kind, Speaker: want})
	case kind == domain.UtteranceSpeech && o.Speaker != want:
		c.add(domain.ReattributeSpeaker{MeetingID: c.meeting, UtteranceID: o.ID, Speaker: want})
	}
}

// idPrefix numbers the utterances a revision creates: "r2-1", "r2-2", ...
func idPrefix(revision int) func(int) domain.UtteranceID {
	return func(n int) domain.UtteranceID { return domain.UtteranceID(fmt.Sprintf("r%d-%d", revision, n)) }
}
