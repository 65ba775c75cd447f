package elbfake_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/invoker/retry"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

func colonSHA1(der []byte) string {
	sum := sha1.Sum(der)
	h := hex.EncodeToString(sum[:])
	var parts []string
	for i := 0; i < len(h); i += 2 {
		parts = append(parts, h[i:i+2])
	}
	return strings.Join(parts, ":")
}

// seedWeb makes a load balancer with one TERMINATED_HTTPS listener serving old as default.
func seedWeb(t *testing.T, e *env, old string) (lbID, lsID string) {
	t.Helper()
	lbID = e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "web"})
	lsID = e.svc.AddListener(project, elbfake.Listener{Name: "https", LoadBalancerID: lbID, Protocol: "TERMINATED_HTTPS",
		Port: 443, DefaultTLSContainerRef: old})
	return lbID, lsID
}

func TestEveryOperationThroughTheSDK(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	oldIs := issue(t, "example.com", "www.example.com")
	oldID := e.addCert(t, "old", "example.com,www.example.com", oldIs)
	lbID, lsID := seedWeb(t, e, oldID)

	// CreateCertificate: 201, fingerprint, names, expiry; the key is never echoed.
	fresh := issue(t, "example.com", "www.example.com")
	cr := createCert(t, c, "new", "example.com,www.example.com", fresh)
	got := cr.Certificate
	if cr.HttpStatusCode != http.StatusCreated || cr.RequestId == nil || len(got.Id) != 32 {
		t.Fatalf("create: %d %+v", cr.HttpStatusCode, got)
	}
	if *got.Fingerprint != colonSHA1(fresh.Leaf.Raw) || *got.CommonName != "example.com" ||
		!slices.Equal(*got.SubjectAlternativeNames, []string{"example.com", "www.example.com"}) ||
		got.ExpireTime != fresh.Leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z") || got.Type != "server" ||
		got.ProjectId != project || got.PrivateKey != "" || got.Certificate != string(fresh.FullchainPEM) {
		t.Fatalf("create answered %+v", got)
	}
	stored, ok := e.svc.Certificate(project, got.Id)
	if !ok || stored.PrivateKey != string(fresh.KeyPEM) || stored.Fingerprint != *got.Fingerprint {
		t.Fatalf("stored: %v %+v", ok, stored.Fingerprint)
	}

	// ShowCertificate.
	sc, err := c.ShowCertificate(&model.ShowCertificateRequest{CertificateId: got.Id})
	if err != nil || sc.Certificate.Name != "new" || sc.Certificate.Domain != "example.com,www.example.com" {
		t.Fatalf("show: %v %+v", err, sc)
	}

	// ListCertificates with repeated filters.
	lc, err := c.ListCertificates(&model.ListCertificatesRequest{Fingerprint: &[]string{*got.Fingerprint, "00:11"}})
	if err != nil || len(*lc.Certificates) != 1 || (*lc.Certificates)[0].Id != got.Id {
		t.Fatalf("list by fingerprint: %v %+v", err, lc)
	}
	lc, err = c.ListCertificates(&model.ListCertificatesRequest{Id: &[]string{oldID, got.Id}, Name: &[]string{"old", "new", "other name"}})
	if err != nil || len(*lc.Certificates) != 2 {
		t.Fatalf("list by id+name: %v %+v", err, lc)
	}
	lc, err = c.ListCertificates(&model.ListCertificatesRequest{Domain: &[]string{"www.example.com"}, Name: &[]string{"old"}})
	if err != nil || len(*lc.Certificates) != 1 || (*lc.Certificates)[0].Id != oldID {
		t.Fatalf("list by domain: %v %+v", err, lc)
	}

	// UpdateCertificate rotates in place: every listener using the id changes at once.
	rot := issue(t, "example.com", "www.example.com")
	uc, err := c.UpdateCertificate(&model.UpdateCertificateRequest{CertificateId: oldID, Body: &model.UpdateCertificateRequestBody{
		Certificate: &model.UpdateCertificateOption{Certificate: ptr(string(rot.FullchainPEM)), PrivateKey: ptr(string(rot.KeyPEM)), Name: ptr("old-rotated")}}})
	if err != nil || uc.Certificate.Id != oldID || *uc.Certificate.Fingerprint != colonSHA1(rot.Leaf.Raw) || uc.Certificate.Name != "old-rotated" || uc.Certificate.PrivateKey != "" {
		t.Fatalf("update: %v %+v", err, uc)
	}
	if s, _ := e.svc.Certificate(project, oldID); s.PrivateKey != string(rot.KeyPEM) || s.Domain != "example.com,www.example.com" {
		t.Fatalf("after update: %+v", s.Domain)
	}

	// ShowListener / ListListeners / UpdateListener.
	sl, err := c.ShowListener(&model.ShowListenerRequest{ListenerId: lsID})
	if err != nil || sl.Listener.DefaultTlsContainerRef != oldID || sl.Listener.Protocol != "TERMINATED_HTTPS" || sl.Listener.ProtocolPort != 443 ||
		len(sl.Listener.Loadbalancers) != 1 || *sl.Listener.Loadbalancers[0].Id != lbID {
		t.Fatalf("show listener: %v %+v", err, sl)
	}
	e.svc.AddListener(project, elbfake.Listener{LoadBalancerID: lbID, Protocol: "HTTP", Port: 80})
	ll, err := c.ListListeners(&model.ListListenersRequest{LoadbalancerId: &[]string{lbID}, Protocol: &[]string{"HTTPS", "TERMINATED_HTTPS"}})
	if err != nil || len(*ll.Listeners) != 1 || (*ll.Listeners)[0].Id != lsID {
		t.Fatalf("list listeners: %v %+v", err, ll)
	}
	ll, err = c.ListListeners(&model.ListListenersRequest{DefaultTlsContainerRef: &[]string{oldID}})
	if err != nil || len(*ll.Listeners) != 1 {
		t.Fatalf("list listeners by cert: %v %+v", err, ll)
	}
	api := createCert(t, c, "api", "api.example.com", issue(t, "api.example.com"))
	ul, err := c.UpdateListener(&model.UpdateListenerRequest{ListenerId: lsID, Body: &model.UpdateListenerRequestBody{Listener: &model.UpdateListenerOption{
		DefaultTlsContainerRef: ptr(got.Id), SniContainerRefs: &[]string{api.Certificate.Id, oldID}, SniMatchAlgo: ptr("longest_suffix")}}})
	if err != nil || ul.Listener.DefaultTlsContainerRef != got.Id || !slices.Equal(ul.Listener.SniContainerRefs, []string{api.Certificate.Id, oldID}) ||
		ul.Listener.SniMatchAlgo != "longest_suffix" {
		t.Fatalf("update listener: %v %+v", err, ul)
	}
	if l, _ := e.svc.Listener(project, lsID); l.DefaultTLSContainerRef != got.Id || len(l.SNIContainerRefs) != 2 {
		t.Fatalf("stored listener: %+v", l)
	}

	// ShowLoadBalancer / ListLoadBalancers.
	slb, err := c.ShowLoadBalancer(&model.ShowLoadBalancerRequest{LoadbalancerId: lbID})
	if err != nil || slb.Loadbalancer.Name != "web" || len(slb.Loadbalancer.Listeners) != 2 {
		t.Fatalf("show lb: %v %+v", err, slb)
	}
	llb, err := c.ListLoadBalancers(&model.ListLoadBalancersRequest{Id: &[]string{lbID}})
	if err != nil || len(*llb.Loadbalancers) != 1 {
		t.Fatalf("list lbs: %v", err)
	}

	// DeleteCertificate of an unbound certificate: 204, then 404.
	spare := createCert(t, c, "spare", "", issue(t, "spare.example.com"))
	dr, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: spare.Certificate.Id})
	if err != nil || dr.HttpStatusCode != http.StatusNoContent {
		t.Fatalf("delete: %v %+v", err, dr)
	}
	_, err = c.ShowCertificate(&model.ShowCertificateRequest{CertificateId: spare.Certificate.Id})
	serviceError(t, err, 404, elbfake.CodeNotFound)

	// Every state-changing call is logged as mutating; reads are not.
	want := map[string]bool{"CreateCertificate": true, "UpdateCertificate": true, "UpdateListener": true, "DeleteCertificate": true,
		"ShowCertificate": false, "ListCertificates": false, "ShowListener": false, "ListListeners": false, "ShowLoadBalancer": false, "ListLoadBalancers": false}
	for _, call := range e.log.Calls() {
		if m, ok := want[call.Action]; !ok || m != call.Mutating || call.Service != "elb" || call.Params["project_id"] != project {
			t.Errorf("call %s mutating=%v service=%s params=%v", call.Action, call.Mutating, call.Service, call.Params)
		}
	}
}

