package web_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/importer/join"
	"github.com/pdis/collab-ledger/internal/testenv"
	"github.com/pdis/collab-ledger/readmodels"
)

// countiesProposal is a real Join proposal (學術論文造假者，一率逐出學術界):
// 353 signatures, two of them with a county Join's export garbled
// ("南投\ufffd\ufffd\ufffd", one of a kind; "臺\ufffd\ufffd\ufffd市",
// three counties fit) and six "其它".
const countiesProposal = "73e16ac2-34f0-4994-9d18-5ff7c86f274e"

// countiesWant are its valid signatures by county, counted from
// signatures/73e16ac2-….csv with
//
//	tail -n +2 FILE | cut -d, -f3 | sort | uniq -c
//
// (南投縣 5 plus the garbled 南投…; the garbled 臺…市 is unreadable).
var countiesWant = map[string]int{
	"taipei-city": 94, "new-taipei-city": 68, "taoyuan-city": 35, "taichung-city": 31, "kaohsiung-city": 29,
	"tainan-city": 26, "hsinchu-city": 15, "pingtung-county": 7, "hsinchu-county": 5, "keelung-city": 5,
	"chiayi-county": 5, "nantou-county": 6, "hualien-county": 4, "changhua-county": 4, "yilan-county": 4,
	"chiayi-city": 3, "miaoli-county": 2, "yunlin-county": 1, "taitung-county": 1, "penghu-county": 1,
	readmodels.CountyOther: 6, readmodels.CountyUnreadable: 1,
}

// importCountiesProposal imports the real proposal into pe's store through
// the Join importer (the command side) and waits for the read models.
func importCountiesProposal(t *testing.T) *pagesEnv {
	t.Helper()
	pe := newPagesEnv(t)
	im, err := join.New(join.Config{Ledger: pe.ledger, Store: pe.store, Secret: apiSecret})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(testenv.SharedDir(t), "data", "join-archive")
	sum, err := im.ImportDir(context.Background(), dir, join.DirOptions{Only: []string{countiesProposal}}, nil)
	if err != nil || sum.Recorded != 1 {
		t.Fatalf("import: %v\n%s", err, sum)
	}
	pe.caughtUp()
	return pe
}

// TestSignaturesByCountyRealProposal: the Counties read model counts a
// real proposal's valid signatures by county as its CSV does, garbled
// names placed when one county fits; an invalidation takes the signature
// from its county; the proposal's page shows the map and the table in
// both languages, never the district.
func TestSignaturesByCountyRealProposal(t *testing.T) {
	pe := importCountiesProposal(t)
	ctx := context.Background()
	rd := pe.runner.Reader(readmodels.CountiesName)
	got, ok, err := readmodels.ProposalCounties(ctx, rd, countiesProposal)
	if err != nil || !ok {
		t.Fatalf("counties: %v, %v", ok, err)
	}
	sum := 0
	for k, n := range countiesWant {
		sum += n
		if got.Counts[k] != n {
			t.Errorf("%s: %d valid signatures, want %d", k, got.Counts[k], n)
		}
	}
	if len(got.Counts) != len(countiesWant) || got.Valid != 353 || sum != 353 {
		t.Errorf("counts %v (valid %d), want %v (353)", got.Counts, got.Valid, countiesWant)
	}

	// Row 9 of the CSV is a signer from 臺北市: invalidated, it leaves.
	before, err := pe.store.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	signer := domain.Pseudonym(apiSecret, join.SignerRef(countiesProposal, 9))
	if _, err := pe.ledger.Execute(ctx, staffActor, domain.InvalidateSignature{ProposalID: countiesProposal, SignatureID: domain.SignatureIDFor(countiesProposal, signer), Reason: "冒名附議"}); err != nil {
		t.Fatal(err)
	}
	pe.caughtUp()
	if got, _, _ = readmodels.ProposalCounties(ctx, rd, countiesProposal); got.Counts["taipei-city"] != 93 || got.Valid != 352 || got.UnplacedInvalidations != 0 {
		t.Errorf("after invalidating a 臺北市 signature: 臺北市 %d, valid %d, unplaced %d; want 93, 352, 0", got.Counts["taipei-city"], got.Valid, got.UnplacedInvalidations)
	}

	row := func(body, key string) string {
		m := regexp.MustCompile(`(?s)<tr id="county-` + regexp.QuoteMeta(key) + `"[^>]*>(.*?)</tr>`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no table row for %s", key)
		}
		return regexp.MustCompile(`<[^>]+>`).ReplaceAllString(m[1], "")
	}
	for _, c := range []struct{ lang, taipei, other, unreadable, caption, credit string }{
		{"", "臺北市9326.4%", "其他（平臺所列，如海外）61.7%", "無法辨識（平臺匯出的文字毀損）10.3%", "各縣市有效連署數（共 352 份）", "地圖形狀：內政部國土測繪中心"},
		{"?lang=en", "Taipei City9326.4%", "Other (as the platform gave it, e.g. abroad)61.7%", "Unreadable (garbled in the platform's export)10.3%", "Valid signatures by county (352 in all)", "Map shapes: the Ministry of the Interior"},
	} {
		status, body, _ := pe.get("/proposals/" + countiesProposal + c.lang)
		if status != 200 {
			t.Fatalf("page%s: %d", c.lang, status)
		}
		body = strings.ReplaceAll(body, "&#39;", "'")
		for key, want := range map[string]string{"taipei-city": c.taipei, readmodels.CountyOther: c.other, readmodels.CountyUnreadable: c.unreadable} {
			if r := strings.Join(strings.Fields(row(body, key)), ""); r != strings.Join(strings.Fields(want), "") {
				t.Errorf("page%s: row %s reads %q, want %q", c.lang, key, r, want)
			}
		}
		// 臺北市 26.4% is class 5; 新北市 19.3% 4; 桃園市 9.9% 3; 南投縣 1.7% 1; 金門縣 none, 0
		mustContain(t, "page"+c.lang, body, c.caption, c.credit, `id="shape-taipei-city" class="cty5" data-count="93"`,
			`id="shape-nantou-county" class="cty1" data-count="6"`, `id="shape-kinmen-county" class="cty0" data-count="0"`,
			`id="shape-new-taipei-city" class="cty4" data-count="68"`, `id="shape-taoyuan-city" class="cty3" data-count="35"`,
			`rel="license"`, `<table id="county-table">`)
		if n := strings.Count(body, `<path id="shape-`); n != 22 {
			t.Errorf("page%s: %d county shapes, want 22", c.lang, n)
		}
		for _, district := range []string{"中正區", "南投市", "北投區"} {
			if strings.Contains(body, district) {
				t.Errorf("page%s shows the district %s", c.lang, district)
			}
		}
	}
	// As of the position before the invalidation, the map is as it stood.
	if status, body, _ := pe.get("/proposals/" + countiesProposal + "?asof=" + strconv.FormatUint(uint64(before), 10)); status != 200 ||
		!strings.Contains(body, `id="shape-taipei-city" class="cty5" data-count="94"`) || !strings.Contains(body, "各縣市有效連署數（共 353 份）") {
		t.Errorf("as of %d (before the invalidation): %d, want 臺北市 94 of 353", before, status)
	}
	if _, body, _ := pe.get("/proposals/" + countiesProposal + "?lang=en"); strings.Index(body, `id="county-taipei-city"`) > strings.Index(body, `id="county-new-taipei-city"`) {
		t.Error("the table does not list the most signatures first")
	}
}

