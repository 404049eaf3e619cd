package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/pdis/collab-ledger/web"
)

// remoteFlags adds --server and --token to a command that reads a running
// ledger through its API instead of opening the store (which a running
// embedded server holds locked).
func remoteFlags(fs *flag.FlagSet, needs string) (server, token *string) {
	server = fs.String("server", "", "read a running server's API instead of the store, e.g. http://127.0.0.1:8080")
	token = fs.String("token", os.Getenv("COLLABLEDGER_TOKEN"), needs+", with --server (env COLLABLEDGER_TOKEN)")
	return server, token
}

// openRemote GETs path (with query q) from a running server with token and
// returns the body as it arrives; an answer other than 200 is an error
// carrying the server's error code, rule and message.
func openRemote(ctx context.Context, server, token, path string, q url.Values) (*http.Response, error) {
	u := strings.TrimRight(server, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("%w: --server %q: %v", errUsage, server, err)
	}
	req.Header.Set("Accept-Language", cliLanguage())
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(token))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w (is the server running?)", u, err)
	}
	if resp.StatusCode == http.StatusOK {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return nil, remoteError(http.MethodGet, u, resp, body)
}

// cliLanguage is the language a server's errors are asked in: the
// environment's (LC_ALL, LC_MESSAGES, LANG), 繁體中文 for a Chinese locale
// and English otherwise, like the command's own messages — the server's
// default (zh-Hant) suits pages, not a terminal.
func cliLanguage() string {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "zh") {
				return web.LangZhHant
			}
			return web.LangEn
		}
	}
	return web.LangEn
}

// remoteError is a server's refusal: its error code, rule and message
// when the body is the API's error envelope, else the status.
func remoteError(method, u string, resp *http.Response, body []byte) error {
	var e web.ErrorBody
	if json.Unmarshal(body, &e) == nil && e.Error.Code != "" {
		if e.Error.Rule != "" {
			return fmt.Errorf("%s %s: %d %s (%s): %s", method, u, resp.StatusCode, e.Error.Code, e.Error.Rule, e.Error.Message)
		}
		return fmt.Errorf("%s %s: %d %s: %s", method, u, resp.StatusCode, e.Error.Code, e.Error.Message)
	}
	return fmt.Errorf("%s %s: %s", method, u, resp.Status)
}