func TestNotFoundAndIDs(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"certificate", func() error {
			_, err := c.ShowCertificate(&model.ShowCertificateRequest{CertificateId: strings.Repeat("a", 32)})
			return err
		}, 404, elbfake.CodeNotFound},
		{"certificate id length", func() error {
			_, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: "short"})
			return err
		}, 400, elbfake.CodeCertIDLength},
		{"listener", func() error {
			_, err := c.ShowListener(&model.ShowListenerRequest{ListenerId: "0b11747a-b139-492f-9692-2df0b1c87193"})
			return err
		}, 404, elbfake.CodeNotFound},
		{"load balancer", func() error {
			_, err := c.ShowLoadBalancer(&model.ShowLoadBalancerRequest{LoadbalancerId: "0b11747a-b139-492f-9692-2df0b1c87193"})
			return err
		}, 404, elbfake.CodeLBNotFound},
		{"other project's certificate", func() error {
			id := e.addCert(t, "x", "", issue(t, "x.example.com"))
			other := clientFor(t, e.url, strings.Repeat("f", 32), fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "")
			_, err := other.ShowCertificate(&model.ShowCertificateRequest{CertificateId: id})
			return err
		}, 404, elbfake.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { serviceError(t, tt.call(), tt.status, tt.code) })
	}
	// Unknown APIs are answered by the gateway, with a request id, before authentication.
	r := rawSigner{base: e.url, ak: "nobody", sk: "x"}.do(t, "GET", "/v3/"+project+"/elb/pools", nil, nil)
	if r.status != 404 || r.code() != elbfake.CodeAPINotFound || r.header.Get("X-Request-Id") == "" || r.body["request_id"] != r.header.Get("X-Request-Id") {
		t.Fatalf("unknown API: %d %s %v", r.status, r.raw, r.header)
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	e.keys.Add(fakecore.Credential{AccessKeyID: "STSKEY", AccessKeySecret: "sts-secret", SecurityToken: "token-123456789012345"})
	list := func(ak, sk, token string) error {
		_, err := clientFor(t, e.url, project, ak, sk, token).ListCertificates(&model.ListCertificatesRequest{})
		return err
	}
	if err := list(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, ""); err != nil {
		t.Fatalf("default credential refused: %v", err)
	}
	if err := list("STSKEY", "sts-secret", "token-123456789012345"); err != nil {
		t.Fatalf("STS credential refused: %v", err)
	}
	sre := serviceError(t, list(fakecore.DefaultAccessKeyID, "wrong-secret", ""), 401, elbfake.CodeAuth)
	if !strings.Contains(sre.ErrorMessage, "verify aksk signature fail") {
		t.Errorf("message %q", sre.ErrorMessage)
	}
	sre = serviceError(t, list("UNKNOWNAK", "x", ""), 401, elbfake.CodeAuth)
	if !strings.Contains(sre.ErrorMessage, "ak UNKNOWNAK not exist") {
		t.Errorf("message %q", sre.ErrorMessage)
	}
	serviceError(t, list("STSKEY", "sts-secret", ""), 401, elbfake.CodeAuth)
	serviceError(t, list("STSKEY", "sts-secret", "token-wrong-0000000000"), 401, elbfake.CodeAuth)

	path := "/v3/" + project + "/elb/certificates"
	raw := e.raw()
	if r := raw.do(t, "GET", path, url.Values{"name": {"a b+c/d*"}, "id": {"z", "a"}}, nil); r.status != 200 {
		t.Fatalf("independent signer refused: %d %s", r.status, r.raw)
	}
	cases := []struct {
		name string
		s    rawSigner
	}{
		{"stale date", rawSigner{base: e.url, ak: raw.ak, sk: raw.sk, date: time.Now().Add(-20 * time.Minute)}},
		{"future date", rawSigner{base: e.url, ak: raw.ak, sk: raw.sk, date: time.Now().Add(20 * time.Minute)}},
		{"no authorization", rawSigner{base: e.url, ak: raw.ak, sk: raw.sk, skip: map[string]bool{"authorization": true}}},
		{"no x-sdk-date", rawSigner{base: e.url, ak: raw.ak, sk: raw.sk, skip: map[string]bool{"x-sdk-date": true}}},
		{"token for a permanent key", rawSigner{base: e.url, ak: raw.ak, sk: raw.sk, token: "token-123456789012345"}},
	}
	for _, tt := range cases {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.s.do(t, "GET", path, nil, nil)
			if r.status != 401 || r.code() != elbfake.CodeAuth || r.header.Get("X-Request-Id") == "" {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
	}
	// The path project must be the X-Project-Id project.
	if r := raw.do(t, "GET", "/v3/"+strings.Repeat("e", 32)+"/elb/certificates", nil, nil); r.status != 401 {
		t.Fatalf("project mismatch: %d %s", r.status, r.raw)
	}
	// The emulator's clock decides staleness: an hour-fast emulator refuses a current SDK.
	e.clock.offset = time.Hour
	serviceError(t, list(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, ""), 401, elbfake.CodeAuth)
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	id := e.addCert(t, "x", "", issue(t, "x.example.com"))
	_, lsID := seedWeb(t, e, id)
	raw := e.raw()
	certs := "/v3/" + project + "/elb/certificates"
	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"not JSON", "POST", certs, `{"certificate": {`, 400, elbfake.CodeBadRequest},
		{"empty", "POST", certs, ``, 400, elbfake.CodeBadRequest},
		{"wrong type", "POST", certs, `{"certificate": {"name": 42}}`, 400, elbfake.CodeBadRequest},
		{"wrong type nested list", "PUT", "/v3/" + project + "/elb/listeners/" + lsID, `{"listener": {"sni_container_refs": "abc"}}`, 400, elbfake.CodeBadRequest},
		{"no wrapper", "POST", certs, `{"name": "x"}`, 400, elbfake.CodeInvalidInput},
		{"unknown attribute", "PUT", certs + "/" + id, `{"certificate": {"type": "client"}}`, 400, elbfake.CodeInvalidInput},
		{"trailing data", "PUT", certs + "/" + id, `{"certificate": {"name": "a"}} {}`, 400, elbfake.CodeBadRequest},
		{"missing certificate", "POST", certs, `{"certificate": {"name": "a", "private_key": "x"}}`, 400, elbfake.CodeInvalidInput},
		{"bad type", "POST", certs, `{"certificate": {"type": "weird"}}`, 400, elbfake.CodeInvalidInput},
		{"bad domain", "PUT", certs + "/" + id, `{"certificate": {"domain": "exa mple.com"}}`, 400, elbfake.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := raw.do(t, tt.method, tt.path, nil, []byte(tt.body))
			if r.status != tt.status || r.code() != tt.code || r.body["error_msg"] == "" {
				t.Fatalf("got %d %s", r.status, r.raw)
			}
		})
	}
	if s, _ := e.svc.Certificate(project, id); s.Name != "x" || s.Domain != "" {
		t.Errorf("refused updates changed state: %+v", s)
	}
}

