package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pdis/collab-ledger/domain"
	"github.com/pdis/collab-ledger/domain/calendar"
)

// The public pages speak Traditional Chinese and English. The language is
// chosen, in order, by ?lang= (zh-Hant or en, then remembered in the
// "lang" cookie), the cookie, the Accept-Language header, and otherwise
// Traditional Chinese. Every label comes from the catalogue below; what
// people wrote (titles, speeches, notes, reasons) is shown as written.

// Languages of the pages.
const (
	LangZhHant = "zh-Hant"
	LangEn     = "en"
)

// langCookie remembers the language chosen with ?lang=.
const langCookie = "lang"

// langOf picks the page language of r, and reports whether ?lang= chose
// it (the caller then sets the cookie).
func langOf(r *http.Request) (lang string, chosen bool) {
	if l, ok := normLang(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	if c, err := r.Cookie(langCookie); err == nil {
		if l, ok := normLang(c.Value); ok {
			return l, false
		}
	}
	return acceptLanguage(r.Header.Get("Accept-Language")), false
}

// normLang maps a language tag to one of the page languages.
func normLang(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "":
		return "", false
	case s == "zh" || strings.HasPrefix(s, "zh-hant") || s == "zh-tw" || s == "zh-hk" || s == "zh-mo":
		return LangZhHant, true
	case s == "en" || strings.HasPrefix(s, "en-"):
		return LangEn, true
	}
	return "", false
}

// acceptLanguage picks the page language an Accept-Language header prefers
// most; Traditional Chinese wins ties and is the default.
func acceptLanguage(h string) string {
	best, bestQ := LangZhHant, -1.0
	for part := range strings.SplitSeq(h, ",") {
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				q = f
			}
		}
		l, ok := normLang(tag)
		if !ok || q <= 0 {
			continue
		}
		if q > bestQ || (q == bestQ && l == LangZhHant) {
			best, bestQ = l, q
		}
	}
	return best
}

// otherLang is the language the switch link offers.
func otherLang(lang string) string {
	if lang == LangEn {
		return LangZhHant
	}
	return LangEn
}

// tr returns the label key in lang; a missing key shows the key itself
// (a test keeps the catalogue complete).
func tr(lang, key string) string {
	if m, ok := catalogue[lang][key]; ok {
		return m
	}
	if m, ok := catalogue[LangZhHant][key]; ok {
		return m
	}
	return key
}

// formatTime shows t in Taipei time, the process's own clock.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Taipei).Format("2006-01-02 15:04")
}

// formatEnd shows the end of a period: an end at midnight is shown as
// 24:00 of the day before ("until 2019-05-03 24:00"), as the office
// calendar counts it.
func formatEnd(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	if l := t.In(calendar.Taipei); l.Hour() != 0 || l.Minute() != 0 || l.Second() != 0 {
		return l.Format("2006-01-02 15:04")
	}
	return calendar.LastDay(t).String() + " 24:00"
}

// formatDate shows t's Taipei date.
func formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(calendar.Taipei).Format("2006-01-02")
}

