package nlbfake_test

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/nlb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
	"github.com/certrotate/certrotate/shared/fakecloud/nlbfake"
)

const region = "cn-shanghai"

func sdkClient(t *testing.T, base string) *nlb.Client {
	t.Helper()
	c, err := nlb.NewClientWithOptions(region, sdk.NewConfig().WithScheme("HTTP").WithAutoRetry(false).WithTimeout(10*time.Second),
		credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = strings.TrimPrefix(base, "http://")
	return c
}

func setup(t *testing.T) (*fakecloud.Cloud, *nlb.Client, string, string) {
	t.Helper()
	cloud, base := fakecloud.Start(t)
	add := func(name string) string {
		is := certstest.Must(t, certstest.Options{DNSNames: []string{name}})
		id, err := cloud.CAS().AddCertificate(name, is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		return strconv.FormatInt(id, 10) + "-cn-hangzhou"
	}
	def, fresh := add("a.example.com"), add("b.example.com")
	if err := cloud.NLB().Store().Add(lbcerts.Listener{ID: "lsn-1@443", Region: region, LoadBalancerID: "nlb-1", Protocol: "TCPSSL", Port: 443, Default: def}); err != nil {
		t.Fatal(err)
	}
	return cloud, sdkClient(t, base), def, fresh
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

// TestFormBodyAndJobs: the SDK's body parameters are read; the default certificate changes when
// the job is done; GetJobStatus reports it; a write meanwhile is refused.
func TestFormBodyAndJobs(t *testing.T) {
	clk := fakecore.NewClock(time.Now())
	log := &fakecore.Log{}
	svc := nlbfake.New(fakecore.NewKeyring(), log, &fakecore.Faults{}, clk.Now, func(id int64) bool { return id < 1000 })
	srv := httptest.NewServer(svc)
	t.Cleanup(srv.Close)
	c := sdkClient(t, srv.URL)
	def, fresh := "101-cn-hangzhou", "102-cn-hangzhou"
	if err := svc.Store().Add(lbcerts.Listener{ID: "lsn-1@443", Region: region, LoadBalancerID: "nlb-1", Protocol: "TCPSSL", Port: 443, Default: def}); err != nil {
		t.Fatal(err)
	}
	svc.SetJobWindow(10 * time.Second)
	req := nlb.CreateUpdateListenerAttributeRequest()
	req.RegionId, req.ListenerId, req.CertificateIds = region, "lsn-1@443", &[]string{fresh}
	resp, err := c.UpdateListenerAttribute(req)
	if err != nil || resp.JobId == "" {
		t.Fatalf("UpdateListenerAttribute: %+v, %v", resp, err)
	}
	attr := nlb.CreateGetListenerAttributeRequest()
	attr.RegionId, attr.ListenerId = region, "lsn-1@443"
	got, err := c.GetListenerAttribute(attr)
	if err != nil || got.ListenerStatus != "Configuring" || len(got.CertificateIds) != 1 || got.CertificateIds[0] != def {
		t.Errorf("during the job: %+v, %v; want Configuring, still %s", got, err, def)
	}
	assoc := nlb.CreateAssociateAdditionalCertificatesWithListenerRequest()
	assoc.RegionId, assoc.ListenerId, assoc.AdditionalCertificateIds = region, "lsn-1@443", &[]string{def}
	if _, err := c.AssociateAdditionalCertificatesWithListener(assoc); code(err) != "IncorrectStatus.listener" {
		t.Errorf("write while configuring: %v", err)
	}
	job := nlb.CreateGetJobStatusRequest()
	job.RegionId, job.JobId = region, resp.JobId
	if st, err := c.GetJobStatus(job); err != nil || st.Status != "Processing" {
		t.Errorf("GetJobStatus during: %+v, %v", st, err)
	}
	clk.Add(11 * time.Second)
	if st, err := c.GetJobStatus(job); err != nil || st.Status != "Succeeded" {
		t.Errorf("GetJobStatus after: %+v, %v", st, err)
	}
	list := nlb.CreateListListenerCertificatesRequest()
	list.RegionId, list.ListenerId = region, "lsn-1@443"
	lc, err := c.ListListenerCertificates(list)
	if err != nil || len(lc.Certificates) != 1 || lc.Certificates[0].CertificateId != fresh || !lc.Certificates[0].IsDefault || lc.CertificateIds[0] != fresh {
		t.Errorf("ListListenerCertificates after: %+v, %v", lc, err)
	}
	// The body parameters really travelled in the body.
	for _, call := range log.Calls() {
		if call.Action == "UpdateListenerAttribute" && call.Params["CertificateIds.1"] != fresh {
			t.Errorf("call log %+v", call.Params)
		}
	}
}

// TestParametersInTheQueryAreNotRead: a body parameter sent in the query is refused.
func TestParametersInTheQueryAreNotRead(t *testing.T) {
	_, c, _, fresh := setup(t)
	req := requests.NewCommonRequest()
	req.Method, req.Scheme, req.Domain = "POST", "HTTP", c.Domain
	req.Product, req.Version, req.ApiName = "Nlb", "2022-04-30", "UpdateListenerAttribute"
	req.QueryParams["RegionId"] = region
	req.QueryParams["ListenerId"] = "lsn-1@443"
	req.QueryParams["CertificateIds.1"] = fresh
	_, err := c.ProcessCommonRequest(req)
	if se, ok := err.(*sdkerrors.ServerError); !ok || se.ErrorCode() != "InvalidParameter" || !strings.Contains(se.Message(), "form body") {
		t.Errorf("query parameters: %v, want InvalidParameter naming the form body", err)
	}
}

// TestOneDefaultAndTCPSSLOnly: CertificateIds takes one certificate; TCP listeners take none.
func TestOneDefaultAndTCPSSLOnly(t *testing.T) {
	cloud, c, def, fresh := setup(t)
	if err := cloud.NLB().Store().Add(lbcerts.Listener{ID: "lsn-2@80", Region: region, LoadBalancerID: "nlb-1", Protocol: "TCP", Port: 80}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		listener string
		ids      []string
		want     string
	}{
		{"lsn-1@443", []string{def, fresh}, "InvalidParameter"},
		{"lsn-2@80", []string{fresh}, "OperationDenied.ListenerProtocolNotSupport"},
		{"lsn-1@443", []string{"1-cn-hangzhou"}, "ResourceNotFound.certificate"},
		{"lsn-9@443", []string{fresh}, "ResourceNotFound.listener"},
	} {
		req := nlb.CreateUpdateListenerAttributeRequest()
		req.RegionId, req.ListenerId, req.CertificateIds = region, tc.listener, &tc.ids
		if _, err := c.UpdateListenerAttribute(req); code(err) != tc.want {
			t.Errorf("%s %v: %v, want %s", tc.listener, tc.ids, err, tc.want)
		}
	}
}