func TestCertificateValidationAndLimits(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	good := issue(t, "ok.example.com")
	other := issue(t, "other.example.com")
	deep := certstest.Must(t, certstest.Options{DNSNames: []string{"deep.example.com"}, Intermediates: 11}) // 12 certificates
	edge := certstest.Must(t, certstest.Options{DNSNames: []string{"edge.example.com"}, Intermediates: 10}) // 11 certificates
	create := func(certPEM, keyPEM string) error {
		_, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
			Certificate: &model.CreateCertificateOption{Certificate: ptr(certPEM), PrivateKey: ptr(keyPEM)}}})
		return err
	}
	tests := []struct {
		name         string
		certPEM, key string
		status       int
		code         string
	}{
		{"key does not match", string(good.FullchainPEM), string(other.KeyPEM), 400, elbfake.CodeInvalidCert},
		{"not PEM", "hello", string(good.KeyPEM), 400, elbfake.CodeInvalidCert},
		{"garbage certificate", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n", string(good.KeyPEM), 400, elbfake.CodeInvalidCert},
		{"key is not a key", string(good.FullchainPEM), string(good.CertPEM), 400, elbfake.CodeInvalidCert},
		{"chain over 11", string(deep.FullchainPEM), string(deep.KeyPEM), 400, elbfake.CodeInvalidCert},
		{"certificate too long", string(good.FullchainPEM) + strings.Repeat("\n", elbfake.MaxCertificateLength), string(good.KeyPEM), 400, elbfake.CodeInvalidInput},
		{"key too long", string(good.FullchainPEM), string(good.KeyPEM) + strings.Repeat("\n", elbfake.MaxPrivateKeyLength), 400, elbfake.CodeInvalidInput},
		{"server without key", string(good.FullchainPEM), "", 400, elbfake.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { serviceError(t, create(tt.certPEM, tt.key), tt.status, tt.code) })
	}
	if err := create(string(edge.FullchainPEM), string(edge.KeyPEM)); err != nil {
		t.Fatalf("an 11-certificate chain is refused: %v", err)
	}
	rsa := certstest.Must(t, certstest.Options{DNSNames: []string{"rsa.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	if err := create(string(rsa.FullchainPEM), string(rsa.KeyPEM)); err != nil {
		t.Fatalf("RSA PKCS#1 refused: %v", err)
	}
	// A CA (client) certificate needs no key.
	if _, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{Certificate: &model.CreateCertificateOption{
		Certificate: ptr(string(good.RootPEM)), Type: ptr(model.GetCreateCertificateOptionTypeEnum().CLIENT)}}}); err != nil {
		t.Fatalf("client certificate: %v", err)
	}

	// Updating the key alone must still match the stored certificate.
	id := e.addCert(t, "u", "", good)
	_, err := c.UpdateCertificate(&model.UpdateCertificateRequest{CertificateId: id, Body: &model.UpdateCertificateRequestBody{
		Certificate: &model.UpdateCertificateOption{PrivateKey: ptr(string(other.KeyPEM))}}})
	serviceError(t, err, 400, elbfake.CodeInvalidCert)

	// Quota: 120 per project by default; a lower quota makes the test fast.
	e.svc.SetCertificateQuota(len(e.svc.Certificates(project)))
	serviceError(t, create(string(other.FullchainPEM), string(other.KeyPEM)), 409, elbfake.CodeQuota)
	if _, err := e.svc.AddCertificate(project, elbfake.Certificate{Certificate: string(other.FullchainPEM), PrivateKey: string(other.KeyPEM)}); err == nil {
		t.Error("seeding ignores the quota")
	}
	// Another project has its own quota.
	otherProject := clientFor(t, e.url, strings.Repeat("1", 32), fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "")
	if _, err := otherProject.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
		Certificate: &model.CreateCertificateOption{Certificate: ptr(string(other.FullchainPEM)), PrivateKey: ptr(string(other.KeyPEM))}}}); err != nil {
		t.Fatalf("other project: %v", err)
	}
}

