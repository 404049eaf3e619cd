package web_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/pdis/collab-ledger/domain"
)

// TestPagesUnderLoad measures the case page and a transcript page of a case
// of 100,000 events (20 meetings, each with an imported transcript of 1,000
// utterances and four later versions correcting every utterance), served
// by the real handler and projections runner over an embedded store, under
// load from a second process: wrk (Debian's), 2 threads, 8 connections,
// 10 s per page. It reports p50 and p99 and fails when p99 ≥ 50 ms.
// Opt-in, as it takes a minute and needs the machine to itself:
//
//	COLLABLEDGER_PAGES_LOAD=1 go test ./web -run TestPagesUnderLoad -count=1 -v
func TestPagesUnderLoad(t *testing.T) {
	if os.Getenv("COLLABLEDGER_PAGES_LOAD") != "1" {
		t.Skip("set COLLABLEDGER_PAGES_LOAD=1 to run the load test")
	}
	wrk, err := exec.LookPath("wrk")
	if err != nil {
		t.Skip("no wrk on PATH (apt-get install -y wrk)")
	}
	pe := newPagesEnv(t)
	start := time.Now()
	n := pe.bigCase("90", 20, 1000, 4)
	pe.caughtUp()
	t.Logf("case 90: %d events recorded and projected in %s", n, time.Since(start).Round(time.Millisecond))

	for _, path := range []string{"/cases/90", "/meetings/90-m0", "/meetings/90-m0?page=5", "/api/v1/cases/90/trail?limit=100"} {
		if code, body, _ := pe.get(path); code != 200 {
			t.Fatalf("%s: %d %s", path, code, body[:min(len(body), 300)])
		}
		out, err := exec.Command(wrk, "-t2", "-c8", "-d10s", "--latency", pe.srv.URL+path).CombinedOutput()
		if err != nil {
			t.Fatalf("wrk %s: %v\n%s", path, err, out)
		}
		p50, p99 := wrkPercentile(t, out, "50%"), wrkPercentile(t, out, "99%")
		rps := regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`).FindSubmatch(out)
		t.Logf("%-36s p50 %7.2f ms  p99 %7.2f ms  %s req/s", path, p50, p99, rps[1])
		if p99 >= 50 {
			t.Errorf("%s: p99 %.2f ms, target < 50 ms", path, p99)
		}
	}
}

// wrkPercentile reads a latency percentile of wrk --latency in ms.
func wrkPercentile(t *testing.T, out []byte, pct string) float64 {
	m := regexp.MustCompile(`(?m)^\s+` + regexp.QuoteMeta(pct) + `\s+([0-9.]+)(us|ms|s)\s*$`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no %s in wrk's output:\n%s", pct, out)
	}
	var v float64
	fmt.Sscanf(string(m[1]), "%g", &v)
	switch string(m[2]) {
	case "us":
		v /= 1000
	case "s":
		v *= 1000
	}
	return v
}

// bigCase records, through app.Ledger.Execute, a case of meetings meetings,
// each with an imported transcript of utterances utterances and versions
// later versions correcting every utterance. It returns the events
// recorded.
func (pe *pagesEnv) bigCase(id domain.CaseID, meetings, utterances, versions int) int {
	pe.t.Helper()
	ctx := context.Background()
	n := 0
	exec := func(cmd domain.Command) {
		res, err := pe.ledger.Execute(ctx, staffActor, cmd)
		if err != nil {
			pe.t.Fatalf("%s: %v", cmd.CommandName(), err)
		}
		n += len(res.Events)
	}
	exec(domain.OpenCase{CaseID: id, Title: "大案 " + string(id), SourceKind: domain.SourceAssignment, Ref: "EY-" + string(id)})
	exec(domain.AssignLead{CaseID: id, Ministry: "moi"})
	for m := range meetings {
		mid := domain.MeetingID(fmt.Sprintf("%s-m%d", id, m))
		exec(domain.ScheduleMeeting{MeetingID: mid, CaseID: id, Kind: domain.MeetingWorking, Title: fmt.Sprintf("工作會議 %d", m), StartsAt: apiNow.Add(time.Duration(m) * 24 * time.Hour)})
		us := make([]domain.ImportedUtterance, utterances)
		for i := range us {
			us[i] = domain.ImportedUtterance{UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)), Kind: domain.UtteranceSpeech,
				Speaker: domain.Speaker{Name: fmt.Sprintf("發言人%d", i%17)}, Paragraphs: []string{fmt.Sprintf("第 %d 段發言，關於健保卡與數位身分的討論，內容約五十個字左右。", i)}}
		}
		exec(domain.ImportTranscript{MeetingID: mid, Source: "archive/" + string(mid), ContentHash: fmt.Sprintf("%064x", m+1), Utterances: us})
		for v := range versions {
			changes := make([]domain.Command, utterances)
			for i := range changes {
				changes[i] = domain.CorrectUtterance{MeetingID: mid, UtteranceID: domain.UtteranceID(fmt.Sprintf("u-%d", i)),
					Paragraphs: []string{fmt.Sprintf("第 %d 段發言，關於健保卡與數位身分的討論（第 %d 版）。", i, v+2)}}
			}
			exec(domain.ImportTranscriptVersion{MeetingID: mid, Revision: v + 2, Source: fmt.Sprintf("archive/%s/v%d", mid, v+2),
				ContentHash: fmt.Sprintf("%064x", (m+1)*100+v+2), Editor: "archivist", Reason: "published version", Changes: changes})
		}
	}
	return n
}
