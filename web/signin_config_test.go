package web_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pdis/collab-ledger/web"
)

// TestSignInConfigurationErrorsInBothLanguages: what a person sees when
// the server's sign-in is misconfigured says so in the page's language
// (decision 0042): an issuer whose OpenID configuration cannot be fetched
// (503, naming the issuer), and a client secret the real provider refuses
// at the code exchange (503, "client ID or client secret"), in Traditional
// Chinese by default and in English with ?lang=en; nobody is signed in.
func TestSignInConfigurationErrorsInBothLanguages(t *testing.T) {
	t.Run("issuer", func(t *testing.T) {
		const issuer = "http://127.0.0.1:1/no-provider"
		e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC.Issuer = issuer })
		for _, c := range []struct{ lang, want string }{
			{"", "無法取得身分提供者 " + issuer + " 的 OpenID 設定"},
			{"en", "could not fetch the OpenID configuration of the identity provider " + issuer},
		} {
			b := e.browser()
			u := e.url + "/signin/oidc"
			if c.lang != "" {
				u += "?lang=" + c.lang
			}
			resp, page := b.get(u)
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(page, c.want) {
				t.Errorf("lang %q: %d, want 503 with %q:\n%s", c.lang, resp.StatusCode, c.want, page)
			}
		}
	})
	t.Run("client secret", func(t *testing.T) {
		e := newSigninEnv(t, func(si *web.SignIn) { si.OIDC.ClientSecret = "not-the-client-secret" })
		for _, c := range []struct{ lang, want string }{
			{"zh-Hant", "身分提供者拒絕了帳本的用戶端憑證（client ID 或 client secret 設定錯誤）"},
			{"en", "The identity provider refused the ledger's client credentials (the client ID or client secret is misconfigured)"},
		} {
			b := e.browser()
			b.get(e.url + "/?lang=" + c.lang) // the lang cookie
			resp, _ := b.get(e.url + "/signin/oidc?return=/me")
			if !strings.HasPrefix(resp.Request.URL.String(), e.op.Issuer+"/login/username") {
				t.Fatalf("sign-in led to %s, not the provider's login page", resp.Request.URL)
			}
			id := resp.Request.URL.Query().Get("authRequestID")
			resp, page := b.post(e.op.Issuer+"/login/username", url.Values{"id": {id}, "username": {"citizen-a"}, "password": {"pw-a"}})
			if resp.StatusCode != http.StatusServiceUnavailable || resp.Request.URL.Path != "/signin/callback" || !strings.Contains(html.UnescapeString(page), c.want) {
				t.Errorf("%s: %d at %s, want 503 with %q:\n%s", c.lang, resp.StatusCode, resp.Request.URL.Path, c.want, page)
			}
			if resp, _ := b.get(e.url + "/me"); resp.Request.URL.Path == "/me" && resp.StatusCode == http.StatusOK {
				t.Errorf("%s: signed in with a refused client", c.lang)
			}
		}
	})
}
