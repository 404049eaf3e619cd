package transcriptdiff

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// lcs is the textbook dynamic programme, to check Diff against.
func lcs(a, b []int) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}

// TestDiffIsAShortestEditScript checks Diff on random sequences: the runs
// cover both sequences in order, equal runs are equal, and the number of
// equal elements is the longest common subsequence.
func TestDiffIsAShortestEditScript(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 2000; n++ {
		a := make([]int, r.IntN(40))
		b := make([]int, r.IntN(40))
		alpha := 1 + r.IntN(6)
		for i := range a {
			a[i] = r.IntN(alpha)
		}
		for i := range b {
			b[i] = r.IntN(alpha)
		}
		ops := Diff(a, b)
		ai, bi, eq := 0, 0, 0
		for _, op := range ops {
			if op.A0 != ai || op.B0 != bi {
				t.Fatalf("%v %v: run %+v does not continue at %d,%d", a, b, op, ai, bi)
			}
			switch op.Kind {
			case Equal:
				if !slices.Equal(a[op.A0:op.A1], b[op.B0:op.B1]) {
					t.Fatalf("unequal equal run")
				}
				eq += op.A1 - op.A0
			case Delete:
				if op.B0 != op.B1 {
					t.Fatalf("delete run with b range")
				}
			case Insert:
				if op.A0 != op.A1 {
					t.Fatalf("insert run with a range")
				}
			}
			ai, bi = op.A1, op.B1
		}
		if ai != len(a) || bi != len(b) {
			t.Fatalf("runs end at %d,%d", ai, bi)
		}
		if want := lcs(a, b); eq != want {
			t.Fatalf("%v → %v: %d equal, LCS %d", a, b, eq, want)
		}
	}
}

func TestNormalizeFoldsPunctuationAndSpace(t *testing.T) {
	for _, c := range [][2]string{
		{"搜尋 sli.do,輸入125,就可以開始留言。", "搜尋 sli.do，輸入125，就可以開始留言."},
		{"(與會者皆無意見)", "（與會者皆無意見）"},
		{"PO.chat(PO間溝通的平台)", "PO.chat（PO間溝通的平台）"},
		{"<i>斜體</i> &amp; 粗", "斜體&粗"},
		{"ＡＢＣ１２３", "ABC123"},
	} {
		if Normalize(c[0]) != Normalize(c[1]) {
			t.Errorf("Normalize(%q) = %q ≠ Normalize(%q) = %q", c[0], Normalize(c[0]), c[1], Normalize(c[1]))
		}
	}
}

func TestWords(t *testing.T) {
	render := func(cs []Chunk) string {
		var b strings.Builder
		for _, c := range cs {
			switch c.Kind {
			case Equal:
				b.WriteString(c.Text)
			case Delete:
				b.WriteString("[-" + c.Text + "-]")
			case Insert:
				b.WriteString("{+" + c.Text + "+}")
			}
		}
		return b.String()
	}
	for _, c := range [][3]string{
		{"可備預見的狀況", "可被預見的狀況", "可[-備-]{+被+}預見的狀況"},
		{"組工回的意見", "組工會的意見", "組工[-回-]{+會+}的意見"},
		{"the quick brown fox", "the slow brown fox", "the [-quick-]{+slow+} brown fox"},
		{"請 <i>各位</i> 指教", "請 <b>各位</b> 指教", "請 [-<i>-]{+<b>+}各位[-</i>-]{+</b>+} 指教"},
	} {
		if got := render(Words(c[0], c[1])); got != c[2] {
			t.Errorf("Words(%q, %q) = %q, want %q", c[0], c[1], got, c[2])
		}
	}
}

func sp(who string, ps ...string) Item { return Item{Kind: "speech", Speaker: who, Paragraphs: ps} }
func narr(ps ...string) Item           { return Item{Kind: "narration", Paragraphs: ps} }
func kinds(steps []Step) (out []string) {
	for _, s := range steps {
		out = append(out, s.Kind.String())
	}
	return out
}

// TestAlignRecognisesEachKindOfChange: one fixture per kind of step.
func TestAlignRecognisesEachKindOfChange(t *testing.T) {
	base := []Item{
		sp("甲", "各位好，今天我們討論開放政府的推動方式。"),
		sp("乙", "我先說明一下議程的安排與時間的分配。"),
		sp("甲", "關於紀錄的部分，速錄師會全部記錄下來。"),
		sp("乙", "最後請大家填寫問卷，謝謝大家的參與。"),
	}
	for name, c := range map[string]struct {
		new  []Item
		want []string
	}{
		"unchanged":          {base, []string{"same", "same", "same", "same"}},
		"corrected":          {[]Item{base[0], sp("乙", "我先說明一下議程的安排以及時間的分配。"), base[2], base[3]}, []string{"same", "changed", "same", "same"}},
		"reattributed":       {[]Item{base[0], sp("丙", base[1].Paragraphs...), base[2], base[3]}, []string{"same", "changed", "same", "same"}},
		"inserted narration": {[]Item{base[0], narr("（與會者皆無意見）"), base[1], base[2], base[3]}, []string{"same", "inserted", "same", "same", "same"}},
		"deleted":            {[]Item{base[0], base[2], base[3]}, []string{"same", "deleted", "same", "same"}},
		"merged":             {[]Item{base[0], sp("乙", "我先說明一下議程的安排與時間的分配。關於紀錄的部分，速錄師會全部記錄下來。"), base[3]}, []string{"same", "merged", "same"}},
		"split":              {[]Item{base[0], sp("乙", "我先說明一下議程的安排"), sp("甲", "與時間的分配。"), base[2], base[3]}, []string{"same", "split", "same", "same"}},
		"reclassified":       {[]Item{base[0], base[1], base[2], narr(base[3].Paragraphs...)}, []string{"same", "same", "same", "changed"}},
	} {
		t.Run(name, func(t *testing.T) {
			steps := Align(base, c.new)
			if got := kinds(steps); !slices.Equal(got, c.want) {
				t.Errorf("steps %v, want %v", got, c.want)
			}
			checkCover(t, steps, len(base), len(c.new))
		})
	}
}

// checkCover checks that the steps name every old and new utterance once,
// in order.
func checkCover(t *testing.T, steps []Step, nOld, nNew int) {
	t.Helper()
	o, n := 0, 0
	for _, s := range steps {
		for _, i := range s.Old {
			if i != o {
				t.Fatalf("old %d out of order (want %d)", i, o)
			}
			o++
		}
		for _, j := range s.New {
			if j != n {
				t.Fatalf("new %d out of order (want %d)", j, n)
			}
			n++
		}
	}
	if o != nOld || n != nNew {
		t.Fatalf("steps cover %d old, %d new; want %d, %d", o, n, nOld, nNew)
	}
}

func TestParagraphs(t *testing.T) {
	old := []string{"第一段，不變。", "第二段有錯字：組工回。", "第三段會被刪掉。"}
	new := []string{"第一段,不變。", "第二段有錯字：組工會。", "新加的一段。", "再一段。"}
	got := Paragraphs(old, new)
	var kinds []ParagraphKind
	for _, p := range got {
		kinds = append(kinds, p.Kind)
	}
	want := []ParagraphKind{ParagraphChanged, ParagraphChanged, ParagraphChanged, ParagraphInserted}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	w := got[1].Words
	if !slices.Contains(w, Chunk{Kind: Delete, Text: "回"}) || !slices.Contains(w, Chunk{Kind: Insert, Text: "會"}) {
		t.Errorf("words %+v: want 回 → 會", w)
	}
}