// catalogue holds every label of the pages in both languages. Enumerations
// of the domain (stages, sources, verdicts, …) are keyed "<kind>.<value>".
var catalogue = map[string]map[string]string{
	LangZhHant: {
		"site.name":                            "協作紀錄帳本",
		"site.tagline":                         "開放政府協作過程的可驗證紀錄",
		"nav.cases":                            "協作案件",
		"nav.api":                              "JSON API",
		"nav.skip":                             "跳到主要內容",
		"lang.switch":                          "English",
		"lang.switch.label":                    "切換語言",
		"lang.name":                            "繁體中文",
		"footer.note":                          "本頁由事件紀錄產生，每一筆紀錄皆標示日期、行動者與紀錄位置。",
		"footer.clock":                         "時間皆為臺北時間（UTC+8）。",
		"view.public":                          "公開檢視",
		"view.auditor":                         "稽核檢視",
		"common.none":                          "無",
		"common.yes":                           "是",
		"common.no":                            "否",
		"common.position":                      "紀錄位置",
		"common.occurred":                      "發生時間",
		"common.recorded":                      "記錄時間",
		"common.actor":                         "行動者",
		"common.reason":                        "理由",
		"common.next":                          "下一頁",
		"common.prev":                          "第一頁",
		"common.page":                          "分頁",
		"common.count":                         "數量",
		"common.date":                          "日期",
		"common.anonymous":                     "匿名",
		"common.staff":                         "（未具名）",
		"common.removed":                       "已移除",
		"common.of":                            "／",
		"index.title":                          "協作案件",
		"index.intro":                          "每一個協作案件的階段、主協辦機關與問責軌跡。",
		"index.filter":                         "篩選",
		"index.stage":                          "階段",
		"index.ministry":                       "機關",
		"index.source":                         "來源",
		"index.year":                           "年度",
		"index.search":                         "以標題搜尋",
		"index.apply":                          "套用",
		"index.clear":                          "清除",
		"index.any":                            "全部",
		"index.caption":                        "符合條件的協作案件",
		"index.count":                          "共 %d 件",
		"index.empty":                          "沒有符合條件的案件。",
		"case.id":                              "案號",
		"case.title":                           "標題",
		"case.stage":                           "目前階段",
		"case.source":                          "來源",
		"case.lead":                            "主辦機關",
		"case.coorganisers":                    "協辦機關",
		"case.opened":                          "立案",
		"case.lastchange":                      "最後更新",
		"case.meetings":                        "會議",
		"case.timeline":                        "階段歷程",
		"case.timeline.caption":                "案件經過的每一個階段，依時間排序",
		"case.stage.entered":                   "進入時間",
		"case.stage.left":                      "結束時間",
		"case.stage.days":                      "歷時（日）",
		"case.stage.current":                   "目前階段",
		"case.leads":                           "主辦機關指派紀錄",
		"case.leads.caption":                   "主辦機關的每一次指派",
		"case.organisers":                      "協辦機關異動",
		"case.organisers.caption":              "協辦機關的加入與移除",
		"case.added":                           "加入",
		"case.removedorg":                      "移除",
		"case.previous":                        "前任",
		"case.ministry":                        "機關",
		"case.meetings.caption":                "本案的會議",
		"case.meeting.kind":                    "類型",
		"case.meeting.phase":                   "階段",
		"case.meeting.starts":                  "開始時間",
		"case.meeting.invited":                 "邀請",
		"case.meeting.attended":                "出席",
		"case.meeting.transcript":              "逐字稿",
		"case.inclusion":                       "利害關係人盤點與出席",
		"case.inclusion.caption":               "各類利害關係人：盤點、邀請與實際出席",
		"case.category":                        "類別",
		"case.inventoried":                     "盤點",
		"case.invited":                         "邀請",
		"case.attended":                        "出席",
		"case.neverattended":                   "未曾出席",
		"case.stakeholders":                    "利害關係人",
		"case.stakeholders.caption":            "利害關係人清單",
		"case.name":                            "名稱",
		"case.recommendations":                 "會議建議",
		"case.recommendations.caption":         "會議建議與各機關回應",
		"case.recommendation":                  "建議",
		"case.addressees":                      "受文機關",
		"case.responses":                       "回應",
		"case.verdict":                         "回應結果",
		"case.followup":                        "後續",
		"case.superseded":                      "已被更新回應取代",
		"case.unanswered":                      "尚未回應",
		"case.report":                          "陳報行政院長",
		"case.directive":                       "院長指示",
		"case.trail":                           "問責軌跡：這個結果是怎麼來的",
		"case.trail.intro":                     "每一筆紀錄依記錄順序排列，標示日期與行動者。包含本案的來源提案與選題投票。",
		"case.trail.caption":                   "問責軌跡（第 %d 筆起）",
		"case.trail.step":                      "步驟",
		"case.trail.type":                      "事件",
		"case.trail.detail":                    "內容",
		"case.trail.redacted":                  "公開檢視省略",
		"case.asof":                            "時點檢視",
		"case.asof.note":                       "本頁呈現的是 %s 的狀態。",
		"case.asof.position":                   "紀錄位置 %d 為止",
		"case.asof.recorded":                   "帳本於 %s 所記錄（記錄時鐘）",
		"case.asof.occurred":                   "截至 %s 實際發生（發生時鐘）",
		"case.asof.form":                       "查看過去某一時點",
		"case.asof.value":                      "時間（RFC 3339）或紀錄位置",
		"case.asof.clock":                      "時鐘",
		"case.asof.show":                       "查看",
		"case.asof.live":                       "回到目前狀態",
		"case.proposal":                        "來源提案",
		"case.monthly":                         "選題的 PO 月會",
		"meeting.title":                        "會議",
		"meeting.organiser":                    "主辦",
		"meeting.case":                         "所屬案件",
		"meeting.participants":                 "與會者",
		"meeting.participants.caption":         "與會者與出席紀錄",
		"meeting.role":                         "角色",
		"meeting.present":                      "出席",
		"meeting.unknown":                      "未記錄",
		"meeting.recordings":                   "影音紀錄",
		"meeting.transcript":                   "逐字稿",
		"meeting.notranscript":                 "本會議尚無逐字稿。",
		"meeting.published":                    "公開時間",
		"meeting.editwindow":                   "發言者可於 %s 前修改自己的發言（%d 個工作天）。",
		"meeting.editwindow.closed":            "修改期限已於 %s 截止（%d 個工作天）。",
		"meeting.imported":                     "匯入自",
		"meeting.normalised":                   "格式正規化一次：%d 段發言的半形標點改為全形、寬度與空白統一（不是文字修改，各段不列為編修）",
		"meeting.normalised.rules":             "規則：中文前後的 , ; : ? ! 改為全形，括住中文的 ( ) 改為（），全形標點旁的空白刪除；規則名稱",
		"meeting.normalised.by":                "正規化者",
		"meeting.utterances":                   "共 %d 則發言",
		"meeting.removedcount":                 "另有 %d 則已刪除或合併（僅稽核檢視可見）",
		"meeting.speaker":                      "發言者",
		"meeting.narration":                    "旁白",
		"meeting.edited":                       "已修改",
		"meeting.versions":                     "所有版本與修改內容（%d 個版本）",
		"meeting.version":                      "第 %d 版",
		"meeting.editor":                       "修訂者",
		"meeting.diff":                         "與前一版的差異",
		"meeting.ins":                          "新增：",
		"meeting.del":                          "刪除：",
		"meeting.ins.end":                      "（新增結束）",
		"meeting.del.end":                      "（刪除結束）",
		"ledger.included":                      "✓ 已納入第 %d 號查核點",
		"ledger.pending":                       "尚未納入查核點",
		"ledger.proof.link":                    "✓ 證明",
		"ledger.summary.all":                   "✓ 全部 %d 則發言皆已納入第 %d 號查核點；每則發言旁的「證明」連結可取得其納入證明。",
		"ledger.summary.some":                  "✓ %d 則發言（共 %d 則）已納入第 %d 號查核點，每則旁的「證明」連結可取得其納入證明；另 %d 則尚未納入查核點，已於該則標示。",
		"ledger.summary.none":                  "%d 則發言皆尚未納入查核點。",
		"ledger.summary.page.all":              "✓ 本頁 %d 則發言皆已納入第 %d 號查核點；每則發言旁的「證明」連結可取得其納入證明。",
		"ledger.summary.page.some":             "✓ 本頁 %d 則發言（共 %d 則）已納入第 %d 號查核點，每則旁的「證明」連結可取得其納入證明；另 %d 則尚未納入查核點，已於該則標示。",
		"ledger.summary.page.none":             "本頁 %d 則發言皆尚未納入查核點。",
		"ledger.proof":                         "納入證明（JSON）：這筆紀錄在已簽署查核點的 Merkle 樹中",
		"meeting.reattributed":                 "發言者更正：%s → %s",
		"common.backdated":                     "事後補登",
		"common.erased":                        "個人資料已依法刪除",
		"common.erased.on":                     "已於 %s 依法刪除（%s；%s）",
		"common.erased.value":                  "（已刪除）",
		"calendar.provisional":                 "暫定",
		"calendar.provisional.date":            "表決時尚未載入該年的行政機關辦公日曆：日期只排除週末，未計國定假日。",
		"calendar.provisional.window":          "計算時尚未載入 %s 年的行政機關辦公日曆，期限只排除週末，未計國定假日。",
		"meeting.reattributed.same":            "發言者更正：%s",
		"meeting.reattributed.sep":             "；",
		"meeting.account.linked":               "連結到發言者帳號",
		"meeting.account.unlinked":             "取消連結發言者帳號",
		"meeting.account.changed":              "改連結到另一個發言者帳號",
		"meeting.account.ids":                  "帳號 %s → %s",
		"meeting.ref.changed":                  "來源代號 %s → %s",
		"meeting.notes":                        "心智圖與概念發展表",
		"meeting.notes.caption":                "會議中的筆記",
		"meeting.board":                        "版面",
		"meeting.note":                         "筆記",
		"meeting.revisions":                    "修訂",
		"meeting.removednotes":                 "另有 %d 則筆記已移除（僅稽核檢視可見）",
		"meeting.questions":                    "匿名提問",
		"meeting.questions.caption":            "已回答的匿名提問",
		"meeting.question":                     "提問",
		"meeting.answer":                       "回答",
		"meeting.noquestions":                  "沒有已回答的提問。",
		"meeting.archivedquestions":            "另有 %d 則提問已封存（僅稽核檢視可見）",
		"meeting.utterances.page":              "發言分頁",
		"proposal.title":                       "提案",
		"proposal.status":                      "狀態",
		"proposal.ministry":                    "權責機關",
		"proposal.published":                   "公開時間",
		"proposal.closes":                      "連署截止（最後一日）",
		"proposal.threshold":                   "成案門檻",
		"proposal.valid":                       "有效連署",
		"proposal.signatures":                  "連署總數",
		"proposal.invalidated":                 "無效連署",
		"proposal.chart":                       "連署數隨時間變化",
		"proposal.chart.desc":                  "折線圖：從公開到 %s 的有效連署數（扣除被註銷的連署），目前 %d，最高 %d；門檻為 %d，虛線標出；直線標出連署截止。下表列出每個時段。",
		"proposal.chart.caption":               "各時段的連署、註銷與有效連署數",
		"proposal.chart.event":                 "新增／註銷",
		"proposal.chart.deadline":              "連署截止（最後一日）",
		"proposal.milestones":                  "里程碑",
		"proposal.milestones.caption":          "連署里程碑與達成時間",
		"proposal.reached":                     "達成時間",
		"proposal.notreached":                  "尚未達成",
		"proposal.established":                 "已於 %s 成案（%d／%d）。",
		"proposal.expired":                     "已於 %s 截止，未達門檻（%d／%d）。",
		"proposal.response":                    "機關回應",
		"proposal.due":                         "回應期限",
		"proposal.originaldue":                 "原訂期限（最後一日）",
		"proposal.extensions":                  "延長公告",
		"proposal.responded":                   "已於 %s 回應",
		"proposal.ontime":                      "於期限內回應",
		"proposal.late":                        "逾期回應",
		"proposal.missed":                      "期限 %s 已過，尚未回應",
		"proposal.pending":                     "等待回應，期限 %s",
		"proposal.cases":                       "由本提案成立的協作案件",
		"monthly.title":                        "PO 月會選題",
		"monthly.heldon":                       "開會日期",
		"monthly.rules":                        "規則：每個機關最多選 %d 項；選出 %d 個題目（至多 %d 個）；同一主辦機關 %d 日內不得再辦投票選出的會議。",
		"monthly.candidates":                   "候選題目",
		"monthly.candidates.caption":           "候選題目與得票",
		"monthly.candidate":                    "題目",
		"monthly.kind":                         "類型",
		"monthly.organiser":                    "主辦機關",
		"monthly.votes":                        "票數",
		"monthly.rank":                         "名次",
		"monthly.selected":                     "獲選",
		"monthly.skipped":                      "依規則未獲選",
		"skip.monthly.close.organiser_spacing": "%s 在該月無法再主辦一場與其他投票選出的會議相隔規定天數的會議",
		"monthly.ballots":                      "各機關選票",
		"monthly.ballots.caption":              "各機關的選票，依投票順序",
		"monthly.po":                           "投票 PO",
		"monthly.choices":                      "選擇",
		"monthly.tally":                        "計票結果",
		"monthly.tally.caption":                "最終計票",
		"monthly.topics":                       "選出的題目",
		"monthly.topics.caption":               "選出的協作會議題目",
		"monthly.month":                        "會議月份",
		"monthly.earliest":                     "最早日期",
		"monthly.open":                         "投票尚未結束。",
		"monthly.imported":                     "此月會自檔案匯入：會議已於當日舉行，逐字紀錄見會議頁；選票與計票結果不在檔案中，帳本不予推測。",
		"monthly.held.title":                   "逐字紀錄所示",
		"monthly.held.transcript":              "逐字紀錄",
		"monthly.held.speakers":                "發言者（%d 位）",
		"monthly.held.utterances":              "發言段數",
		"monthly.held.topics":                  "發言中引述的議題標題（%d 項）",
		"monthly.held.notopics":                "發言中沒有引述議題標題。",
		"monthly.totalballots":                 "共 %d 張選票",
		"notfound.title":                       "找不到頁面",
		"notfound.body":                        "帳本中沒有這筆紀錄：%s",
		"notfound.back":                        "回到案件列表",
		"forbidden.title":                      "無權查看",
		"forbidden.body":                       "稽核檢視只提供給持有稽核或 PDIS 權杖的使用者。",
		"error.title":                          "發生錯誤",
		"error.body":                           "伺服器暫時無法回應，請稍後再試。",
		"badrequest.title":                     "請求有誤",
		"step.proposal":                        "提案",
		"step.signatures":                      "連署",
		"step.proposal_response":               "提案回應",
		"step.vote":                            "選題投票",
		"step.case_opened":                     "立案",
		"step.organisers":                      "主協辦機關",
		"step.stage":                           "階段",
		"step.research":                        "研究",
		"step.recommendation":                  "建議",
		"step.report":                          "陳報",
		"step.directive":                       "指示",
		"step.response":                        "機關回應",
		"step.meeting":                         "會議",
		"step.participation":                   "與會",
		"step.note":                            "筆記",
		"step.question":                        "提問",
		"step.transcript":                      "逐字稿",
		"step.utterance":                       "發言",
		"step.transcript_edit":                 "逐字稿修改",
		"field.title":                          "標題",
		"field.text":                           "內容",
		"field.reason":                         "理由",
		"field.summary":                        "摘要",
		"field.to":                             "轉為",
		"field.ministry":                       "機關",
		"field.verdict":                        "結果",
		"field.answer":                         "回答",
		"field.name":                           "名稱",
	},
	LangEn: {
		"site.name":                            "Collab Ledger",
		"site.tagline":                         "A verifiable record of Taiwan's open-government collaboration",
		"nav.cases":                            "Cases",
		"nav.api":                              "JSON API",
		"nav.skip":                             "Skip to main content",
		"lang.switch":                          "繁體中文",
		"lang.switch.label":                    "Switch language",
		"lang.name":                            "English",
		"footer.note":                          "This page is derived from the event log; every entry shows its date, its actor and its place in the log.",
		"footer.clock":                         "Times are Taipei time (UTC+8).",
		"view.public":                          "Public view",
		"view.auditor":                         "Auditor view",
		"common.none":                          "None",
		"common.yes":                           "Yes",
		"common.no":                            "No",
		"common.position":                      "Log position",
		"common.occurred":                      "Occurred",
		"common.recorded":                      "Recorded",
		"common.actor":                         "Actor",
		"common.reason":                        "Reason",
		"common.next":                          "Next page",
		"common.prev":                          "First page",
		"common.page":                          "Pages",
		"common.count":                         "Count",
		"common.date":                          "Date",
		"common.anonymous":                     "Anonymous",
		"common.staff":                         "(unnamed)",
		"common.removed":                       "Removed",
		"common.of":                            " of ",
		"index.title":                          "Collaboration cases",
		"index.intro":                          "Every collaboration case: its stage, lead and co-organising ministries, and accountability trail.",
		"index.filter":                         "Filter",
		"index.stage":                          "Stage",
		"index.ministry":                       "Ministry",
		"index.source":                         "Source",
		"index.year":                           "Year",
		"index.search":                         "Search by title",
		"index.apply":                          "Apply",
		"index.clear":                          "Clear",
		"index.any":                            "Any",
		"index.caption":                        "Cases matching the filter",
		"index.count":                          "%d cases",
		"index.empty":                          "No case matches.",
		"case.id":                              "Case",
		"case.title":                           "Title",
		"case.stage":                           "Current stage",
		"case.source":                          "Source",
		"case.lead":                            "Lead ministry",
		"case.coorganisers":                    "Co-organisers",
		"case.opened":                          "Opened",
		"case.lastchange":                      "Last change",
		"case.meetings":                        "Meetings",
		"case.timeline":                        "Stage timeline",
		"case.timeline.caption":                "Every stage the case went through, in order",
		"case.stage.entered":                   "Entered",
		"case.stage.left":                      "Left",
		"case.stage.days":                      "Days",
		"case.stage.current":                   "current stage",
		"case.leads":                           "Lead assignments",
		"case.leads.caption":                   "Every assignment of the lead ministry",
		"case.organisers":                      "Co-organiser changes",
		"case.organisers.caption":              "Co-organisers added and removed",
		"case.added":                           "Added",
		"case.removedorg":                      "Removed",
		"case.previous":                        "Previous",
		"case.ministry":                        "Ministry",
		"case.meetings.caption":                "The case's meetings",
		"case.meeting.kind":                    "Kind",
		"case.meeting.phase":                   "Phase",
		"case.meeting.starts":                  "Starts",
		"case.meeting.invited":                 "Invited",
		"case.meeting.attended":                "Attended",
		"case.meeting.transcript":              "Transcript",
		"case.inclusion":                       "Stakeholder inventory against attendance",
		"case.inclusion.caption":               "Per stakeholder category: inventoried, invited and present",
		"case.category":                        "Category",
		"case.inventoried":                     "Inventoried",
		"case.invited":                         "Invited",
		"case.attended":                        "Attended",
		"case.neverattended":                   "Never attended",
		"case.stakeholders":                    "Stakeholders",
		"case.stakeholders.caption":            "The stakeholder inventory",
		"case.name":                            "Name",
		"case.recommendations":                 "Recommendations",
		"case.recommendations.caption":         "The meetings' recommendations and each ministry's response",
		"case.recommendation":                  "Recommendation",
		"case.addressees":                      "Addressed to",
		"case.responses":                       "Responses",
		"case.verdict":                         "Verdict",
		"case.followup":                        "Follow-up",
		"case.superseded":                      "superseded by a later response",
		"case.unanswered":                      "Not yet answered",
		"case.report":                          "Report to the Premier",
		"case.directive":                       "The Premier's directive",
		"case.trail":                           "Accountability trail: how this outcome arose",
		"case.trail.intro":                     "Every entry in log order, dated and attributed, including the source proposal and the vote that selected the topic.",
		"case.trail.caption":                   "Accountability trail (from entry %d)",
		"case.trail.step":                      "Step",
		"case.trail.type":                      "Event",
		"case.trail.detail":                    "Details",
		"case.trail.redacted":                  "left out of the public view",
		"case.asof":                            "As-of view",
		"case.asof.note":                       "This page shows the case as of %s.",
		"case.asof.position":                   "log position %d",
		"case.asof.recorded":                   "what the ledger had recorded at %s (recorded-at clock)",
		"case.asof.occurred":                   "what had happened by %s (occurred-at clock)",
		"case.asof.form":                       "See an earlier moment",
		"case.asof.value":                      "Time (RFC 3339) or log position",
		"case.asof.clock":                      "Clock",
		"case.asof.show":                       "Show",
		"case.asof.live":                       "Back to the current state",
		"case.proposal":                        "Source proposal",
		"case.monthly":                         "PO monthly meeting that selected it",
		"meeting.title":                        "Meeting",
		"meeting.organiser":                    "Organiser",
		"meeting.case":                         "Case",
		"meeting.participants":                 "Participants",
		"meeting.participants.caption":         "Participants and attendance",
		"meeting.role":                         "Role",
		"meeting.present":                      "Present",
		"meeting.unknown":                      "not recorded",
		"meeting.recordings":                   "Recordings",
		"meeting.transcript":                   "Transcript",
		"meeting.notranscript":                 "This meeting has no transcript yet.",
		"meeting.published":                    "Published",
		"meeting.editwindow":                   "Speakers may edit their own words until %s (%d working days).",
		"meeting.editwindow.closed":            "The edit window closed on %s (%d working days).",
		"meeting.imported":                     "Imported from",
		"meeting.normalised":                   "Normalised once: ASCII punctuation made full-width, width and spacing made uniform in %d utterances (not a change of wording; not listed as edits)",
		"meeting.normalised.rules":             "Rules: , ; : ? ! next to Chinese become full-width, ( ) around Chinese become （）, spaces next to full-width punctuation go; rules named",
		"meeting.normalised.by":                "Normalised by",
		"meeting.utterances":                   "%d utterances",
		"meeting.removedcount":                 "%d more were deleted or merged (auditor view only)",
		"meeting.speaker":                      "Speaker",
		"meeting.narration":                    "Narration",
		"meeting.edited":                       "Edited",
		"meeting.versions":                     "Every version and what changed (%d versions)",
		"meeting.version":                      "Version %d",
		"meeting.editor":                       "edited by",
		"meeting.diff":                         "Changes from the previous version",
		"meeting.ins":                          "inserted: ",
		"meeting.del":                          "deleted: ",
		"meeting.ins.end":                      " (end of insertion)",
		"meeting.del.end":                      " (end of deletion)",
		"ledger.included":                      "✓ included in checkpoint of size %d",
		"ledger.pending":                       "not yet checkpointed",
		"ledger.proof.link":                    "✓ proof",
		"ledger.summary.all":                   "✓ All %d utterances are included in checkpoint of size %d; each utterance’s “proof” link gives its inclusion proof.",
		"ledger.summary.some":                  "✓ %d of the %d utterances are included in checkpoint of size %d, each with a “proof” link to its inclusion proof; %d not yet checkpointed, marked on each.",
		"ledger.summary.none":                  "None of the %d utterances is checkpointed yet.",
		"ledger.summary.page.all":              "✓ All %d utterances on this page are included in checkpoint of size %d; each utterance’s “proof” link gives its inclusion proof.",
		"ledger.summary.page.some":             "✓ %d of the %d utterances on this page are included in checkpoint of size %d, each with a “proof” link to its inclusion proof; %d not yet checkpointed, marked on each.",
		"ledger.summary.page.none":             "None of the %d utterances on this page is checkpointed yet.",
		"ledger.proof":                         "Inclusion proof (JSON): this record is in the Merkle tree of a signed checkpoint",
		"meeting.reattributed":                 "Speaker corrected: %s → %s",
		"common.backdated":                     "back-dated",
		"common.erased":                        "personal data erased",
		"common.erased.on":                     "erased on %s (%s; %s)",
		"common.erased.value":                  "(erased)",
		"calendar.provisional":                 "Provisional",
		"calendar.provisional.date":            "The office calendar for that year was not loaded when the vote was tallied: the date skips weekends only, not holidays.",
		"calendar.provisional.window":          "the office calendar for %s was not loaded when this was computed: the deadline skips weekends only, not holidays.",
		"meeting.reattributed.same":            "Speaker corrected: %s",
		"meeting.reattributed.sep":             "; ",
		"meeting.account.linked":               "linked to the speaker's account",
		"meeting.account.unlinked":             "unlinked from a speaker's account",
		"meeting.account.changed":              "linked to another speaker's account",
		"meeting.account.ids":                  "account %s → %s",
		"meeting.ref.changed":                  "source reference %s → %s",
		"meeting.notes":                        "Mind map and concept sheets",
		"meeting.notes.caption":                "Notes taken at the meeting",
		"meeting.board":                        "Board",
		"meeting.note":                         "Note",
		"meeting.revisions":                    "Revisions",
		"meeting.removednotes":                 "%d more notes were removed (auditor view only)",
		"meeting.questions":                    "Anonymous questions",
		"meeting.questions.caption":            "Anonymous questions that were answered",
		"meeting.question":                     "Question",
		"meeting.answer":                       "Answer",
		"meeting.noquestions":                  "No question was answered.",
		"meeting.archivedquestions":            "%d more questions were archived (auditor view only)",
		"meeting.utterances.page":              "Utterance pages",
		"proposal.title":                       "Proposal",
		"proposal.status":                      "Status",
		"proposal.ministry":                    "Competent ministry",
		"proposal.published":                   "Published",
		"proposal.closes":                      "Signing closes (last day)",
		"proposal.threshold":                   "Threshold",
		"proposal.valid":                       "Valid signatures",
		"proposal.signatures":                  "All signatures",
		"proposal.invalidated":                 "Invalidated",
		"proposal.chart":                       "Signatures over time",
		"proposal.chart.desc":                  "Line chart of the valid signatures (invalidated ones taken off) from publication to %s: %d now, at most %d; the threshold of %d is the dashed line, the signing deadline the vertical one. The table below lists each period.",
		"proposal.chart.caption":               "Signatures, invalidations and valid signatures per period",
		"proposal.chart.event":                 "Signed / invalidated",
		"proposal.chart.deadline":              "Signing closes (last day)",
		"proposal.milestones":                  "Milestones",
		"proposal.milestones.caption":          "Signature milestones and when they were reached",
		"proposal.reached":                     "Reached",
		"proposal.notreached":                  "not yet",
		"proposal.established":                 "Established on %s (%d of %d).",
		"proposal.expired":                     "Expired on %s below the threshold (%d of %d).",
		"proposal.response":                    "The ministry's response",
		"proposal.due":                         "Due",
		"proposal.originaldue":                 "Originally due (last day)",
		"proposal.extensions":                  "Extensions announced",
		"proposal.responded":                   "Responded on %s",
		"proposal.ontime":                      "within the deadline",
		"proposal.late":                        "after the deadline",
		"proposal.missed":                      "The deadline %s passed without a response",
		"proposal.pending":                     "Awaiting a response, due %s",
		"proposal.cases":                       "Collaboration cases opened from this proposal",
		"monthly.title":                        "PO monthly meeting",
		"monthly.heldon":                       "Held on",
		"monthly.rules":                        "Rules: each ministry chooses up to %d; %d topics are selected (at most %d); an organiser may not host another voted meeting within %d days.",
		"monthly.candidates":                   "Candidates",
		"monthly.candidates.caption":           "Candidate topics and their votes",
		"monthly.candidate":                    "Topic",
		"monthly.kind":                         "Kind",
		"monthly.organiser":                    "Organiser",
		"monthly.votes":                        "Votes",
		"monthly.rank":                         "Rank",
		"monthly.selected":                     "Selected",
		"monthly.skipped":                      "Not selected under a rule",
		"skip.monthly.close.organiser_spacing": "%s cannot host another voted meeting in that month at least the minimum number of days from its other voted meetings",
		"monthly.ballots":                      "Ballots per ministry",
		"monthly.ballots.caption":              "Each ministry's ballot, in the order cast",
		"monthly.po":                           "PO",
		"monthly.choices":                      "Choices",
		"monthly.tally":                        "Tally",
		"monthly.tally.caption":                "The final tally",
		"monthly.topics":                       "Selected topics",
		"monthly.topics.caption":               "Topics selected for collaborative meetings",
		"monthly.month":                        "Meeting month",
		"monthly.earliest":                     "Earliest date",
		"monthly.open":                         "The vote is still open.",
		"monthly.imported":                     "Imported from the archive: this monthly meeting was held on that day (its transcript is on its meeting page); its ballots and tally are not in the archive, and the ledger does not guess them.",
		"monthly.held.title":                   "What its transcript shows",
		"monthly.held.transcript":              "Transcript",
		"monthly.held.speakers":                "Speakers (%d)",
		"monthly.held.utterances":              "Utterances",
		"monthly.held.topics":                  "Topic titles its speeches quote (%d)",
		"monthly.held.notopics":                "Its speeches quote no topic titles.",
		"monthly.totalballots":                 "%d ballots",
		"notfound.title":                       "Not found",
		"notfound.body":                        "The ledger has no record of %s.",
		"notfound.back":                        "Back to the cases",
		"forbidden.title":                      "Forbidden",
		"forbidden.body":                       "The auditor view needs an auditor's or PDIS staff's token.",
		"error.title":                          "Error",
		"error.body":                           "The server cannot answer right now; please try again later.",
		"badrequest.title":                     "Bad request",
		"step.proposal":                        "Proposal",
		"step.signatures":                      "Signatures",
		"step.proposal_response":               "Proposal response",
		"step.vote":                            "Topic vote",
		"step.case_opened":                     "Case opened",
		"step.organisers":                      "Organisers",
		"step.stage":                           "Stage",
		"step.research":                        "Research",
		"step.recommendation":                  "Recommendation",
		"step.report":                          "Report",
		"step.directive":                       "Directive",
		"step.response":                        "Ministry response",
		"step.meeting":                         "Meeting",
		"step.participation":                   "Participation",
		"step.note":                            "Note",
		"step.question":                        "Question",
		"step.transcript":                      "Transcript",
		"step.utterance":                       "Utterance",
		"step.transcript_edit":                 "Transcript edit",
		"field.title":                          "Title",
		"field.text":                           "Text",
		"field.reason":                         "Reason",
		"field.summary":                        "Summary",
		"field.to":                             "To",
		"field.ministry":                       "Ministry",
		"field.verdict":                        "Verdict",
		"field.answer":                         "Answer",
		"field.name":                           "Name",
	},
}

