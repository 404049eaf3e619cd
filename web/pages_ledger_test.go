package web_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/transparency"
)

// TestPagesLedgerBadges: with a real transparency log following the real
// bbolt store, the case and transcript pages mark every trail entry and
// utterance "not yet checkpointed" before any checkpoint; after a signed
// checkpoint, a trail entry reads "included in checkpoint of size N" (both
// languages) with a link to the proof API, whose proof checks out against
// the signed root for that entry's event; an event recorded after the
// checkpoint stays "not yet checkpointed". A transcript says the
// checkpoint once, in one line counting its utterances (both languages),
// and each included utterance links its own proof, which checks out too.
func TestPagesLedgerBadges(t *testing.T) {
	ctx := context.Background()
	tl := newLoadLedger(t)
	pe := newPagesEnv(t, tl.tweak)
	l, pub, verifiers := tl.log, tl.pub, tl.verifiers
	pe.story()

	// No checkpoint yet: every entry is pending, none included.
	_, body, _ := pe.get("/cases/57?lang=en")
	mustContain(t, "case page before a checkpoint", body, `<span class="ledger-badge pending">not yet checkpointed</span>`)
	mustNotContain(t, "case page before a checkpoint", body, "ledger-badge included")
	_, body, _ = pe.get("/meetings/m-1?lang=zh-Hant")
	mustContain(t, "transcript before a checkpoint", body, "尚未納入查核點",
		`<p id="ledger-summary" class="ledger-summary">2 則發言皆尚未納入查核點。</p>`)
	mustNotContain(t, "transcript before a checkpoint", body, "ledger-badge included")

	cp, ok, err := pub.Publish(ctx)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := l.WaitFor(ctx, cp.Position); err != nil {
		t.Fatal(err)
	}
	// After the checkpoint: u-1 corrected again, so its current version's
	// event is not covered yet; u-2's is.
	pe.do("2019-04-23 10:00", staffActor, domain.CorrectUtterance{MeetingID: "m-1", UtteranceID: "u-1", Paragraphs: []string{"我們的壓力真的很大。"}, Reason: "聽打更正"})
	pe.caughtUp()

	size := strconv.FormatInt(cp.Size, 10)
	_, body, _ = pe.get("/cases/57?lang=en")
	mustContain(t, "case page", body, "✓ included in checkpoint of size "+size)
	_, zh, _ := pe.get("/meetings/m-1?lang=zh-Hant")
	mustContain(t, "transcript (zh-Hant)", zh,
		`<p id="ledger-summary" class="ledger-summary">✓ 1 則發言（共 2 則）已納入第 `+size+` 號查核點，每則旁的「證明」連結可取得其納入證明；另 1 則尚未納入查核點，已於該則標示。</p>`,
		`>✓ 證明</a>`, "尚未納入查核點")
	_, en, _ := pe.get("/meetings/m-1?lang=en")
	mustContain(t, "transcript (en)", en,
		`<p id="ledger-summary" class="ledger-summary">✓ 1 of the 2 utterances is included in checkpoint of size `+size+`, with a “proof” link to its inclusion proof; 1 not yet checkpointed, marked on each.</p>`)
	// The checkpoint is named once, not beside each utterance.
	if n := strings.Count(en, "checkpoint of size"); n != 1 {
		t.Errorf("transcript (en) names the checkpoint %d times, want once", n)
	}
	u1, u2 := articleOf(t, en, "u-1"), articleOf(t, en, "u-2")
	mustContain(t, "u-1 (corrected after the checkpoint)", u1, "not yet checkpointed")
	mustNotContain(t, "u-1 (corrected after the checkpoint)", u1, "ledger-badge included")
	mustContain(t, "u-2", u2, `class="ledger-badge included"`, ">✓ proof</a>")
	mustNotContain(t, "u-2", u2, "checkpoint of size")

	// Each badge's link is that entry's proof, and it verifies against the
	// signed checkpoint of the size the badge shows.
	links := regexp.MustCompile(`href="(/api/v1/proofs/inclusion\?event=[0-9a-f-]{36})"`)
	pages := map[string]string{"case page": body, "u-2": u2}
	for what, page := range pages {
		ms := links.FindAllStringSubmatch(page, -1)
		if len(ms) == 0 {
			t.Fatalf("%s: no proof link", what)
		}
		for _, m := range ms {
			code, pb, _ := pe.get(m[1])
			var proof transparency.InclusionProof
			if err := json.Unmarshal([]byte(pb), &proof); err != nil || code != 200 {
				t.Fatalf("%s: GET %s: %d %s", what, m[1], code, pb)
			}
			if proof.TreeSize != cp.Size || proof.LeafIndex != int64(proof.Position)-1 || proof.Verify() != nil {
				t.Fatalf("%s: proof %+v", what, proof)
			}
			if _, err := transparency.OpenCheckpoint([]byte(proof.Checkpoint), verifiers, transparency.DefaultOrigin); err != nil {
				t.Fatalf("%s: the proof's checkpoint: %v", what, err)
			}
		}
	}
}

// TestTranscriptLedgerSummaryAllIncluded: once a checkpoint covers every
// utterance, the transcript's one line says all of them are included, in
// both languages, and no utterance reads "not yet checkpointed".
func TestTranscriptLedgerSummaryAllIncluded(t *testing.T) {
	ctx := context.Background()
	tl := newLoadLedger(t)
	pe := newPagesEnv(t, tl.tweak)
	pe.story()
	cp, ok, err := tl.pub.Publish(ctx)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := tl.log.WaitFor(ctx, cp.Position); err != nil {
		t.Fatal(err)
	}
	size := strconv.FormatInt(cp.Size, 10)
	_, en, _ := pe.get("/meetings/m-1?lang=en")
	mustContain(t, "transcript (en)", en, `<p id="ledger-summary" class="ledger-summary included">✓ All 2 utterances are included in checkpoint of size `+size+`; each utterance’s “proof” link gives its inclusion proof.</p>`)
	mustNotContain(t, "transcript (en)", en, "not yet checkpointed")
	if n := strings.Count(en, `class="ledger-badge included"`); n != 2 {
		t.Errorf("transcript (en): %d proof links, want one per utterance (2)", n)
	}
	_, zh, _ := pe.get("/meetings/m-1")
	mustContain(t, "transcript (zh-Hant)", zh, `<p id="ledger-summary" class="ledger-summary included">✓ 全部 2 則發言皆已納入第 `+size+` 號查核點；每則發言旁的「證明」連結可取得其納入證明。</p>`)
	mustNotContain(t, "transcript (zh-Hant)", zh, "尚未納入查核點")
}

// articleOf returns the <article> of utterance id in a transcript page.
func articleOf(t *testing.T, page, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<article[^>]* id="u-` + regexp.QuoteMeta(id) + `">.*?</article>`).FindString(page)
	if m == "" {
		t.Fatalf("no article for %s", id)
	}
	return m
}
