package audit_test

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/audit"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/cloud"
	"github.com/certrotate/certrotate/shared/config"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/leakcheck"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/report"
)

// TestALBPlaceIsStaleWhenCASHoldsANewerCertificate: an ALB listener serving a 40-day certificate
// for www.example.com is stale when CAS also holds an 80-day one for the same names (uploaded,
// served nowhere), and ok when it does not: ALB and NLB places are judged against CAS's list, as
// CLB places are against the region's server certificates.
func TestALBPlaceIsStaleWhenCASHoldsANewerCertificate(t *testing.T) {
	for _, newer := range []bool{true, false} {
		t.Run(fmt.Sprintf("newer in CAS: %v", newer), func(t *testing.T) {
			c, url := fakecloud.Start(t)
			now := time.Now()
			var keys []string
			add := func(after time.Duration) string {
				is := certstest.Must(t, certstest.Options{DNSNames: []string{"www.example.com"}, NotBefore: now.Add(-24 * time.Hour), NotAfter: now.Add(after)})
				keys = append(keys, string(is.KeyPEM))
				id, err := c.CAS().AddCertificate(fmt.Sprintf("seed-%d", len(keys)), is.FullchainPEM, is.KeyPEM)
				if err != nil {
					t.Fatal(err)
				}
				return fmt.Sprintf("%d-cn-hangzhou", id)
			}
			served := add(40 * 24 * time.Hour)
			if newer {
				add(80 * 24 * time.Hour)
			}
			if err := c.ALB().Store().Add(lbcerts.Listener{ID: "lsn-web443", Region: region, LoadBalancerID: "alb-web", Protocol: "HTTPS", Port: 443, Default: served}); err != nil {
				t.Fatal(err)
			}
			targets, err := provider.ParseTargets(`[{"provider":"alialb","region":"cn-hangzhou","listener_id":"lsn-web443","name":"alb"}]`)
			if err != nil {
				t.Fatal(err)
			}
			cfg := &config.Rotate{Targets: targets, ALBEndpoint: url, CASEndpoint: url, CASRegion: "cn-hangzhou", Concurrency: 4, QPS: 1000, Deployment: "test"}
			clouds := cloud.New(cfg, cloud.Alibaba{AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: fakecore.DefaultAccessKeySecret})
			rep := audit.New(audit.Options{Targets: targets, Days: 30, Concurrency: 4}).Run(context.Background(), clouds, time.Now,
				slog.New(slog.NewJSONHandler(leakcheck.Writer(t, keys...), nil)))
			want := map[bool]string{true: report.PlaceStale, false: report.PlaceOK}[newer]
			if len(rep.Places) != 1 || rep.Places[0].Status != want {
				t.Fatalf("places %+v; want one, %s", rep.Places, want)
			}
			if m := c.MutatingCalls(); len(m) > 0 {
				t.Fatalf("the audit made a mutating call: %s", m[0].Action)
			}
		})
	}
}
