package web_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
)

// TestNormalisationShownOnce: a version that makes a raw record's
// punctuation full-width and corrects one word shows the normalisation
// once for the transcript, collapsed, in both languages; only the real
// wording change shows as an edit, diffed from the normalised text.
func TestNormalisationShownOnce(t *testing.T) {
	pe := newPagesEnv(t)
	pe.do("2019-01-25 09:00", staffActor, domain.ScheduleMeeting{MeetingID: "raw-1", Kind: domain.MeetingOther, Title: "共識營", StartsAt: tpg("2019-01-25 09:00"), Imported: true})
	pe.do("2019-01-25 09:00", staffActor, domain.ImportTranscript{MeetingID: "raw-1", Source: "raw:003.txt", ContentHash: strings.Repeat("1", 64), Utterances: []domain.ImportedUtterance{
		{UtteranceID: "u-1", Kind: domain.UtteranceSpeech, Paragraphs: []string{"大家好,我是交通部PO楊惠如,所以我就很高興來(笑)。"}},
		{UtteranceID: "u-2", Kind: domain.UtteranceSpeech, Paragraphs: []string{"可備預見,組工回。"}},
		{UtteranceID: "u-3", Kind: domain.UtteranceSpeech, Paragraphs: []string{"謝謝。"}},
	}})
	pe.do("2019-02-11 10:00", staffActor, domain.ImportTranscriptVersion{MeetingID: "raw-1", Revision: 2, Source: "published.an.xml", ContentHash: strings.Repeat("2", 64), Editor: "PDIS", Reason: "published transcript", Changes: []domain.Command{
		domain.NormaliseTranscript{MeetingID: "raw-1"},
		domain.CorrectUtterance{MeetingID: "raw-1", UtteranceID: "u-2", Paragraphs: []string{"可被預見，組工會。"}},
	}})
	pe.caughtUp()
	for _, c := range []struct{ lang, summary string }{
		{"", "格式正規化一次：2 段發言"},
		{"?lang=en", "Normalised once: ASCII punctuation made full-width, width and spacing made uniform in 2 utterances"},
	} {
		code, body, _ := pe.get("/meetings/raw-1" + c.lang)
		if code != 200 {
			t.Fatalf("status %d", code)
		}
		if n := strings.Count(body, `<details class="normalisation">`); n != 1 || !strings.Contains(body, "<summary>"+c.summary) || !strings.Contains(body, domain.NormalisationRules) {
			t.Errorf("%q: %d normalisation blocks; summary %q missing or rules missing", c.lang, n, c.summary)
		}
		// u-1 was only normalised: it reads as published, with no history.
		u1 := section(body, `id="u-u-1"`)
		if !strings.Contains(u1, "所以我就很高興來（笑）。") || strings.Contains(u1, "<del") || strings.Contains(u1, "<ins") {
			t.Errorf("%q: u-1 shows a normalisation as an edit: %s", c.lang, u1)
		}
		// u-2's real corrections show, and only they: its diff (from the
		// normalised text) holds the two words, not the commas.
		u2 := section(body, `id="u-u-2"`)
		diff := u2[strings.Index(u2, `<div class="diff"`)+1:]
		diff = diff[:strings.Index(diff, "</div>")]
		if !strings.Contains(diff, "備") || !strings.Contains(diff, "被") || !strings.Contains(diff, "<del>") || strings.Contains(diff, ",") || strings.Count(u2, `<li class="version">`) != 2 {
			t.Errorf("%q: u-2: %s", c.lang, u2)
		}
	}
}

// section is the HTML from the first occurrence of marker to the next
// utterance.
func section(body, marker string) string {
	i := strings.Index(body, marker)
	if i < 0 {
		return fmt.Sprintf("(no %s)", marker)
	}
	rest := body[i:]
	if j := strings.Index(rest[len(marker):], `<article`); j >= 0 {
		return rest[:len(marker)+j]
	}
	return rest
}
