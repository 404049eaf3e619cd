package web

// Labels of as-of views (asof.go: the banner, the form, the "did not exist
// yet" page and the refusals) and of the meeting's concept sheets and mind
// map (pages_notes.go), merged into the catalogue.
var asOfLabels = map[string][2]string{
	"sheet.title":         {"概念發展表", "Concept-development sheets"},
	"sheet.intro":         {"每張表由問題出發，依序是子問題、解決方案、風險、如何克服、負責單位與願景。", "Each sheet runs from the problem through its sub-problems, solutions, risks, how to overcome them and the responsible unit to the vision."},
	"sheet.caption":       {"概念發展表：%s", "Concept sheet: %s"},
	"sheet.section":       {"欄位", "Section"},
	"sheet.notes":         {"便利貼", "Notes"},
	"sheet.empty":         {"（尚無）", "(none yet)"},
	"mindmap.title":       {"心智圖", "Mind map"},
	"mindmap.intro":       {"每張便利貼列在它所延伸的便利貼之下。", "Each note is listed under the note it grew from."},
	"asof.banner":         {"時點檢視", "As-of view"},
	"asof.note":           {"本頁呈現的是%s的狀態。", "This page shows how things stood: %s."},
	"asof.live":           {"回到目前狀態", "Back to now"},
	"asof.form":           {"查看過去某一時點", "See an earlier moment"},
	"asof.value":          {"日期、時間（RFC 3339）或紀錄位置", "Date, time (RFC 3339) or log position"},
	"asof.clock":          {"時鐘", "Clock"},
	"asof.clock.help":     {"記錄時鐘：帳本當時已記錄的內容；發生時鐘：截至當時實際發生的事（含事後匯入的歷史）。", "Recorded clock: what the ledger had recorded by then. Occurred clock: what had happened by then, as the ledger knows it now (history imported later included)."},
	"asof.show":           {"查看", "Show"},
	"asof.notyet.title":   {"當時尚未存在", "Did not exist yet"},
	"asof.notyet.body":    {"在所查看的時點（%[3]s），%[1]s %[2]s 尚未存在。", "The %[1]s %[2]s did not exist yet at the moment asked for: %[3]s."},
	"asof.notyet.now":     {"查看目前狀態", "See it now"},
	"asof.kind.case":      {"案件", "case"},
	"asof.kind.proposal":  {"提案", "proposal"},
	"asof.kind.monthly":   {"PO 月會", "PO monthly meeting"},
	"asof.kind.meeting":   {"會議", "meeting"},
	"asof.liveonly.title": {"此頁只呈現目前狀態", "This page shows the present only"},
	"asof.liveonly.body": {"首頁、各清單、搜尋與部會頁只呈現目前的狀態，不接受 asof。要看過去某一時點，請開啟個別案件、提案、PO 月會或會議的頁面，使用頁面下方的「查看過去某一時點」。",
		"The home page, the lists, search and the ministries' pages show the present only and do not take asof. To see an earlier moment, open a case, proposal, PO monthly meeting or meeting and use “See an earlier moment” at the bottom of its page."},
	"asof.bad.position": {"asof 的紀錄位置從 1 開始。", "asof: a log position starts at 1."},
	"asof.bad.value":    {"asof 須為紀錄位置、日期（如 2024-06-01）或 RFC 3339 時間（如 2024-06-01T12:00:00+08:00）。", "asof must be a log position, a date (2024-06-01) or an RFC 3339 time (2024-06-01T12:00:00+08:00)."},
	"asof.bad.clock":    {"clock 須為 recorded（記錄時鐘）或 occurred（發生時鐘）。", "clock must be recorded (the ledger's clock) or occurred (the world's clock)."},
}

func init() {
	for k, v := range asOfLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}