func TestConflictsAndListenerRules(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	defID := e.addCert(t, "default", "example.com", issue(t, "example.com"))
	apiID := e.addCert(t, "api", "api.example.com", issue(t, "api.example.com"))
	api2ID := e.addCert(t, "api2", "api.example.com", issue(t, "api.example.com"))
	bareID := e.addCert(t, "bare", "", issue(t, "bare.example.com"))
	spareID := e.addCert(t, "spare", "spare.example.com", issue(t, "spare.example.com"))
	_, lsID := seedWeb(t, e, defID)
	httpID := e.svc.AddListener(project, elbfake.Listener{Protocol: "HTTP", Port: 80})
	updateListener := func(id string, o *model.UpdateListenerOption) error {
		_, err := c.UpdateListener(&model.UpdateListenerRequest{ListenerId: id, Body: &model.UpdateListenerRequestBody{Listener: o}})
		return err
	}
	if err := updateListener(lsID, &model.UpdateListenerOption{SniContainerRefs: &[]string{apiID}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"delete default certificate", func() error {
			_, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: defID})
			return err
		}, 409, elbfake.CodeCertInUse},
		{"delete SNI certificate", func() error {
			_, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: apiID})
			return err
		}, 409, elbfake.CodeCertInUse},
		{"SNI certificate loses its domain", func() error {
			_, err := c.UpdateCertificate(&model.UpdateCertificateRequest{CertificateId: apiID, Body: &model.UpdateCertificateRequestBody{
				Certificate: &model.UpdateCertificateOption{Domain: ptr("")}}})
			return err
		}, 409, elbfake.CodeSNIDomainConflict},
		{"default certificate removed", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{DefaultTlsContainerRef: ptr("")})
		}, 400, elbfake.CodeInvalidInput},
		{"default certificate unknown", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{DefaultTlsContainerRef: ptr(strings.Repeat("0", 32))})
		}, 404, elbfake.CodeNotFound},
		{"SNI certificate unknown", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{SniContainerRefs: &[]string{strings.Repeat("0", 32)}})
		}, 404, elbfake.CodeNotFound},
		{"SNI certificate without domain", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{SniContainerRefs: &[]string{bareID}})
		}, 400, elbfake.CodeInvalidInput},
		{"SNI domains repeat", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{SniContainerRefs: &[]string{apiID, api2ID}})
		}, 400, elbfake.CodeInvalidInput},
		{"SNI match algo", func() error {
			return updateListener(lsID, &model.UpdateListenerOption{SniMatchAlgo: ptr("regex")})
		}, 400, elbfake.CodeInvalidInput},
		{"certificate on an HTTP listener", func() error {
			return updateListener(httpID, &model.UpdateListenerOption{DefaultTlsContainerRef: ptr(defID)})
		}, 400, elbfake.CodeInvalidInput},
		{"unknown listener", func() error {
			return updateListener("0b11747a-b139-492f-9692-2df0b1c87193", &model.UpdateListenerOption{DefaultTlsContainerRef: ptr(defID)})
		}, 404, elbfake.CodeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { serviceError(t, tt.call(), tt.status, tt.code) })
	}
	// A null default certificate is refused too (raw body: the SDK omits nil pointers).
	if r := e.raw().do(t, "PUT", "/v3/"+project+"/elb/listeners/"+lsID, nil, []byte(`{"listener":{"default_tls_container_ref":null}}`)); r.status != 400 {
		t.Errorf("null default: %d %s", r.status, r.raw)
	}
	// Nothing changed, and the legal moves still work: swap default, clear SNI, delete the freed cert.
	if l, _ := e.svc.Listener(project, lsID); l.DefaultTLSContainerRef != defID || !slices.Equal(l.SNIContainerRefs, []string{apiID}) {
		t.Fatalf("refused updates changed the listener: %+v", l)
	}
	if err := updateListener(lsID, &model.UpdateListenerOption{DefaultTlsContainerRef: ptr(spareID), SniContainerRefs: &[]string{}}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{defID, apiID} {
		if _, err := c.DeleteCertificate(&model.DeleteCertificateRequest{CertificateId: id}); err != nil {
			t.Fatalf("delete freed %s: %v", id, err)
		}
	}
	if n := e.svc.References(project, spareID); n != 1 {
		t.Errorf("references = %d", n)
	}
}

