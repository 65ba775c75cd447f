// Package chatsink stands in for the chat robots notify posts to (DingTalk, Feishu/Lark, WeCom,
// Slack): it checks each vendor's signature and payload shape as the vendor documents them,
// answers as the vendor does, and keeps and prints every message it accepts.
package chatsink

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Message is one accepted chat message.
type Message struct {
	Vendor string    `json:"vendor"` // dingtalk | feishu | wecom | slack
	Type   string    `json:"type"`   // the vendor's message type: markdown, interactive, text, …
	Title  string    `json:"title,omitempty"`
	Text   string    `json:"text"` // the markup as sent
	Signed bool      `json:"signed"`
	At     time.Time `json:"at"`
}

// Sink is the fake robots. Its zero value is not usable; call New. Safe for concurrent use.
type Sink struct {
	out io.Writer
	now func() time.Time
	mux *http.ServeMux

	mu       sync.Mutex
	messages []Message
	secrets  map[string]string // vendor → signing secret; a vendor with one refuses unsigned messages
}

// maxBody is the largest request accepted (the vendors allow about 20 KB).
const maxBody = 1 << 20

// New returns a sink that prints each accepted message on out (nil: standard error).
// Its routes, relative to where it is mounted with the prefix /_fake/chat:
//
//	POST   /_fake/chat/dingtalk?access_token=T[&timestamp=&sign=]   DingTalk custom robot
//	POST   /_fake/chat/feishu/{token}                               Feishu/Lark custom bot
//	POST   /_fake/chat/wecom?key=K                                  WeCom group robot
//	POST   /_fake/chat/slack/{path...}                              Slack incoming webhook
//	GET    /_fake/chat/messages[?format=text]                       what was accepted, oldest first
//	DELETE /_fake/chat/messages                                     forget them
//	PUT    /_fake/chat/secrets   {"dingtalk":"SEC…","feishu":"…"}   require and check signatures
func New(out io.Writer) *Sink {
	if out == nil {
		out = os.Stderr
	}
	s := &Sink{out: out, now: time.Now, secrets: map[string]string{}}
	m := http.NewServeMux()
	m.HandleFunc("POST /_fake/chat/dingtalk", s.dingTalk)
	m.HandleFunc("POST /_fake/chat/feishu/{token}", s.feishu)
	m.HandleFunc("POST /_fake/chat/wecom", s.weCom)
	m.HandleFunc("POST /_fake/chat/slack/{path...}", s.slack)
	m.HandleFunc("GET /_fake/chat/messages", s.list)
	m.HandleFunc("DELETE /_fake/chat/messages", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.messages = nil
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("PUT /_fake/chat/secrets", s.putSecrets)
	s.mux = m
	return s
}

// ServeHTTP implements http.Handler.
func (s *Sink) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// SetSecret makes vendor ("dingtalk" or "feishu") require messages signed with secret ("" stops checking).
func (s *Sink) SetSecret(vendor, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if secret == "" {
		delete(s.secrets, vendor)
		return
	}
	s.secrets[vendor] = secret
}

// Messages returns every accepted message, oldest first.
func (s *Sink) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

func (s *Sink) secret(vendor string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.secrets[vendor]
}

func (s *Sink) keep(m Message) {
	m.At = s.now().UTC()
	s.mu.Lock()
	s.messages = append(s.messages, m)
	s.mu.Unlock()
	fmt.Fprint(s.out, Render(m))
}

// Render prints a message for a person reading a terminal.
func Render(m Message) string {
	signed := "unsigned"
	if m.Signed {
		signed = "signature checked"
	}
	head := fmt.Sprintf("── %s %s message (%s) ──", m.Vendor, m.Type, signed)
	body := m.Text
	if m.Title != "" && !strings.Contains(body, m.Title) {
		body = m.Title + "\n" + body
	}
	return head + "\n" + strings.TrimRight(body, "\n") + "\n\n"
}

func readJSON(r *http.Request, v any) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return nil, err
	}
	if len(body) > maxBody {
		return nil, fmt.Errorf("body larger than %d bytes", maxBody)
	}
	return body, json.Unmarshal(body, v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// hmacBase64 is base64(HMAC-SHA256(key, msg)).
func hmacBase64(key, msg string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// within reports whether a timestamp is within an hour of now, as DingTalk and Feishu require.
func within(ts, now time.Time) bool {
	d := now.Sub(ts)
	return d < time.Hour && d > -time.Hour
}

// dingTalk checks a custom robot call: access_token present; with a secret, timestamp (ms) within
// an hour and sign == base64(HMAC-SHA256(secret, timestamp+"\n"+secret)) (URL-decoded by the query
// parser); msgtype text (text.content) or markdown (markdown.title, markdown.text).
// Answers {"errcode":0,"errmsg":"ok"} with HTTP 200, and errors with HTTP 200 too, as DingTalk does.
func (s *Sink) dingTalk(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fail := func(code int, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
	}
	if q.Get("access_token") == "" {
		fail(300001, "token is not exist")
		return
	}
	signed := false
	if secret := s.secret("dingtalk"); secret != "" {
		ms, err := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		if err != nil || !within(time.UnixMilli(ms), s.now()) {
			fail(310000, "sign not match, more: [timestamp missing or more than one hour from now]")
			return
		}
		if !hmac.Equal([]byte(q.Get("sign")), []byte(hmacBase64(secret, q.Get("timestamp")+"\n"+secret))) {
			fail(310000, "sign not match")
			return
		}
		signed = true
	}
	var p struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Markdown struct {
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"markdown"`
	}
	if _, err := readJSON(r, &p); err != nil {
		fail(40035, "缺少参数 json")
		return
	}
	m := Message{Vendor: "dingtalk", Type: p.MsgType, Signed: signed}
	switch p.MsgType {
	case "text":
		m.Text = p.Text.Content
	case "markdown":
		if p.Markdown.Title == "" {
			fail(40035, "缺少参数 markdown.title")
			return
		}
		m.Title, m.Text = p.Markdown.Title, p.Markdown.Text
	default:
		fail(40035, "unsupported msgtype")
		return
	}
	if m.Text == "" {
		fail(40035, "缺少参数 content")
		return
	}
	s.keep(m)
	fail(0, "ok")
}

// feishu checks a custom bot call: with a secret, "timestamp" (seconds, a string) within an hour
// and "sign" == base64(HMAC-SHA256(key = timestamp+"\n"+secret, message = "")); msg_type text
// (content.text) or interactive (card with elements). Answers {"code":0,"msg":"success","data":{}}.
func (s *Sink) feishu(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"code": code, "msg": msg, "data": map[string]any{}})
	}
	var p struct {
		Timestamp string `json:"timestamp"`
		Sign      string `json:"sign"`
		MsgType   string `json:"msg_type"`
		Content   struct {
			Text string `json:"text"`
		} `json:"content"`
		Card *struct {
			Header struct {
				Title struct {
					Content string `json:"content"`
				} `json:"title"`
			} `json:"header"`
			Elements []struct {
				Tag     string `json:"tag"`
				Content string `json:"content"`
			} `json:"elements"`
		} `json:"card"`
	}
	if _, err := readJSON(r, &p); err != nil {
		fail(9499, "Bad Request")
		return
	}
	signed := false
	if secret := s.secret("feishu"); secret != "" {
		sec, err := strconv.ParseInt(p.Timestamp, 10, 64)
		if err != nil || !within(time.Unix(sec, 0), s.now()) || !hmac.Equal([]byte(p.Sign), []byte(hmacBase64(p.Timestamp+"\n"+secret, ""))) {
			fail(19021, "sign match fail or timestamp is not within one hour from current time")
			return
		}
		signed = true
	}
	m := Message{Vendor: "feishu", Type: p.MsgType, Signed: signed}
	switch p.MsgType {
	case "text":
		m.Text = p.Content.Text
	case "interactive":
		if p.Card == nil || len(p.Card.Elements) == 0 {
			fail(9499, "Bad Request: card has no elements")
			return
		}
		m.Title = p.Card.Header.Title.Content
		var parts []string
		for _, e := range p.Card.Elements {
			if e.Tag == "markdown" || e.Tag == "div" {
				parts = append(parts, e.Content)
			}
		}
		m.Text = strings.Join(parts, "\n")
	default:
		fail(9499, "Bad Request: unsupported msg_type")
		return
	}
	if m.Text == "" {
		fail(9499, "Bad Request: empty message")
		return
	}
	s.keep(m)
	fail(0, "success")
}

// weCom checks a group robot call: key present; msgtype text (text.content, at most 2048 bytes)
// or markdown (markdown.content, at most 4096 bytes). Answers {"errcode":0,"errmsg":"ok"}.
func (s *Sink) weCom(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, msg string) {
		writeJSON(w, http.StatusOK, map[string]any{"errcode": code, "errmsg": msg})
	}
	if r.URL.Query().Get("key") == "" {
		fail(93000, "invalid webhook url")
		return
	}
	var p struct {
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
		Markdown struct {
			Content string `json:"content"`
		} `json:"markdown"`
	}
	if _, err := readJSON(r, &p); err != nil {
		fail(40008, "invalid message type")
		return
	}
	m := Message{Vendor: "wecom", Type: p.MsgType}
	limit := 0
	switch p.MsgType {
	case "text":
		m.Text, limit = p.Text.Content, 2048
	case "markdown":
		m.Text, limit = p.Markdown.Content, 4096
	default:
		fail(40008, "invalid message type")
		return
	}
	if m.Text == "" {
		fail(44004, "empty content")
		return
	}
	if len(m.Text) > limit {
		fail(40058, "content exceed max length "+strconv.Itoa(limit))
		return
	}
	s.keep(m)
	fail(0, "ok")
}

// slack checks an incoming webhook call: a JSON object with "text" or "blocks". Answers "ok"
// (text/plain) with 200, or 400 "invalid_payload" / "no_text", as Slack does.
func (s *Sink) slack(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Text   string            `json:"text"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	if _, err := readJSON(r, &p); err != nil {
		http.Error(w, "invalid_payload", http.StatusBadRequest)
		return
	}
	if p.Text == "" && len(p.Blocks) == 0 {
		http.Error(w, "no_text", http.StatusBadRequest)
		return
	}
	s.keep(Message{Vendor: "slack", Type: "mrkdwn", Text: p.Text})
	w.Header().Set("Content-Type", "text/plain")
	_, _ = io.WriteString(w, "ok")
}

func (s *Sink) list(w http.ResponseWriter, r *http.Request) {
	msgs := s.Messages()
	if r.URL.Query().Get("format") == "text" {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		for _, m := range msgs {
			_, _ = io.WriteString(w, Render(m))
		}
		return
	}
	if msgs == nil {
		msgs = []Message{}
	}
	writeJSON(w, http.StatusOK, msgs)
}

func (s *Sink) putSecrets(w http.ResponseWriter, r *http.Request) {
	var secrets map[string]string
	if _, err := readJSON(r, &secrets); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": `want {"dingtalk":"…","feishu":"…"}`})
		return
	}
	for vendor, secret := range secrets {
		if vendor != "dingtalk" && vendor != "feishu" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "only dingtalk and feishu sign their messages"})
			return
		}
		s.SetSecret(vendor, secret)
	}
	w.WriteHeader(http.StatusNoContent)
}
