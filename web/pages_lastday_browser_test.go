package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/internal/testenv"
)

// TestBrowserLastDayAndTranscriptProof: in headless Chromium, a proposal
// whose signing closed at Join's local midnight (2018-11-10 00:00 Taipei)
// reads its last day, 2018-11-09, beside "Signing closes (last day)" and
// on its chart, in both languages, the <time> holding the real instant;
// and a transcript says once that its utterances are in the signed
// checkpoint, each utterance keeping a link to its own proof.
func TestBrowserLastDayAndTranscriptProof(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 2 * time.Minute})
	tl := newLoadLedger(t)
	pe := newPagesEnv(t, tl.tweak)
	pe.story()
	feed, proposer := lastDayActors()
	c1 := citizenActor("A200000001")
	publishNightProposal(pe, feed, proposer)
	pe.do("2018-09-10 09:00", c1, domain.SignProposal{ProposalID: "j-night", Signer: domain.SignerID(c1.ID)})
	pe.caughtUp()
	cp, ok, err := tl.pub.Publish(context.Background())
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := tl.log.WaitFor(context.Background(), cp.Position); err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct{ query, label string }{{"", "連署截止（最後一日）"}, {"?lang=en", "Signing closes (last day)"}} {
		var dt, dd, datetime, chart string
		var ok bool
		err := chromedp.Run(bctx,
			chromedp.Navigate(pe.srv.URL+"/proposals/j-night"+c.query),
			chromedp.WaitVisible("#proposal-status", chromedp.ByQuery),
			chromedp.Evaluate(`(() => { const t = document.querySelector('dd time[datetime="2018-11-09T16:00:00Z"]'); return t ? t.closest('dd').previousElementSibling.textContent : ""; })()`, &dt),
			chromedp.Evaluate(`(() => { const t = document.querySelector('dd time[datetime="2018-11-09T16:00:00Z"]'); return t ? t.textContent : ""; })()`, &dd),
			chromedp.AttributeValue(`dd time[datetime^="2018-11-09T16"]`, "datetime", &datetime, &ok, chromedp.ByQuery),
			chromedp.Evaluate(`Array.from(document.querySelectorAll('svg.chart text.label')).map(e => e.textContent).join('|')`, &chart),
		)
		if err != nil {
			t.Fatalf("proposal page%s: %v", c.query, err)
		}
		if dt != c.label || dd != "2018-11-09" || datetime != "2018-11-09T16:00:00Z" {
			t.Errorf("proposal page%s: %q %q (datetime %q), want %q 2018-11-09 at 2018-11-09T16:00:00Z", c.query, dt, dd, datetime, c.label)
		}
		if !strings.Contains(chart, c.label+" 2018-11-09") || strings.Contains(chart, "2018-11-10") {
			t.Errorf("proposal chart%s: labels %q, want %q and no 2018-11-10", c.query, chart, c.label+" 2018-11-09")
		}
	}

	var summary string
	var proofs, named int
	err = chromedp.Run(bctx,
		chromedp.Navigate(pe.srv.URL+"/meetings/m-1?lang=en"),
		chromedp.WaitVisible("#ledger-summary", chromedp.ByQuery),
		chromedp.Text("#ledger-summary", &summary, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('article.utterance a.ledger-badge.included[href^="/api/v1/proofs/inclusion?event="]').length`, &proofs),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('article.utterance')).filter(a => a.textContent.includes('checkpoint of size')).length`, &named),
	)
	if err != nil {
		t.Fatalf("transcript page: %v", err)
	}
	if want := "All 2 utterances are included in checkpoint of size " + strconv.FormatInt(cp.Size, 10); !strings.Contains(summary, want) {
		t.Errorf("transcript summary %q, want %q", summary, want)
	}
	if proofs != 2 || named != 0 {
		t.Errorf("transcript: %d utterances link their proof (want 2), %d name the checkpoint themselves (want 0)", proofs, named)
	}
}
