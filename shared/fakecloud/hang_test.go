package fakecloud_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	elbmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/fakecloud"
)

// TestHangFault: a hanging service reads the request and never answers, whatever the SDK; other
// services answer; clearing the faults releases held requests and answers new ones.
func TestHangFault(t *testing.T) {
	c, base := fakecloud.Start(t)
	post := func(body string) (int, string) {
		t.Helper()
		resp, err := http.Post(base+"/_fake/faults", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := post(`{"hang":["slb","nope"]}`); code != http.StatusBadRequest || !strings.Contains(body, `hang[1]: \"nope\" is not a service`) {
		t.Fatalf("an unknown service was accepted: %d %s", code, body)
	}
	if code, body := post(`{"hang":["slb"]}`); code != http.StatusOK {
		t.Fatalf("hang refused: %d %s", code, body)
	}

	t.Run("slb through its SDK waits until its own timeout", func(t *testing.T) {
		cl := slbClient(t, base)
		req := slb.CreateDescribeServerCertificatesRequest()
		req.RegionId = "cn-hangzhou"
		req.SetReadTimeout(300 * time.Millisecond)
		start := time.Now()
		_, err := cl.DescribeServerCertificates(req)
		if err == nil {
			t.Fatal("a hanging SLB answered")
		}
		if waited := time.Since(start); waited < 250*time.Millisecond {
			t.Fatalf("the call ended after %s, before its timeout: the emulator answered something", waited)
		}
	})
	t.Run("elb still answers", func(t *testing.T) {
		_, err := elbClient(t, base, "p1").ListCertificates(&elbmodel.ListCertificatesRequest{})
		if err != nil {
			t.Fatalf("a service that does not hang failed: %v", err)
		}
	})
	t.Run("a request held when the faults are cleared is dropped unanswered", func(t *testing.T) {
		waitHeld(t, c, 0) // the SDK's call above, whose client has gone
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			// A POST: Go's transport sends a GET again on a connection closed without an answer.
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader("Action=DescribeRegions&Version=2014-05-15"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				err = errors.New("answered " + resp.Status)
			}
			done <- err
		}()
		waitHeld(t, c, 1)
		c.Faults().Clear()
		if err := <-done; err == nil || strings.Contains(err.Error(), "answered") {
			t.Fatalf("the held request was answered: %v", err)
		}
		resp, err := http.Get(base + "/?Action=DescribeRegions&Version=2014-05-15")
		if err != nil {
			t.Fatalf("after Clear, SLB does not answer: %v", err)
		}
		resp.Body.Close()
	})
	if n := countHangs(c); n < 1 {
		t.Errorf("the call log holds %d hung calls", n)
	}
}

func countHangs(c *fakecloud.Cloud) int {
	n := 0
	for _, call := range c.Calls() {
		if call.Code == "fakecloud.Hang" {
			n++
		}
	}
	return n
}

func waitHeld(t *testing.T, c *fakecloud.Cloud, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for c.Faults().Held() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests held, want %d", c.Faults().Held(), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
