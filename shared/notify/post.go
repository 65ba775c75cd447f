package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/certrotate/certrotate/shared/report"
	"github.com/certrotate/certrotate/shared/webhook"
)

// PostPolicy bounds Post.
type PostPolicy struct {
	Attempts      int           // total attempts
	Base          time.Duration // the first wait's ceiling; it doubles after each attempt
	Attempt       time.Duration // one attempt
	Budget        time.Duration // every attempt and wait together
	RetryAfterMax time.Duration // the longest Retry-After honoured
}

// PostBackoff is Post's policy: 3 attempts within 20 s at most, each of at most 8 s.
var PostBackoff = PostPolicy{Attempts: 3, Base: 500 * time.Millisecond, Attempt: 8 * time.Second, Budget: 20 * time.Second, RetryAfterMax: 5 * time.Second}

// Post sends rep to notify's HTTP endpoint (its HTTP trigger or function URL), signed with
// secret: webhook-id "msg_<report id>" on every attempt, so that notify drops a duplicate.
// A 429, a 5xx or a network error is retried with backoff (PostBackoff), never past ctx's
// deadline. The caller logs the error; it never fails the rotation.
func Post(ctx context.Context, client *http.Client, url, secret string, rep *report.Report) error {
	return postSigned(ctx, client, url, secret, rep.ID, rep)
}

// PostAudit sends an audit report to notify exactly as Post sends a rotation report.
func PostAudit(ctx context.Context, client *http.Client, url, secret string, rep *report.Audit) error {
	return postSigned(ctx, client, url, secret, rep.ID, rep)
}

func postSigned(ctx context.Context, client *http.Client, url, secret, id string, rep any) error {
	key, err := webhook.Key(secret)
	if err != nil {
		return fmt.Errorf("notify: ROTATE_NOTIFY_SECRET: %w", err)
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("notify: encoding the report: %w", err)
	}
	if client == nil {
		client = http.DefaultClient
	}
	ctx, cancel := context.WithTimeout(ctx, PostBackoff.Budget)
	defer cancel()
	ceiling := PostBackoff.Base
	for attempt := 1; ; attempt++ {
		actx, acancel := context.WithTimeout(ctx, PostBackoff.Attempt)
		_, err = post(actx, client, "notify", url, webhook.Sign(key, "msg_"+id, time.Now(), body), body)
		acancel()
		if err == nil || !IsTemporary(err) || attempt >= PostBackoff.Attempts {
			break
		}
		wait := max(rand.N(ceiling), min(retryAfter(err), PostBackoff.RetryAfterMax))
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return errors.Join(err, ctx.Err())
		case <-t.C:
		}
		ceiling *= 2
	}
	return err
}
