package web

// Labels of the sign-in's configuration errors, the staff's signature
// picker and the forms' pickers (forms_pickers.go, signatures.go), merged
// into the catalogue: {Traditional Chinese, English}.
var rolesLabels = map[string][2]string{
	"signin.unavailable.title": {"無法連線身分提供者", "The identity provider cannot be reached"},
	"signin.unavailable.body": {"帳本無法取得身分提供者 %s 的 OpenID 設定：發行者（issuer）網址可能設定錯誤，或提供者暫時無法連線。您沒有登入，什麼都沒有記錄；請稍後再試，或通知帳本的管理者。",
		"The ledger could not fetch the OpenID configuration of the identity provider %s: the issuer URL may be misconfigured, or the provider is down. You are not signed in and nothing was recorded; try again later, or tell the ledger's administrators."},
	"signin.client_refused": {"身分提供者拒絕了帳本的用戶端憑證（client ID 或 client secret 設定錯誤）。您沒有登入，什麼都沒有記錄；請通知帳本的管理者。",
		"The identity provider refused the ledger's client credentials (the client ID or client secret is misconfigured). You are not signed in and nothing was recorded; tell the ledger's administrators."},
	"form.continue":            {"繼續", "Continue"},
	"form.step.intro":          {"先選擇要處理的對象，再填寫其餘欄位。", "First choose what this is about; the rest of the form follows."},
	"picker.choose.first":      {"請先選擇一項再繼續。", "Choose one first, then continue."},
	"picker.none":              {"目前沒有可選的項目。", "There is nothing to choose from yet."},
	"picker.retired":           {"已卸任", "retired"},
	"picker.county.other":      {"其他", "other"},
	"picker.county.not-given":  {"未提供", "not given"},
	"picker.county.unreadable": {"無法辨識", "unreadable"},
	"signatures.title":         {"「%s」的連署", "Signatures of “%s”"},
	"signatures.intro":         {"僅限 PDIS 工作人員：每筆連署的時間、連署人假名（帳本不保存身分）與縣市。可依假名開頭或時間範圍查詢，再選擇要註銷的連署。", "PDIS staff only: each signature's time, the signer's pseudonym (the ledger keeps no identity) and county. Search by the start of a pseudonym or a time range, then choose the signature to invalidate."},
	"signatures.proposal":      {"提案頁面", "The proposal's page"},
	"signatures.signer":        {"連署人假名", "Signer's pseudonym"},
	"signatures.signer.hint":   {"假名的開頭幾個字元（小寫十六進位），例如 3fa9。", "The first characters of the pseudonym (lower-case hex), e.g. 3fa9."},
	"signatures.from":          {"從（含）", "From (inclusive)"},
	"signatures.to":            {"到（不含）", "To (exclusive)"},
	"signatures.search":        {"查詢", "Search"},
	"signatures.caption":       {"連署（每頁 50 筆）", "Signatures (50 a page)"},
	"signatures.at":            {"連署時間", "Signed at"},
	"signatures.county":        {"縣市", "County"},
	"signatures.status":        {"狀態", "Status"},
	"signatures.valid":         {"有效", "valid"},
	"signatures.invalidated":   {"已註銷於", "invalidated on"},
	"signatures.invalidate":    {"註銷這筆連署", "Invalidate this signature"},
	"signatures.none":          {"沒有符合的連署。", "No signature matches."},
	"signatures.next":          {"下一頁", "Next page"},
	"signatures.find":          {"依假名或時間尋找連署", "Find a signature by pseudonym or time"},
}

func init() {
	for k, v := range rolesLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}
