package casfake_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/cas"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/casfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
)

// start runs the composed emulator, so CAS is reached through fakecloud's dispatch by Version.
func start(t *testing.T) (*fakecloud.Cloud, string) {
	t.Helper()
	c, base := fakecloud.Start(t)
	return c, strings.TrimPrefix(base, "http://")
}

// client is the real CAS SDK client pointed at the emulator.
func client(t *testing.T, domain string, cred credentials.CredentialsProvider, retries int) *cas.Client {
	t.Helper()
	if cred == nil {
		cred = credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret)
	}
	cfg := sdk.NewConfig().WithTimeout(10 * time.Second)
	if retries > 0 {
		cfg.WithAutoRetry(true).WithMaxRetryTime(retries)
	}
	c, err := cas.NewClientWithOptions("cn-hangzhou", cfg, cred)
	if err != nil {
		t.Fatal(err)
	}
	c.Domain = domain
	c.SetNoProxy(`127\.0\.0\.1`)
	return c
}

// serverError asserts that CAS answered err with code and status.
func serverError(t *testing.T, err error, code string, status int) *sdkerrors.ServerError {
	t.Helper()
	se, ok := err.(*sdkerrors.ServerError)
	if !ok || se.ErrorCode() != code || se.HttpStatus() != status || se.HostId() != "cas.aliyuncs.com" || se.RequestId() == "" {
		t.Fatalf("err = %v, want %d %s from cas.aliyuncs.com with a request id", err, status, code)
	}
	return se
}

func issue(t *testing.T, names ...string) *certstest.Issued {
	t.Helper()
	return certstest.Must(t, certstest.Options{DNSNames: names})
}

func upload(t *testing.T, c *cas.Client, name string, certPEM, keyPEM []byte) (int64, error) {
	t.Helper()
	req := cas.CreateUploadUserCertificateRequest()
	req.Name, req.Cert, req.Key = name, string(certPEM), string(keyPEM)
	resp, err := c.UploadUserCertificate(req)
	if err != nil {
		return 0, err
	}
	return resp.CertId, nil
}

func detail(c *cas.Client, id int64, filter bool) (*cas.GetUserCertificateDetailResponse, error) {
	req := cas.CreateGetUserCertificateDetailRequest()
	req.CertId = requests.NewInteger64(id)
	if filter {
		req.CertFilter = requests.NewBoolean(true)
	}
	return c.GetUserCertificateDetail(req)
}

