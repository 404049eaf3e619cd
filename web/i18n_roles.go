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
}

func init() {
	for k, v := range rolesLabels {
		catalogue[LangZhHant][k] = v[0]
		catalogue[LangEn][k] = v[1]
	}
}
