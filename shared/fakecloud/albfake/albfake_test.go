package albfake_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/alb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/albfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
)

const region = "cn-shanghai"

// direct serves one ALB on its own clock, every CAS id below 1000 known.
func direct(t *testing.T) (*albfake.Service, *fakecore.Clock, string) {
	t.Helper()
	clk := fakecore.NewClock(time.Now())
	svc := albfake.New(fakecore.NewKeyring(), &fakecore.Log{}, &fakecore.Faults{}, clk.Now, func(id int64) bool { return id < 1000 })
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	return svc, clk, srv.URL
}

func client(t *testing.T, base string) *alb.Client {
	t.Helper()
	c, err := alb.NewClientWithOptions(region, sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false).WithTimeout(10*time.Second),
		credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = strings.TrimPrefix(base, "http://")
	return c
}

func casCert(t *testing.T, c *fakecloud.Cloud, name string) string {
	t.Helper()
	is := certstest.Must(t, certstest.Options{DNSNames: []string{name}})
	id, err := c.CAS().AddCertificate(name, is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return strconv.FormatInt(id, 10) + "-cn-hangzhou"
}

func code(err error) string {
	if se, ok := err.(*sdkerrors.ServerError); ok {
		return se.ErrorCode()
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

func associate(c *alb.Client, listener string, ids ...string) (string, error) {
	req := alb.CreateAssociateAdditionalCertificatesWithListenerRequest()
	req.RegionId, req.ListenerId = region, listener
	var certs []alb.AssociateAdditionalCertificatesWithListenerCertificates
	for _, id := range ids {
		certs = append(certs, alb.AssociateAdditionalCertificatesWithListenerCertificates{CertificateId: id})
	}
	req.Certificates = &certs
	resp, err := c.AssociateAdditionalCertificatesWithListener(req)
	if err != nil {
		return "", err
	}
	return resp.JobId, nil
}

func listCerts(t *testing.T, c *alb.Client, listener string) map[string]string {
	t.Helper()
	req := alb.CreateListListenerCertificatesRequest()
	req.RegionId, req.ListenerId, req.CertificateType = region, listener, "Server"
	resp, err := c.ListListenerCertificates(req)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, cm := range resp.Certificates {
		out[cm.CertificateId] = cm.Status
	}
	return out
}

// TestAsynchronousWrites: a write answers a job at once, the listener is Configuring and refuses
// the next write with IncorrectStatus.Listener until the job is done; ListAsynJobs and
// ListListenerCertificates show the job's progress.
func TestAsynchronousWrites(t *testing.T) {
	svc, clk, base := direct(t)
	svc.SetJobWindow(10 * time.Second)
	def, extra, other := "101-cn-hangzhou", "102-cn-hangzhou", "103-cn-hangzhou"
	if err := svc.Store().Add(lbcerts.Listener{ID: "lsn-1", Region: region, LoadBalancerID: "alb-1", Protocol: "HTTPS", Port: 443, Default: def}); err != nil {
		t.Fatal(err)
	}
	c := client(t, base)
	job, err := associate(c, "lsn-1", extra)
	if err != nil || job == "" {
		t.Fatalf("associate: %q, %v", job, err)
	}
	if got := listCerts(t, c, "lsn-1")[extra]; got != "Associating" {
		t.Errorf("status during the job %q, want Associating", got)
	}
	attr := alb.CreateGetListenerAttributeRequest()
	attr.RegionId, attr.ListenerId = region, "lsn-1"
	if resp, err := c.GetListenerAttribute(attr); err != nil || resp.ListenerStatus != "Configuring" {
		t.Errorf("listener status %v, %v; want Configuring", resp, err)
	}
	if _, err := associate(c, "lsn-1", other); code(err) != "IncorrectStatus.Listener" {
		t.Errorf("a second write while configuring: %v, want IncorrectStatus.Listener", err)
	}
	jobs := alb.CreateListAsynJobsRequest()
	jobs.RegionId, jobs.JobIds = region, &[]string{job}
	if resp, err := c.ListAsynJobs(jobs); err != nil || len(resp.Jobs) != 1 || resp.Jobs[0].Status != "Processing" {
		t.Fatalf("ListAsynJobs during the job: %+v, %v", resp, err)
	}
	clk.Add(11 * time.Second)
	if resp, err := c.ListAsynJobs(jobs); err != nil || resp.Jobs[0].Status != "Succeeded" || resp.Jobs[0].ResourceId != "lsn-1" {
		t.Fatalf("ListAsynJobs after the job: %+v, %v", resp, err)
	}
	if got := listCerts(t, c, "lsn-1")[extra]; got != "Associated" {
		t.Errorf("status after the job %q, want Associated", got)
	}
	if resp, err := c.GetListenerAttribute(attr); err != nil || resp.ListenerStatus != "Running" {
		t.Errorf("listener status after the job %v, %v; want Running", resp, err)
	}
}

// TestRefusals: unknown certificate ids (also one stripped of its region suffix), the
// additional-certificate quota, dissociating what is not associated, non-TLS listeners.
func TestRefusals(t *testing.T) {
	cloud, base := fakecloud.Start(t)
	cloud.ALB().SetJobWindow(0)
	def := casCert(t, cloud, "a.example.com")
	full := lbcerts.Listener{ID: "lsn-full", Region: region, LoadBalancerID: "alb-1", Protocol: "HTTPS", Port: 443, Default: def}
	for i := range lbcerts.DefaultQuota {
		full.Additional = append(full.Additional, lbcerts.Cert{ID: casCert(t, cloud, "s"+strconv.Itoa(i)+".example.com")})
	}
	for _, l := range []lbcerts.Listener{full,
		{ID: "lsn-http", Region: region, LoadBalancerID: "alb-1", Protocol: "HTTP", Port: 80},
		{ID: "lsn-2", Region: region, LoadBalancerID: "alb-1", Protocol: "QUIC", Port: 443, Default: def}} {
		if err := cloud.ALB().Store().Add(l); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t, base)
	fresh := casCert(t, cloud, "new.example.com")
	bare, _, _ := strings.Cut(fresh, "-")
	dissociate := func(listener, id string) error {
		req := alb.CreateDissociateAdditionalCertificatesFromListenerRequest()
		req.RegionId, req.ListenerId = region, listener
		req.Certificates = &[]alb.DissociateAdditionalCertificatesFromListenerCertificates{{CertificateId: id}}
		_, err := c.DissociateAdditionalCertificatesFromListener(req)
		return err
	}
	tests := []struct {
		name string
		do   func() error
		want string
	}{
		{"unknown id", func() error { _, err := associate(c, "lsn-2", "99999999-cn-hangzhou"); return err }, "ResourceNotFound.Certificate"},
		{"region suffix stripped", func() error { _, err := associate(c, "lsn-2", bare); return err }, "ResourceNotFound.Certificate"},
		{"foreign region suffix", func() error { _, err := associate(c, "lsn-2", bare+"-cn-shanghai"); return err }, "ResourceNotFound.Certificate"},
		{"26th additional certificate", func() error { _, err := associate(c, "lsn-full", fresh); return err }, "QuotaExceeded.ListenerAdditionalCertificatesNum"},
		{"already associated", func() error { _, err := associate(c, "lsn-full", full.Additional[0].ID); return err }, "ResourceAlreadyAssociated.Certificate"},
		{"dissociate what is not there", func() error { return dissociate("lsn-2", fresh) }, "ResourceNotAssociated.Certificate"},
		{"HTTP listener", func() error { _, err := associate(c, "lsn-http", fresh); return err }, "OperationDenied.ListenerProtocolNotSupport"},
		{"unknown listener", func() error { _, err := associate(c, "lsn-none", fresh); return err }, "ResourceNotFound.Listener"},
		{"default with an unknown id", func() error {
			req := alb.CreateUpdateListenerAttributeRequest()
			req.RegionId, req.ListenerId = region, "lsn-2"
			req.Certificates = &[]alb.UpdateListenerAttributeCertificates{{CertificateId: bare}}
			_, err := c.UpdateListenerAttribute(req)
			return err
		}, "ResourceNotFound.Certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := code(tt.do()); got != tt.want {
				t.Errorf("code %q, want %q", got, tt.want)
			}
		})
	}
	for _, l := range cloud.ALB().Store().Listeners() {
		if l.ID == "lsn-full" && len(l.Additional) != lbcerts.DefaultQuota || l.ID == "lsn-2" && len(l.Additional) != 0 {
			t.Errorf("a refused write changed %s: %d additional", l.ID, len(l.Additional))
		}
	}
}

// TestClientTokenMakesRetriesIdempotent: a write retried with the same ClientToken answers the
// first write's job instead of doing it again (or refusing it as already done).
func TestClientTokenMakesRetriesIdempotent(t *testing.T) {
	svc, _, base := direct(t)
	svc.SetJobWindow(0)
	if err := svc.Store().Add(lbcerts.Listener{ID: "lsn-1", Region: region, LoadBalancerID: "alb-1", Protocol: "HTTPS", Port: 443, Default: "101-cn-hangzhou"}); err != nil {
		t.Fatal(err)
	}
	c := client(t, base)
	send := func(token string) (string, error) {
		req := alb.CreateAssociateAdditionalCertificatesWithListenerRequest()
		req.RegionId, req.ListenerId, req.ClientToken = region, "lsn-1", token
		req.Certificates = &[]alb.AssociateAdditionalCertificatesWithListenerCertificates{{CertificateId: "102-cn-hangzhou"}}
		resp, err := c.AssociateAdditionalCertificatesWithListener(req)
		if err != nil {
			return "", err
		}
		return resp.JobId, nil
	}
	first, err := send("token-1")
	if err != nil {
		t.Fatal(err)
	}
	if again, err := send("token-1"); err != nil || again != first {
		t.Errorf("retry with the same token = %q, %v; want job %q", again, err, first)
	}
	if _, err := send("token-2"); code(err) != "ResourceAlreadyAssociated.Certificate" {
		t.Errorf("a new token = %v, want ResourceAlreadyAssociated.Certificate", err)
	}
	if l := svc.Store().Listeners()[0]; len(l.Additional) != 1 {
		t.Errorf("additional %+v", l.Additional)
	}
}
