package fakecloud_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
	"github.com/aliyun/alibabacloud-oss-go-sdk-v2/oss"
	elbmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// TestCallTimesBracketLatency: every service logs when a call arrived and when its answer was
// ready, the injected latency between them, so calls made one after another chain one per call.
func TestCallTimesBracketLatency(t *testing.T) {
	c, base := fakecloud.Start(t)
	const latency = 20 * time.Millisecond
	c.Faults().SetLatency(latency)

	req := slb.CreateDescribeServerCertificatesRequest()
	req.RegionId = "cn-hangzhou"
	if _, err := slbClient(t, base).DescribeServerCertificates(req); err != nil {
		t.Fatal(err)
	}
	if _, err := elbClient(t, base, "p1").ListCertificates(&elbmodel.ListCertificatesRequest{}); err != nil {
		t.Fatal(err)
	}
	// An answered error is a round trip too: the bucket does not exist.
	_, _ = ossClient(base).GetObject(context.Background(), &oss.GetObjectRequest{Bucket: oss.Ptr("nobucket"), Key: oss.Ptr("k")})

	calls := c.Calls()
	services := map[string]bool{}
	for _, call := range calls {
		services[call.Service] = true
		if d := call.End.Sub(call.Time); d < latency {
			t.Errorf("%s %s: End − Time = %v, less than the latency %v", call.Service, call.Action, d, latency)
		}
	}
	if !services["slb"] || !services["elb"] || !services["oss"] {
		t.Fatalf("calls from %v, want slb, elb and oss", services)
	}
	if got := fakecore.CriticalPath(calls); got != len(calls) {
		t.Fatalf("%d calls one after another: CriticalPath = %d", len(calls), got)
	}
}

// TestCallTimesOverlap: two requests held at once by the hang fault overlap, so they are one
// round trip deep; the hang's log entries end when the requests are released.
func TestCallTimesOverlap(t *testing.T) {
	c, base := fakecloud.Start(t)
	c.Faults().SetHang("slb")
	done := make(chan struct{}, 2)
	for range 2 {
		go func() {
			defer func() { done <- struct{}{} }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/", strings.NewReader("Action=DescribeRegions&Version=2014-05-15"))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
	}
	waitHeld(t, c, 2)
	c.Faults().Clear()
	<-done
	<-done
	calls := c.Calls()
	if len(calls) < 2 {
		t.Fatalf("%d calls logged, want the 2 held", len(calls))
	}
	if got := fakecore.CriticalPath(calls[:2]); got != 1 {
		t.Fatalf("two requests held at once: CriticalPath = %d, want 1", got)
	}
}