func TestPaging(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, e.addCert(t, fmt.Sprintf("c%d", i), "", issue(t, fmt.Sprintf("c%d.example.com", i))))
	}
	var seen []string
	var marker *string
	for page := 0; ; page++ {
		resp, err := c.ListCertificates(&model.ListCertificatesRequest{Limit: ptr(int32(2)), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, ci := range *resp.Certificates {
			seen = append(seen, ci.Id)
		}
		if int(resp.PageInfo.CurrentCount) != len(*resp.Certificates) || resp.PageInfo.PreviousMarker != (*resp.Certificates)[0].Id {
			t.Fatalf("page %d info %+v", page, resp.PageInfo)
		}
		if resp.PageInfo.NextMarker == nil {
			break
		}
		marker = resp.PageInfo.NextMarker
		if page > 5 {
			t.Fatal("paging does not end")
		}
	}
	if !slices.Equal(seen, ids) {
		t.Fatalf("paged %v, want %v", seen, ids)
	}
	// page_reverse from the last page's previous_marker gives the two before it.
	resp, err := c.ListCertificates(&model.ListCertificatesRequest{Limit: ptr(int32(2)), Marker: ptr(ids[4]), PageReverse: ptr(true)})
	if err != nil || len(*resp.Certificates) != 2 || (*resp.Certificates)[0].Id != ids[2] || (*resp.Certificates)[1].Id != ids[3] {
		t.Fatalf("reverse: %v %+v", err, resp)
	}
	// Filters and paging compose; a marker without limit is ignored.
	resp, err = c.ListCertificates(&model.ListCertificatesRequest{Id: &[]string{ids[0], ids[3], ids[4]}, Limit: ptr(int32(1)), Marker: ptr(ids[1])})
	if err != nil || len(*resp.Certificates) != 1 || (*resp.Certificates)[0].Id != ids[3] || resp.PageInfo.NextMarker == nil {
		t.Fatalf("filtered page: %v %+v", err, resp)
	}
	resp, err = c.ListCertificates(&model.ListCertificatesRequest{Marker: ptr(ids[3])})
	if err != nil || len(*resp.Certificates) != 5 {
		t.Fatalf("marker without limit: %v", err)
	}
	_, err = c.ListCertificates(&model.ListCertificatesRequest{Limit: ptr(int32(2)), Marker: ptr(strings.Repeat("9", 32))})
	serviceError(t, err, 400, elbfake.CodeInvalidInput)
	_, err = c.ListCertificates(&model.ListCertificatesRequest{Limit: ptr(int32(2001))})
	serviceError(t, err, 400, elbfake.CodeInvalidInput)

	// Listeners page the same way.
	var ls []string
	for i := range 3 {
		ls = append(ls, e.svc.AddListener(project, elbfake.Listener{Protocol: "HTTP", Port: 8000 + i}))
	}
	lr, err := c.ListListeners(&model.ListListenersRequest{Limit: ptr(int32(2)), Marker: ptr(ls[0])})
	if err != nil || len(*lr.Listeners) != 2 || (*lr.Listeners)[1].Id != ls[2] || lr.PageInfo.NextMarker != nil {
		t.Fatalf("listener page: %v %+v", err, lr)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	e.faults.FailNext("ListCertificates", fakecore.Throttle, 1)
	e.faults.FailNext("", fakecore.ServerError, 1)
	_, err := c.ListCertificates(&model.ListCertificatesRequest{})
	serviceError(t, err, 429, elbfake.CodeThrottled)
	_, err = c.ShowListener(&model.ShowListenerRequest{ListenerId: "x"})
	serviceError(t, err, 500, elbfake.CodeInternal)
	if _, err := c.ListCertificates(&model.ListCertificatesRequest{}); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	// The SDK's per-call retry gets through scripted throttling.
	e.faults.FailNext("ListCertificates", fakecore.Throttle, 2)
	out, err := c.ListCertificatesInvoker(&model.ListCertificatesRequest{}).WithRetry(3, func(resp interface{}, err error) bool {
		return err != nil
	}, retry.NewEqualJitter()).Invoke()
	if err != nil {
		t.Fatalf("retry: %v", err)
	}
	if _, ok := out.(*model.ListCertificatesResponse); !ok {
		t.Fatalf("retry result %T", out)
	}
	// Latency is applied.
	e.faults.SetLatency(150 * time.Millisecond)
	start := time.Now()
	if _, err := c.ListCertificates(&model.ListCertificatesRequest{}); err != nil || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("latency: %v after %v", err, time.Since(start))
	}
	codes := map[string]int{}
	for _, call := range e.log.Calls() {
		codes[call.Code]++
	}
	if codes[elbfake.CodeThrottled] != 3 || codes[elbfake.CodeInternal] != 1 {
		t.Errorf("logged codes %v", codes)
	}
}

func TestPrivateKeyNeverLoggedOrEchoed(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	is := issue(t, "secret.example.com")
	cr := createCert(t, c, "s", "", is)
	rot := issue(t, "secret.example.com")
	if _, err := c.UpdateCertificate(&model.UpdateCertificateRequest{CertificateId: cr.Certificate.Id, Body: &model.UpdateCertificateRequestBody{
		Certificate: &model.UpdateCertificateOption{PrivateKey: ptr(string(rot.KeyPEM)), Certificate: ptr(string(rot.FullchainPEM))}}}); err != nil {
		t.Fatal(err)
	}
	// A refused create (mismatched key) must not leak either.
	mismatch := issue(t, "x.example.com")
	_, err := c.CreateCertificate(&model.CreateCertificateRequest{Body: &model.CreateCertificateRequestBody{
		Certificate: &model.CreateCertificateOption{Certificate: ptr(string(is.FullchainPEM)), PrivateKey: ptr(string(mismatch.KeyPEM))}}})
	serviceError(t, err, 400, elbfake.CodeInvalidCert)
	// And a malformed body that carries a key.
	r := e.raw().do(t, "POST", "/v3/"+project+"/elb/certificates", nil, []byte(`{"certificate":{"private_key":"`+keyBody(is.KeyPEM)+`"`))
	if r.status != 400 {
		t.Fatalf("malformed: %d", r.status)
	}
	sc, err := c.ShowCertificate(&model.ShowCertificateRequest{CertificateId: cr.Certificate.Id})
	if err != nil || sc.Certificate.PrivateKey != "" {
		t.Fatalf("show echoes the key: %v", err)
	}
	redacted := 0
	for _, call := range e.log.Calls() {
		for k, v := range call.Params {
			for _, key := range [][]byte{is.KeyPEM, rot.KeyPEM, mismatch.KeyPEM} {
				if strings.Contains(v, keyBody(key)) {
					t.Errorf("%s param %s holds key material", call.Action, k)
				}
			}
			if strings.Contains(v, "PRIVATE KEY") {
				t.Errorf("%s param %s holds a PEM key header", call.Action, k)
			}
			if strings.Contains(k, "private_key") {
				if v != "<redacted>" {
					t.Errorf("%s param %s = %q", call.Action, k, v)
				}
				redacted++
			}
		}
	}
	if redacted != 3 {
		t.Errorf("%d redacted private_key params, want 3", redacted)
	}
}

// keyBody is a distinctive line of base64 from a PEM key.
func keyBody(keyPEM []byte) string {
	lines := strings.Split(string(keyPEM), "\n")
	return lines[1]
}

func TestSeedingAPI(t *testing.T) {
	e := newEnv(t)
	is := issue(t, "seed.example.com")
	given := strings.Repeat("ab", 16)
	id, err := e.svc.AddCertificate(project, elbfake.Certificate{ID: given, Name: "seed", Domain: "seed.example.com",
		Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM), Created: time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil || id != given {
		t.Fatalf("AddCertificate: %q %v", id, err)
	}
	got, ok := e.svc.Certificate(project, id)
	if !ok || got.Type != "server" || got.Fingerprint != colonSHA1(is.Leaf.Raw) || got.CommonName != "seed.example.com" ||
		!got.Created.Equal(time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)) || !got.ExpireTime.Equal(is.Leaf.NotAfter.UTC().Truncate(time.Second)) {
		t.Fatalf("Certificate: %+v", got)
	}
	if _, err := e.svc.AddCertificate(project, elbfake.Certificate{ID: given, Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)}); err == nil {
		t.Error("duplicate id accepted")
	}
	if _, err := e.svc.AddCertificate(project, elbfake.Certificate{Certificate: string(is.FullchainPEM), PrivateKey: string(issue(t, "x.example.com").KeyPEM)}); err == nil {
		t.Error("mismatched key accepted")
	}
	lb := e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{ID: "lb-1", Name: "one"})
	ls := e.svc.AddListener(project, elbfake.Listener{LoadBalancerID: lb, Protocol: "https", Port: 443, DefaultTLSContainerRef: id})
	if l, ok := e.svc.Listener(project, ls); !ok || l.Protocol != "HTTPS" || l.SNIMatchAlgo != "wildcard" || len(ls) != 36 {
		t.Fatalf("Listener: %+v", l)
	}
	if len(e.svc.Listeners(project)) != 1 || len(e.svc.Certificates(project)) != 1 || len(e.svc.LoadBalancers(project)) != 1 {
		t.Fatal("views")
	}
	if _, ok := e.svc.Certificate("other", id); ok {
		t.Error("certificate visible from another project")
	}
	st := e.svc.State()
	if len(st) != 1 || st[0].ID != project || st[0].References[id] != 1 || st[0].Certificates[0].PrivateKey != "" {
		t.Fatalf("State: %+v", st)
	}
	if !slices.Equal(e.svc.Projects(), []string{project}) {
		t.Error("Projects")
	}
}

