package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"strconv"
	"strings"
	"time"
)

// Email sends the message as plain text over SMTP. On port 465 the connection is TLS from the
// start (implicit TLS); on any other port the server must offer STARTTLS, and the message is
// never sent in clear. With Username, it authenticates with AUTH PLAIN after TLS.
type Email struct {
	Host     string
	Port     int // 587 by default in configuration
	Username string
	Password string
	From     string   // an RFC 5322 address, "Name <a@b>" allowed
	To       []string // bare addresses
	Timeout  time.Duration
	// TLSConfig, when set, is used for the TLS handshake (tests give their own roots);
	// ServerName defaults to Host.
	TLSConfig *tls.Config
	Now       func() time.Time // nil: time.Now
}

var _ Channel = (*Email)(nil)

// Name implements Channel.
func (e *Email) Name() string { return "email" }

// Send implements Channel. A 4xx SMTP reply and a network error are Temporary; a 5xx reply,
// a refused TLS upgrade or refused credentials are not.
func (e *Email) Send(ctx context.Context, msg *Message) error {
	err := e.send(ctx, msg)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("email: %s: %w", net.JoinHostPort(e.Host, strconv.Itoa(e.Port)), err)
	var tp *textproto.Error
	switch {
	case errors.As(err, &tp):
		if tp.Code >= 400 && tp.Code < 500 {
			return Temporary(err, 0)
		}
		return err
	case errors.Is(err, errPermanent):
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "EOF") {
		return Temporary(err, 0)
	}
	return err
}

var errPermanent = errors.New("refused")

func (e *Email) send(ctx context.Context, msg *Message) error {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	addr := net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
	dialer := &net.Dialer{Deadline: deadline}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	tlsCfg := &tls.Config{ServerName: e.Host, MinVersion: tls.VersionTLS12}
	if e.TLSConfig != nil {
		tlsCfg = e.TLSConfig.Clone()
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = e.Host
		}
	}
	if e.Port == 465 {
		conn = tls.Client(conn, tlsCfg)
	}
	c, err := smtp.NewClient(conn, e.Host)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("certrotate.invalid"); err != nil {
		return err
	}
	if e.Port != 465 {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("%w: the server does not offer STARTTLS; the message is not sent in clear", errPermanent)
		}
		if err := c.StartTLS(tlsCfg); err != nil {
			return fmt.Errorf("%w: STARTTLS: %w", errPermanent, err)
		}
	}
	if e.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return fmt.Errorf("%w: the server offers no AUTH, but NOTIFY_SMTP_USERNAME is set", errPermanent)
		}
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, e.Host)); err != nil {
			return fmt.Errorf("authentication: %w", err)
		}
	}
	from, err := mailAddress(e.From)
	if err != nil {
		return err
	}
	if err := c.Mail(from); err != nil {
		return err
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return err
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(e.compose(msg)); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// mailAddress is the bare address of an RFC 5322 address.
func mailAddress(s string) (string, error) {
	a, err := mail.ParseAddress(s)
	if err != nil {
		return "", fmt.Errorf("%w: NOTIFY_SMTP_FROM is not an address", errPermanent)
	}
	return a.Address, nil
}

// compose writes the message: headers (the subject Q-encoded), then the text, quoted-printable.
func (e *Email) compose(msg *Message) []byte {
	var b bytes.Buffer
	t := now(e.Now)
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	from := headerValue(e.From)
	if a, err := mail.ParseAddress(e.From); err == nil {
		from = a.String()
	}
	header("From", from)
	header("To", strings.Join(e.To, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", "[certrotate] "+msg.Title()))
	header("Date", t.Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%s.%d@certrotate.invalid>", headerToken(msg.runID()), t.UnixNano()))
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	_, _ = qp.Write([]byte(strings.ReplaceAll(msg.Text(), "\n", "\r\n") + "\r\n"))
	_ = qp.Close()
	return b.Bytes()
}

// headerValue keeps a header value on one line.
func headerValue(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

// headerToken keeps letters, digits, '-' and '_' of s, for a Message-ID.
func headerToken(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return r
		}
		return -1
	}, s)
	if s == "" {
		return "report"
	}
	return truncate(s, 64)
}