func TestUploadThenDetail(t *testing.T) {
	_, domain := start(t)
	c := client(t, domain, nil, 0)
	is := issue(t, "example.com", "www.example.com")
	id, err := upload(t, c, "example-com", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if id != 12345678 {
		t.Errorf("first id = %d", id)
	}

	resp, err := detail(c, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Cert != string(is.FullchainPEM) || resp.Key != string(is.KeyPEM) {
		t.Error("PEMs are not returned byte for byte as uploaded")
	}
	type summary struct {
		Id                                             int64
		Name, Common, Sans, StartDate, EndDate, Issuer string
		Algorithm                                      string
	}
	leaf := is.Leaf
	want := summary{id, "example-com", "example.com", "example.com,www.example.com",
		leaf.NotBefore.UTC().Format(time.DateOnly), leaf.NotAfter.UTC().Format(time.DateOnly), leaf.Issuer.Organization[0], "ECC"}
	got := summary{resp.Id, resp.Name, resp.Common, resp.Sans, resp.StartDate, resp.EndDate, resp.Issuer, resp.Algorithm}
	if got != want {
		t.Errorf("detail = %+v, want %+v", got, want)
	}
	if len(resp.Fingerprint) != 40 || resp.Fingerprint != strings.ToUpper(resp.Fingerprint) || resp.Expired {
		t.Errorf("Fingerprint %q Expired %v", resp.Fingerprint, resp.Expired)
	}

	// CertFilter=true leaves the PEM fields out of the body entirely.
	filtered, err := detail(c, id, true)
	if err != nil {
		t.Fatal(err)
	}
	raw := filtered.GetHttpContentString()
	for _, field := range []string{`"Cert"`, `"Key"`, `"SignCert"`, `"SignPrivateKey"`, `"EncryptCert"`, `"EncryptPrivateKey"`, "BEGIN"} {
		if strings.Contains(raw, field) {
			t.Errorf("CertFilter=true body contains %s", field)
		}
	}
	if filtered.Name != "example-com" || filtered.Fingerprint != resp.Fingerprint {
		t.Errorf("filtered detail lost its metadata: %+v", filtered)
	}
}

func TestErrors(t *testing.T) {
	_, domain := start(t)
	c := client(t, domain, nil, 0)
	is := issue(t, "err.example.com")
	if _, err := upload(t, c, "taken", is.FullchainPEM, is.KeyPEM); err != nil {
		t.Fatal(err)
	}
	other := issue(t, "other.example.com")

	_, err := c.GetUserCertificateDetail(cas.CreateGetUserCertificateDetailRequest())
	serverError(t, err, "MissingCertId", 400)
	_, err = detail(c, 99, false)
	serverError(t, err, "NotFound", 404)
	req := cas.CreateGetUserCertificateDetailRequest()
	req.CertId = "12x"
	_, err = c.GetUserCertificateDetail(req)
	serverError(t, err, "InvalidParameter", 400)

	uploads := []struct {
		name, certPEM, keyPEM string
		code                  string
	}{
		{"taken", string(other.FullchainPEM), string(other.KeyPEM), "NameRepeat"},
		{"", string(other.FullchainPEM), string(other.KeyPEM), "MissingName"},
		{strings.Repeat("n", 65), string(other.FullchainPEM), string(other.KeyPEM), "InvalidParameter"},
		{"no-key", string(other.FullchainPEM), "", "MissingKey"},
		{"garbage", "not a pem", string(other.KeyPEM), "-1008"},
		{"key-as-cert", string(other.KeyPEM), string(other.KeyPEM), "-1008"},
		{"bad-key", string(other.FullchainPEM), "-----BEGIN " + "PRIVATE KEY-----\nAAAA\n-----END " + "PRIVATE KEY-----\n", "-1008"},
		{"mismatch", string(other.FullchainPEM), string(is.KeyPEM), "CertKeyNotMatch"},
	}
	for _, u := range uploads {
		t.Run(u.code+"/"+u.name[:min(len(u.name), 10)], func(t *testing.T) {
			_, err := upload(t, c, u.name, []byte(u.certPEM), []byte(u.keyPEM))
			se := serverError(t, err, u.code, 400)
			if strings.Contains(se.Message(), "BEGIN") {
				t.Error("message echoes PEM")
			}
		})
	}
	sm2 := cas.CreateUploadUserCertificateRequest()
	sm2.Name, sm2.SignCert, sm2.SignPrivateKey = "sm2", "x", "y"
	_, err = c.UploadUserCertificate(sm2)
	serverError(t, err, "InvalidParameter", 400)
}

func TestKeysOtherThanTheDefault(t *testing.T) {
	cloud, domain := start(t)
	c := client(t, domain, nil, 0)
	for _, o := range []certstest.Options{
		{DNSNames: []string{"rsa.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1},
		{DNSNames: []string{"sec1.example.com"}, KeyFormat: certstest.FormatSEC1},
		{DNSNames: []string{"self.example.com"}, Intermediates: -1},
	} {
		is := certstest.Must(t, o)
		if _, err := upload(t, c, o.DNSNames[0], is.FullchainPEM, is.KeyPEM); err != nil {
			t.Errorf("%s: %v", o.DNSNames[0], err)
		}
	}
	if got := cloud.CAS().Certificates(); len(got) != 3 || got[0].CommonName != "rsa.example.com" || !got[0].HasKey {
		t.Errorf("Certificates() = %+v", got)
	}
}

func TestListUserCertificateOrder(t *testing.T) {
	cloud, domain := start(t)
	c := client(t, domain, nil, 0)
	now := time.Now()
	var ids []int64
	for i := range 5 {
		is := issue(t, fmt.Sprintf("site%d.example.com", i))
		id, err := cloud.CAS().AddCertificate(fmt.Sprintf("site-%d", i), is.FullchainPEM, is.KeyPEM)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	old := certstest.Must(t, certstest.Options{DNSNames: []string{"old.example.org"}, NotBefore: now.AddDate(-1, 0, 0), NotAfter: now.AddDate(0, 0, -1)})
	oldID, err := cloud.CAS().AddCertificate("old", old.FullchainPEM, old.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	soon := certstest.Must(t, certstest.Options{DNSNames: []string{"soon.example.org"}, NotAfter: now.AddDate(0, 0, 10)})
	soonID, err := cloud.CAS().AddCertificate("soon", soon.FullchainPEM, soon.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}

	list := func(t *testing.T, set func(*cas.ListUserCertificateOrderRequest)) *cas.ListUserCertificateOrderResponse {
		t.Helper()
		req := cas.CreateListUserCertificateOrderRequest()
		req.OrderType = "CERT"
		set(req)
		resp, err := c.ListUserCertificateOrder(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	idsOf := func(resp *cas.ListUserCertificateOrderResponse) []int64 {
		var out []int64
		for _, it := range resp.CertificateOrderList {
			out = append(out, it.CertificateId)
		}
		return out
	}

	// Paging over the valid certificates (issued and about to expire), 3 at a time.
	valid := append(slices.Clone(ids), soonID)
	var seen []int64
	for page := int64(1); page <= 3; page++ {
		resp := list(t, func(r *cas.ListUserCertificateOrderRequest) {
			r.ShowSize, r.CurrentPage = requests.NewInteger(3), requests.NewInteger64(page)
		})
		if resp.TotalCount != 6 || resp.ShowSize != 3 || resp.CurrentPage != page {
			t.Fatalf("page %d: total %d size %d current %d", page, resp.TotalCount, resp.ShowSize, resp.CurrentPage)
		}
		seen = append(seen, idsOf(resp)...)
	}
	if !slices.Equal(seen, valid) {
		t.Errorf("paged ids = %v, want %v", seen, valid)
	}

	tests := []struct {
		name string
		set  func(*cas.ListUserCertificateOrderRequest)
		want []int64
	}{
		{"default OrderType is CPACK: no orders here", func(r *cas.ListUserCertificateOrderRequest) { r.OrderType = "" }, nil},
		{"BUY", func(r *cas.ListUserCertificateOrderRequest) { r.OrderType = "BUY" }, nil},
		{"UPLOAD", func(r *cas.ListUserCertificateOrderRequest) { r.OrderType = "UPLOAD" }, valid},
		{"expired", func(r *cas.ListUserCertificateOrderRequest) { r.Status = "EXPIRED" }, []int64{oldID}},
		{"will expire", func(r *cas.ListUserCertificateOrderRequest) { r.Status = "WILLEXPIRED" }, []int64{soonID}},
		{"keyword domain", func(r *cas.ListUserCertificateOrderRequest) { r.Keyword = "SITE3.example" }, []int64{ids[3]}},
		{"keyword name", func(r *cas.ListUserCertificateOrderRequest) { r.Keyword = "site-1" }, []int64{ids[1]}},
		{"default size is 50", func(r *cas.ListUserCertificateOrderRequest) {}, valid},
		{"past the end", func(r *cas.ListUserCertificateOrderRequest) { r.CurrentPage = requests.NewInteger(9) }, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := idsOf(list(t, tt.set)); !slices.Equal(got, tt.want) {
				t.Errorf("ids = %v, want %v", got, tt.want)
			}
		})
	}

	item := list(t, func(r *cas.ListUserCertificateOrderRequest) { r.Keyword = "old" }).CertificateOrderList
	if len(item) != 0 {
		t.Errorf("expired certificate listed by default: %+v", item)
	}
	it := list(t, func(r *cas.ListUserCertificateOrderRequest) { r.Status = "EXPIRED" }).CertificateOrderList[0]
	if !it.Expired || !it.Upload || it.Status != "EXPIRED" || it.CommonName != "old.example.org" || it.Sans != "old.example.org" ||
		it.SerialNo != old.Leaf.SerialNumber.Text(16) || len(it.Sha2) != 64 || it.CertEndTime != old.Leaf.NotAfter.UnixMilli() {
		t.Errorf("item = %+v", it)
	}

	for _, bad := range []func(*cas.ListUserCertificateOrderRequest){
		func(r *cas.ListUserCertificateOrderRequest) { r.OrderType = "ALL" },
		func(r *cas.ListUserCertificateOrderRequest) { r.Status = "FINE" },
		func(r *cas.ListUserCertificateOrderRequest) { r.ShowSize = "0" },
		func(r *cas.ListUserCertificateOrderRequest) { r.CurrentPage = "x" },
	} {
		req := cas.CreateListUserCertificateOrderRequest()
		bad(req)
		_, err := c.ListUserCertificateOrder(req)
		serverError(t, err, "InvalidParameter", 400)
	}
}

func TestGatewayChecksAndFaults(t *testing.T) {
	cloud, domain := start(t)
	cloud.Keys().Add(fakecore.Credential{AccessKeyID: "STS.CasKey", AccessKeySecret: "sts-secret", SecurityToken: "CAIScasTOKEN0123456789=="})
	is := issue(t, "gw.example.com")
	id, err := cloud.CAS().AddCertificate("gw", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}

	_, err = detail(client(t, domain, credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, "wrong"), 0), id, false)
	se := serverError(t, err, "SignatureDoesNotMatch", 400)
	if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
		t.Errorf("Recommend = %q: the emulator's string to sign differs from the SDK's", se.Recommend())
	}
	_, err = detail(client(t, domain, credentials.NewStaticAKCredentialsProvider("STS.CasKey", "sts-secret"), 0), id, false)
	serverError(t, err, "MissingSecurityToken", 400)
	if _, err := detail(client(t, domain, credentials.NewStaticSTSCredentialsProvider("STS.CasKey", "sts-secret", "CAIScasTOKEN0123456789=="), 0), id, false); err != nil {
		t.Fatalf("STS: %v", err)
	}

	cloud.Faults().FailNext("GetUserCertificateDetail", fakecore.Throttle, 1)
	_, err = detail(client(t, domain, nil, 3), id, false)
	serverError(t, err, "Throttling.User", 400)

	cloud.ResetCalls()
	cloud.Faults().FailNext("GetUserCertificateDetail", fakecore.ServerError, 2)
	if _, err := detail(client(t, domain, nil, 3), id, false); err != nil {
		t.Fatalf("SDK AutoRetry over 503s: %v", err)
	}
	var statuses []int
	for _, call := range cloud.Calls() {
		statuses = append(statuses, call.Status)
	}
	if !slices.Equal(statuses, []int{503, 503, 200}) {
		t.Errorf("statuses = %v", statuses)
	}
}

func TestCallLog(t *testing.T) {
	cloud, domain := start(t)
	c := client(t, domain, nil, 0)
	is := issue(t, "log.example.com")
	id, err := upload(t, c, "logged", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := upload(t, c, "logged-2", is.FullchainPEM, issue(t, "x.example.com").KeyPEM); err == nil {
		t.Fatal("mismatched key accepted")
	}
	if _, err := detail(c, id, false); err != nil {
		t.Fatal(err)
	}
	calls := cloud.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, call := range calls {
		if call.Service != "cas" || call.Region != "cn-hangzhou" {
			t.Errorf("call %+v", call)
		}
		b, _ := json.Marshal(call)
		if bytes.Contains(b, []byte("PRIVATE KEY")) {
			t.Errorf("key material in the call log: %s", call.Action)
		}
	}
	if calls[0].Params["Key"] != "<redacted>" || !calls[0].Mutating || calls[0].Params["Cert"] == "" || calls[0].Params["Name"] != "logged" {
		t.Errorf("upload call %+v", calls[0])
	}
	if calls[1].Code != "CertKeyNotMatch" || calls[2].Action != "GetUserCertificateDetail" || calls[2].Mutating || calls[2].Params["CertId"] == "" {
		t.Errorf("calls %+v", calls[1:])
	}
}

// TestWireShapes decodes the raw bodies with encoding/json into the SDK's own response structs,
// refusing unknown fields and wrong types, and checks that every SDK field is sent.
func TestWireShapes(t *testing.T) {
	_, domain := start(t)
	c := client(t, domain, nil, 0)
	is := issue(t, "shape.example.com")
	id, err := upload(t, c, "shape", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	d, err := detail(c, id, false)
	if err != nil {
		t.Fatal(err)
	}
	req := cas.CreateListUserCertificateOrderRequest()
	req.OrderType = "CERT"
	l, err := c.ListUserCertificateOrder(req)
	if err != nil {
		t.Fatal(err)
	}
	var list map[string]json.RawMessage
	if err := json.Unmarshal(l.GetHttpContentBytes(), &list); err != nil {
		t.Fatal(err)
	}
	var items []json.RawMessage
	if err := json.Unmarshal(list["CertificateOrderList"], &items); err != nil || len(items) != 1 {
		t.Fatalf("CertificateOrderList is not a flat array of one: %s", list["CertificateOrderList"])
	}

	for _, tc := range []struct {
		name string
		raw  []byte
		into any
		skip []string // SDK fields legitimately absent
	}{
		{"GetUserCertificateDetail", d.GetHttpContentBytes(), &cas.GetUserCertificateDetailResponse{},
			[]string{"SignCert", "SignPrivateKey", "EncryptCert", "EncryptPrivateKey"}},
		{"ListUserCertificateOrder", l.GetHttpContentBytes(), &cas.ListUserCertificateOrderResponse{}, nil},
		{"CertificateOrderListItem", items[0], &cas.CertificateOrderListItem{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dec := json.NewDecoder(bytes.NewReader(tc.raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(tc.into); err != nil {
				t.Fatalf("%v: %s", err, tc.raw)
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(tc.raw, &keys); err != nil {
				t.Fatal(err)
			}
			typ := reflect.TypeOf(tc.into).Elem()
			for i := range typ.NumField() {
				name := strings.Split(typ.Field(i).Tag.Get("json"), ",")[0]
				if name == "" || slices.Contains(tc.skip, name) {
					continue
				}
				if _, ok := keys[name]; !ok {
					t.Errorf("field %s missing", name)
				}
			}
		})
	}
}

func TestCertificatesWithoutKey(t *testing.T) {
	cloud, domain := start(t)
	c := client(t, domain, nil, 0)
	is := issue(t, "nokey.example.com")
	id, err := cloud.CAS().AddCertificateWithoutKey("no-key", is.FullchainPEM)
	if err != nil {
		t.Fatal(err)
	}
	d, err := detail(c, id, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Cert != string(is.FullchainPEM) || d.Key != "" || strings.Contains(d.GetHttpContentString(), `"Key"`) {
		t.Errorf("no-key detail: Key %q", d.Key)
	}

	sm2, err := cloud.CAS().AddSM2Certificate("sm2", []byte("SIGN CERT"), []byte("SIGN KEY"), []byte("ENC CERT"), []byte("ENC KEY"))
	if err != nil {
		t.Fatal(err)
	}
	d, err = detail(c, sm2, false)
	if err != nil {
		t.Fatal(err)
	}
	if d.Cert != "" || d.Key != "" || d.SignCert != "SIGN CERT" || d.EncryptPrivateKey != "ENC KEY" || d.Algorithm != "SM2" {
		t.Errorf("SM2 detail %+v", d)
	}
	if _, err := cloud.CAS().AddSM2Certificate("sm2", nil, nil, nil, nil); err == nil {
		t.Error("duplicate name accepted")
	} else if ae, ok := err.(*casfake.APIError); !ok || ae.Code != "NameRepeat" {
		t.Errorf("err = %v", err)
	}
}

func TestSeedAndSnapshot(t *testing.T) {
	cloud, domain := start(t)
	is := issue(t, "seeded.example.com")
	err := cloud.Seed(fakecloud.Seed{CASCertificates: []fakecloud.SeedCertificate{
		{Name: "seeded", CertPEM: string(is.FullchainPEM), KeyPEM: string(is.KeyPEM)},
	}})
	if err != nil {
		t.Fatal(err)
	}
	st := cloud.Snapshot().CASCertificates
	if len(st) != 1 || st[0].Name != "seeded" || !st[0].HasKey || !slices.Equal(st[0].Names, []string{"seeded.example.com"}) {
		t.Fatalf("snapshot %+v", st)
	}
	d, err := detail(client(t, domain, nil, 0), st[0].ID, false)
	if err != nil || d.Key != string(is.KeyPEM) {
		t.Fatalf("seeded certificate: %v", err)
	}

	bad := fakecloud.Seed{CASCertificates: []fakecloud.SeedCertificate{{Name: "x", CertPEM: "a"}, {CertPEM: "a", KeyPEM: "b"}}}
	err = fakecloud.New().Seed(bad)
	if err == nil || !strings.Contains(err.Error(), "cas_certificates[0]: give exactly one") || !strings.Contains(err.Error(), "cas_certificates[1]: name is required") {
		t.Errorf("err = %v", err)
	}
	err = fakecloud.New().Seed(fakecloud.Seed{CASCertificates: []fakecloud.SeedCertificate{{Name: "x", CertPEM: "a", KeyPEM: "b"}}})
	if err == nil || !strings.Contains(err.Error(), "-1008") {
		t.Errorf("err = %v", err)
	}
}

// TestDeleteUserCertificate: an unused certificate is deleted; one an ALB or NLB listener
// serves is refused; an unknown id is NotFound.
func TestDeleteUserCertificate(t *testing.T) {
	cloud, domain := start(t)
	c := client(t, domain, nil, 0)
	is, other := issue(t, "del.example.com"), issue(t, "nlb.example.com")
	id, err := upload(t, c, "to-delete", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	served, err := upload(t, c, "served", other.FullchainPEM, other.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := cloud.NLB().Store().Add(lbcerts.Listener{ID: "lsn-1@443", Region: "cn-shanghai", LoadBalancerID: "nlb-1", Protocol: "TCPSSL", Port: 443,
		Default: strconv.FormatInt(served, 10) + "-cn-hangzhou"}); err != nil {
		t.Fatal(err)
	}
	del := func(id int64) error {
		req := cas.CreateDeleteUserCertificateRequest()
		req.CertId = requests.NewInteger64(id)
		_, err := c.DeleteUserCertificate(req)
		return err
	}
	serverError(t, del(served), "CertificateInUse", 400)
	serverError(t, del(99), "NotFound", 404)
	if err := del(id); err != nil {
		t.Fatalf("delete an unused certificate: %v", err)
	}
	for _, got := range cloud.CAS().Certificates() {
		if got.ID == id {
			t.Error("still there after DeleteUserCertificate")
		}
	}
	if len(cloud.CAS().Certificates()) != 1 {
		t.Errorf("%d certificates left, want the served one", len(cloud.CAS().Certificates()))
	}
}
