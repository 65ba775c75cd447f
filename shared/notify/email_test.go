package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs/certstest"
)

// smtpFake is a small SMTP server (RFC 5321) with STARTTLS (RFC 3207) and AUTH PLAIN (RFC 4954):
// AUTH is offered only after TLS, MAIL is refused before TLS, and the envelope and data of each
// accepted message are kept.
type smtpFake struct {
	tls       *tls.Config
	user      string
	password  string
	noTLS     bool // offer no STARTTLS
	tempFails int  // answer MAIL FROM with 451 this many times

	mu   sync.Mutex
	mail []smtpMail
}

type smtpMail struct {
	from string
	to   []string
	data []byte
	tls  bool
	auth bool
}

func startSMTP(t *testing.T, f *smtpFake) (host string, port int, roots *x509.CertPool) {
	t.Helper()
	issued := certstest.Must(t, certstest.Options{DNSNames: []string{"smtp.test"}})
	pair, err := tls.X509KeyPair(issued.FullchainPEM, issued.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	f.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	roots = x509.NewCertPool()
	roots.AppendCertsFromPEM(issued.RootPEM)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.session(c)
		}
	}()
	return "127.0.0.1", ln.Addr().(*net.TCPAddr).Port, roots
}

func (f *smtpFake) session(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(c)
	reply := func(format string, a ...any) { _ = tp.PrintfLine(format, a...) }
	reply("220 smtp.test ESMTP fake")
	var m smtpMail
	secure, authed := false, false
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			ext := []string{"smtp.test"}
			if !secure && !f.noTLS {
				ext = append(ext, "STARTTLS")
			}
			if secure {
				ext = append(ext, "AUTH PLAIN")
			}
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				reply("250%s%s", sep, e)
			}
		case "STARTTLS":
			reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(c, f.tls)
			if tc.Handshake() != nil {
				return
			}
			c, secure = tc, true
			tp = textproto.NewConn(c)
		case "AUTH":
			fields := strings.Fields(arg)
			if !secure || len(fields) != 2 || fields[0] != "PLAIN" {
				reply("538 5.7.11 encryption required")
				continue
			}
			raw, _ := base64.StdEncoding.DecodeString(fields[1])
			parts := strings.Split(string(raw), "\x00")
			if len(parts) != 3 || parts[1] != f.user || parts[2] != f.password {
				reply("535 5.7.8 authentication credentials invalid")
				continue
			}
			authed = true
			reply("235 2.7.0 authenticated")
		case "MAIL":
			switch {
			case !secure:
				reply("530 5.7.0 must issue a STARTTLS command first")
				continue
			case f.user != "" && !authed:
				reply("530 5.7.0 authentication required")
				continue
			}
			f.mu.Lock()
			temp := f.tempFails > 0
			if temp {
				f.tempFails--
			}
			f.mu.Unlock()
			if temp {
				reply("451 4.3.0 try again later")
				continue
			}
			m = smtpMail{from: strings.Trim(strings.TrimPrefix(arg, "FROM:"), "<>"), tls: secure, auth: authed}
			reply("250 2.1.0 ok")
		case "RCPT":
			m.to = append(m.to, strings.Trim(strings.TrimPrefix(arg, "TO:"), "<>"))
			reply("250 2.1.5 ok")
		case "DATA":
			reply("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			m.data = data
			f.mu.Lock()
			f.mail = append(f.mail, m)
			f.mu.Unlock()
			reply("250 2.0.0 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.2 command not recognised")
		}
	}
}

func (f *smtpFake) received() []smtpMail {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]smtpMail(nil), f.mail...)
}

func TestEmailOverSTARTTLS(t *testing.T) {
	f := &smtpFake{user: "notify@example.com", password: "fake-smtp-password"}
	host, port, roots := startSMTP(t, f)
	e := &Email{Host: host, Port: port, Username: f.user, Password: f.password, From: "Cert Rotate <certrotate@example.com>",
		To: []string{"ops@example.com", "oncall@example.com"}, TLSConfig: &tls.Config{RootCAs: roots, ServerName: "smtp.test"}, Now: func() time.Time { return fixedNow }}
	if err := e.Send(context.Background(), NewMessage(partialReport(t), "zh", fixedNow)); err != nil {
		t.Fatalf("Send: %v", err)
	}
	got := f.received()
	if len(got) != 1 || !got[0].tls || !got[0].auth || got[0].from != "certrotate@example.com" || strings.Join(got[0].to, ",") != "ops@example.com,oncall@example.com" {
		t.Fatalf("envelope %+v", got)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(got[0].data)))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "[certrotate] ⚠️ 部分失败 · example.com" {
		t.Errorf("subject %q (%v)", subject, err)
	}
	if msg.Header.Get("Auto-Submitted") != "auto-generated" || !strings.HasPrefix(msg.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("headers %v", msg.Header)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if !strings.Contains(string(body), "- 失败 shanghai-api: SetLoadBalancerHTTPSListenerAttribute") {
		t.Errorf("body:\n%s", body)
	}
	assertNoSecrets(t, string(got[0].data), f.password)
}

func TestEmailRefusesToSendInClear(t *testing.T) {
	f := &smtpFake{noTLS: true}
	host, port, roots := startSMTP(t, f)
	e := &Email{Host: host, Port: port, From: "a@example.com", To: []string{"b@example.com"}, TLSConfig: &tls.Config{RootCAs: roots, ServerName: "smtp.test"}}
	err := e.Send(context.Background(), NewMessage(partialReport(t), "en", fixedNow))
	if err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("err %v", err)
	}
	if len(f.received()) != 0 {
		t.Fatal("a message was accepted without TLS")
	}
}

func TestEmailErrors(t *testing.T) {
	f := &smtpFake{user: "u", password: "right-password", tempFails: 1}
	host, port, roots := startSMTP(t, f)
	base := Email{Host: host, Port: port, Username: "u", Password: "right-password", From: "a@example.com", To: []string{"b@example.com"},
		TLSConfig: &tls.Config{RootCAs: roots, ServerName: "smtp.test"}}
	msg := NewMessage(partialReport(t), "en", fixedNow)

	e := base
	if err := e.Send(context.Background(), msg); err == nil || !IsTemporary(err) || !strings.Contains(err.Error(), "451") {
		t.Errorf("a 451 reply: %v (temporary %v)", err, IsTemporary(err))
	}
	e.Password = "wrong-password"
	if err := e.Send(context.Background(), msg); err == nil || IsTemporary(err) || !strings.Contains(err.Error(), "535") {
		t.Errorf("bad credentials: %v (temporary %v)", err, IsTemporary(err))
	} else {
		assertNoSecrets(t, err.Error(), "wrong-password")
	}
	e = base
	e.TLSConfig = &tls.Config{ServerName: "smtp.test"} // the system roots do not trust the fake
	if err := e.Send(context.Background(), msg); err == nil || IsTemporary(err) {
		t.Errorf("an untrusted certificate: %v", err)
	}
	e = base
	e.Port = closedPort(t)
	if err := e.Send(context.Background(), msg); err == nil || !IsTemporary(err) {
		t.Errorf("nobody listening: %v (temporary %v)", err, IsTemporary(err))
	}
	if len(f.received()) != 0 {
		t.Fatal("a message was accepted")
	}
}

func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}
