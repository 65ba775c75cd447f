package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// maxResponse is the most of a vendor's answer read.
const maxResponse = 64 << 10

// userAgent names this program to the vendors.
const userAgent = "certrotate-notify/1"

// post sends body to target and returns the answer's body when the status is 2xx. A 429 or 5xx
// answer and a network error are Temporary (with the server's Retry-After); any other status is
// not. Errors name the channel and the host, never the URL: its path and query hold the token.
func post(ctx context.Context, client *http.Client, channel, target string, headers map[string]string, body []byte) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	host := hostOf(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("%s: bad webhook URL", channel)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", userAgent)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, Temporary(fmt.Errorf("%s: POST to %s: %s", channel, host, netReason(err)), 0)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode/100 == 2 {
		return answer, nil
	}
	err = fmt.Errorf("%s: %s answered HTTP %d%s", channel, host, resp.StatusCode, snippet(answer))
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return nil, Temporary(err, parseRetryAfter(resp.Header.Get("Retry-After")))
	}
	return nil, err
}

// netReason describes a transport error without the URL that *url.Error quotes.
func netReason(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out"
	}
	return err.Error()
}

func hostOf(target string) string {
	if u, err := url.Parse(target); err == nil && u.Host != "" {
		return u.Host
	}
	return "the server"
}

// snippet quotes the start of a vendor's answer for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if s == "" {
		return ""
	}
	return ": " + oneLine(s, 200)
}

// parseRetryAfter reads Retry-After in seconds or as an HTTP date; 0 when absent or unreadable.
func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && s >= 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