// The names of domain values (stages, phases, sources, verdicts, roles,
// kinds …) come from the domain's one catalogue, keyed as it keys them
// ("stage.topic_set"), so the pages call them what the reports and the CLI
// do.
func init() {
	for _, key := range domain.NameKeys() {
		group, value, _ := strings.Cut(key, ".")
		n, _ := domain.NameOf(group, value)
		catalogue[LangZhHant][key] = n.ZH
		catalogue[LangEn][key] = n.EN
	}
}

// writtenLang guesses the language of what a person wrote: Traditional Chinese
// when it has Han characters, English when it has Latin letters and no Han,
// "" when it has neither (numbers, codes of punctuation).
func writtenLang(s string) string {
	latin := false
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			return LangZhHant
		case r < 0x250 && unicode.IsLetter(r):
			latin = true
		}
	}
	if latin {
		return LangEn
	}
	return ""
}

// langAttr is ` lang="…"` for text written in another language than the
// page's, and "" otherwise; an English word on a Chinese page (a code, a
// name) is marked only when the text has a space, that is, when it reads
// as English rather than as a term.
func langAttr(page, s string) string {
	l := writtenLang(s)
	if l == "" || l == page || (l == LangEn && !strings.Contains(strings.TrimSpace(s), " ")) {
		return ""
	}
	if l == LangEn {
		return ` lang="en"`
	}
	return ` lang="zh-Hant"`
}

// Text shows what a person wrote, marked lang="zh-Hant" or lang="en"
// when it is in the other language than the page's (Chinese titles and
// speeches on an English page), so that screen readers read it aloud in
// its own language.
func (p *Page) Text(s string) template.HTML {
	esc := template.HTMLEscapeString(s)
	if a := langAttr(p.Lang, s); a != "" {
		return template.HTML(`<span` + a + `>` + esc + `</span>`)
	}
	return template.HTML(esc)
}