// ListListeners takes repeated id values as alternatives, through the SDK's repeated query
// parameters, and pages the filtered list with marker and limit; ids of no listener of the
// project select nothing.
func TestListListenersByID(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	lb := e.svc.AddLoadBalancer(project, elbfake.LoadBalancer{Name: "lb"})
	var ls []string
	for i := range 5 {
		ls = append(ls, e.svc.AddListener(project, elbfake.Listener{LoadBalancerID: lb, Protocol: "HTTP", Port: 8000 + i}))
	}
	other := "ffffffffffffffffffffffffffffffff"
	elsewhere := e.svc.AddListener(other, elbfake.Listener{Protocol: "HTTP", Port: 80})
	ids := func(resp *model.ListListenersResponse) []string {
		var out []string
		for _, l := range *resp.Listeners {
			out = append(out, l.Id)
		}
		return out
	}
	want := []string{ls[0], ls[2], ls[4]}
	resp, err := c.ListListeners(&model.ListListenersRequest{Id: &[]string{ls[4], ls[0], ls[2], elsewhere, "00000000-0000-4000-8000-000000000000"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(resp); !slices.Equal(got, want) || resp.PageInfo.NextMarker != nil {
		t.Fatalf("filtered by id: %v (next %v), want %v and no next page", got, resp.PageInfo.NextMarker, want)
	}
	var paged []string
	var marker *string
	for page := 0; ; page++ {
		resp, err := c.ListListeners(&model.ListListenersRequest{Id: &[]string{ls[0], ls[2], ls[4]}, Limit: ptr(int32(2)), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		paged = append(paged, ids(resp)...)
		if resp.PageInfo.NextMarker == nil {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
		marker = resp.PageInfo.NextMarker
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %v, want %v", paged, want)
	}
	// The id filter composes with the others.
	resp, err = c.ListListeners(&model.ListListenersRequest{Id: &[]string{ls[0], ls[1]}, ProtocolPort: &[]string{"8001"}})
	if err != nil || !slices.Equal(ids(resp), []string{ls[1]}) {
		t.Fatalf("id and port: %v %v", err, resp)
	}
}

// A principal whose policy lacks one permission is refused the calls needing it, and only those.
func TestDenyAction(t *testing.T) {
	e := newEnv(t)
	c := e.client(t)
	ls := e.svc.AddListener(project, elbfake.Listener{Protocol: "HTTP", Port: 80})
	e.svc.DenyAction(fakecore.DefaultAccessKeyID, "elb:listeners:list")
	_, err := c.ListListeners(&model.ListListenersRequest{Id: &[]string{ls}})
	serviceError(t, err, 403, elbfake.CodeForbidden)
	if _, err := c.ShowListener(&model.ShowListenerRequest{ListenerId: ls}); err != nil {
		t.Fatalf("ShowListener: %v", err)
	}
	if _, err := c.ListCertificates(&model.ListCertificatesRequest{}); err != nil {
		t.Fatalf("ListCertificates: %v", err)
	}
}