// TestBrowserCountyMap: in Chromium, the county map draws 22 shaded
// counties beside the table (side by side at 1280 px, the table below at
// 390 px), with no script on the page.
func TestBrowserCountyMap(t *testing.T) {
	bctx := testenv.Chromium(t, testenv.Browser{Lang: "zh-TW", Timeout: 90 * time.Second})
	pe := importCountiesProposal(t)
	var shapes int
	var taipeiFill, kinmenFill string
	var mapBox, tableBox map[string]float64
	box := `(s => { const r = document.querySelector(s).getBoundingClientRect(); return {x: r.x, y: r.y, w: r.width, h: r.height}; })`
	err := chromedp.Run(bctx,
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(pe.srv.URL+"/proposals/"+countiesProposal),
		chromedp.WaitVisible("svg.taiwan", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll('svg.taiwan path')).filter(p => { const b = p.getBBox(); return b.width > 0 && b.height > 0; }).length`, &shapes),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#shape-taipei-city')).fill`, &taipeiFill),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#shape-kinmen-county')).fill`, &kinmenFill),
		chromedp.Evaluate(box+`('svg.taiwan')`, &mapBox),
		chromedp.Evaluate(box+`('#county-table')`, &tableBox),
	)
	if err != nil {
		t.Fatal(err)
	}
	if shapes != 22 || taipeiFill != "rgb(8, 81, 156)" || kinmenFill != "rgb(242, 242, 242)" {
		t.Errorf("map: %d shapes drawn, 臺北市 %s, 金門縣 %s; want 22, rgb(8, 81, 156), rgb(242, 242, 242)", shapes, taipeiFill, kinmenFill)
	}
	if mapBox["w"] < 200 || mapBox["h"] < 250 || tableBox["x"] <= mapBox["x"]+mapBox["w"]-1 {
		t.Errorf("at 1280 px the map %v is not beside the table %v", mapBox, tableBox)
	}
	var scripts int
	err = chromedp.Run(bctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(pe.srv.URL+"/proposals/"+countiesProposal+"?lang=en"),
		chromedp.WaitVisible("svg.taiwan", chromedp.ByQuery),
		chromedp.Evaluate(box+`('svg.taiwan')`, &mapBox),
		chromedp.Evaluate(box+`('#county-table')`, &tableBox),
		chromedp.Evaluate(`document.scripts.length`, &scripts),
	)
	if err != nil {
		t.Fatal(err)
	}
	if tableBox["y"] < mapBox["y"]+mapBox["h"]-1 || mapBox["w"] > 390 || tableBox["w"] > 390 || scripts != 0 {
		t.Errorf("at 390 px: map %v, table %v (want the table below, both within 390 px), %d scripts", mapBox, tableBox, scripts)
	}
	if os.Getenv("COLLABLEDGER_SCREENSHOTS") != "" {
		var png []byte
		if err := chromedp.Run(bctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(pe.srv.URL+"/proposals/"+countiesProposal), chromedp.WaitVisible("svg.taiwan", chromedp.ByQuery), chromedp.Screenshot("#counties", &png, chromedp.ByQuery)); err == nil {
			_ = os.WriteFile(filepath.Join(os.Getenv("COLLABLEDGER_SCREENSHOTS"), "county-map.png"), png, 0o644)
		}
	}
}
