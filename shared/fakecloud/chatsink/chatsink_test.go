package chatsink

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestSinkChecksAndKeeps(t *testing.T) {
	var printed bytes.Buffer
	s := New(&printed)
	srv := httptest.NewServer(s)
	defer srv.Close()
	do := func(method, path, body string) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := do("PUT", "/_fake/chat/secrets", `{"dingtalk":"SECx","feishu":"y"}`); code != http.StatusNoContent {
		t.Fatalf("secrets: %d", code)
	}
	ts := strconv.FormatInt(time.Now().UnixMilli(), 10)
	md := `{"msgtype":"markdown","markdown":{"title":"T","text":"### T\n\nbody"}}`
	for _, tc := range []struct{ path, body, want string }{
		{"/_fake/chat/dingtalk?access_token=a", md, `"errcode":310000`},
		{"/_fake/chat/dingtalk?access_token=a&timestamp=" + ts + "&sign=" + url.QueryEscape(hmacBase64("SECx", ts+"\nSECx")), md, `"errcode":0`},
		{"/_fake/chat/dingtalk", md, `"errcode":300001`},
		{"/_fake/chat/feishu/tok", `{"msg_type":"text","content":{"text":"hi"}}`, `"code":19021`},
		{"/_fake/chat/wecom?key=k", `{"msgtype":"markdown","markdown":{"content":"hello"}}`, `"errcode":0`},
		{"/_fake/chat/wecom?key=k", `{"msgtype":"markdown","markdown":{"content":"` + strings.Repeat("x", 4097) + `"}}`, `"errcode":40058`},
		{"/_fake/chat/slack/T/B/X", `{"text":""}`, "no_text"},
		{"/_fake/chat/slack/T/B/X", `{"text":"*hi*"}`, "ok"},
	} {
		if _, got := do("POST", tc.path, tc.body); !strings.Contains(got, tc.want) {
			t.Errorf("POST %s: %s, want %s", tc.path, got, tc.want)
		}
	}
	_, list := do("GET", "/_fake/chat/messages", "")
	var msgs []Message
	if err := json.Unmarshal([]byte(list), &msgs); err != nil || len(msgs) != 3 || !msgs[0].Signed || msgs[1].Vendor != "wecom" {
		t.Fatalf("messages %s", list)
	}
	if _, text := do("GET", "/_fake/chat/messages?format=text", ""); !strings.Contains(text, "── dingtalk markdown message (signature checked) ──\n### T") || text != printed.String() {
		t.Fatalf("text:\n%s\nprinted:\n%s", text, printed.String())
	}
	do("DELETE", "/_fake/chat/messages", "")
	if len(s.Messages()) != 0 {
		t.Fatal("not forgotten")
	}
}
