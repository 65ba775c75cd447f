package slbfake_test

import (
	"crypto/sha1"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/slbfake"
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

// issueWithSpecials returns a certificate whose PEMs contain '+', '/' and '=' so the
// signature is exercised on characters that need percent-encoding.
func issueWithSpecials(t *testing.T, names ...string) *certstest.Issued {
	t.Helper()
	for range 50 {
		is := certstest.Must(t, certstest.Options{DNSNames: names, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
		all := string(is.FullchainPEM) + string(is.KeyPEM)
		if strings.Contains(all, "+") && strings.Contains(all, "/") && strings.Contains(all, "=") {
			return is
		}
	}
	t.Fatal("no certificate with + / = in 50 tries")
	return nil
}

func TestRoundTripEveryAction(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)

	old := issue(t, "example.com", "www.example.com")
	oldCert, err := e.svc.AddServerCertificate(region, "old-example", old.FullchainPEM, old.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddLoadBalancer(region, "lb-web", "web"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-web", 443, "https", oldCert.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-web", 80, "http", ""); err != nil {
		t.Fatal(err)
	}

	// UploadServerCertificate with PEMs holding + / = and newlines.
	fresh := issueWithSpecials(t, "example.com", "www.example.com")
	up := upload(t, c, "example.com-2025", fresh)
	if up.ServerCertificateId == "" || up.RequestId == "" {
		t.Fatalf("upload response: %+v", up)
	}
	if want := colonSHA1(fresh.Leaf.Raw); up.Fingerprint != want {
		t.Errorf("Fingerprint = %s, want %s", up.Fingerprint, want)
	}
	if up.CommonName != "example.com" || !slices.Equal(up.SubjectAlternativeNames.SubjectAlternativeName, []string{"example.com", "www.example.com"}) {
		t.Errorf("names = %q %q", up.CommonName, up.SubjectAlternativeNames.SubjectAlternativeName)
	}
	if up.ExpireTimeStamp != fresh.Leaf.NotAfter.UnixMilli() || up.ExpireTime != fresh.Leaf.NotAfter.UTC().Format("2006-01-02T15:04:05Z") {
		t.Errorf("expiry = %s / %d", up.ExpireTime, up.ExpireTimeStamp)
	}
	if up.ServerCertificateName != "example.com-2025" || up.RegionId != region || up.CreateTimeStamp == 0 {
		t.Errorf("upload response: %+v", up)
	}
	stored, _ := e.svc.ServerCertificateByID(up.ServerCertificateId)
	if stored.EncryptionAlgorithm != "RSA" || stored.KeyLength != 2048 || string(stored.ChainPEM) != string(fresh.FullchainPEM) {
		t.Errorf("stored = %s %d, chain equal %v", stored.EncryptionAlgorithm, stored.KeyLength, string(stored.ChainPEM) == string(fresh.FullchainPEM))
	}

	// DescribeServerCertificates: all, then filtered.
	dreq := slb.CreateDescribeServerCertificatesRequest()
	dresp, err := c.DescribeServerCertificates(dreq)
	if err != nil {
		t.Fatal(err)
	}
	if got := len(dresp.ServerCertificates.ServerCertificate); got != 2 {
		t.Fatalf("%d certificates, want 2", got)
	}
	dreq = slb.CreateDescribeServerCertificatesRequest()
	dreq.ServerCertificateId = up.ServerCertificateId
	dresp, err = c.DescribeServerCertificates(dreq)
	if err != nil {
		t.Fatal(err)
	}
	sc := dresp.ServerCertificates.ServerCertificate
	if len(sc) != 1 || sc[0].Fingerprint != up.Fingerprint || sc[0].EncryptionAlgorithm != "RSA" || sc[0].EncryptionKeyLength != 2048 ||
		sc[0].ExpireTimeStamp != up.ExpireTimeStamp || sc[0].ServerCertificateName != "example.com-2025" ||
		!slices.Equal(sc[0].SubjectAlternativeNames.SubjectAlternativeName, []string{"example.com", "www.example.com"}) {
		t.Fatalf("filtered describe: %+v", sc)
	}

	// SetServerCertificateName.
	nreq := slb.CreateSetServerCertificateNameRequest()
	nreq.ServerCertificateId = up.ServerCertificateId
	nreq.ServerCertificateName = "renamed_cert"
	if _, err := c.SetServerCertificateName(nreq); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.svc.ServerCertificateByID(up.ServerCertificateId); got.Name != "renamed_cert" {
		t.Errorf("name = %q", got.Name)
	}

	// DescribeLoadBalancers.
	lreq := slb.CreateDescribeLoadBalancersRequest()
	lresp, err := c.DescribeLoadBalancers(lreq)
	if err != nil {
		t.Fatal(err)
	}
	if lresp.TotalCount != 1 || len(lresp.LoadBalancers.LoadBalancer) != 1 || lresp.LoadBalancers.LoadBalancer[0].LoadBalancerId != "lb-web" ||
		lresp.LoadBalancers.LoadBalancer[0].LoadBalancerName != "web" || lresp.LoadBalancers.LoadBalancer[0].Address == "" {
		t.Fatalf("load balancers: %+v", lresp)
	}

	// DescribeLoadBalancerListeners (flat array, HTTPSListenerConfig).
	lsreq := slb.CreateDescribeLoadBalancerListenersRequest()
	lsreq.LoadBalancerId = &[]string{"lb-web"}
	lsresp, err := c.DescribeLoadBalancerListeners(lsreq)
	if err != nil {
		t.Fatal(err)
	}
	if len(lsresp.Listeners) != 2 || lsresp.TotalCount != 2 {
		t.Fatalf("listeners: %+v", lsresp.Listeners)
	}
	https := lsresp.Listeners[1]
	if https.ListenerPort != 443 || https.ListenerProtocol != "https" || https.HTTPSListenerConfig.ServerCertificateId != oldCert.ID ||
		len(https.HTTPSListenerConfig.ServerCertificates) != 1 || https.HTTPSListenerConfig.ServerCertificates[0].CertificateId != oldCert.ID {
		t.Fatalf("https listener: %+v", https)
	}
	lsreq.ListenerProtocol = "https"
	if lsresp, err = c.DescribeLoadBalancerListeners(lsreq); err != nil || len(lsresp.Listeners) != 1 {
		t.Fatalf("https filter: %v %+v", err, lsresp)
	}

	// SetLoadBalancerHTTPSListenerAttribute: only the required fields plus the certificate.
	sreq := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	sreq.LoadBalancerId = "lb-web"
	sreq.ListenerPort = requests.NewInteger(443)
	sreq.ServerCertificateId = up.ServerCertificateId
	if _, err := c.SetLoadBalancerHTTPSListenerAttribute(sreq); err != nil {
		t.Fatal(err)
	}
	if id, _ := e.svc.ListenerCertificate("lb-web", 443); id != up.ServerCertificateId {
		t.Errorf("listener certificate = %s", id)
	}

	// CreateDomainExtension, DescribeDomainExtensions, DescribeDomainExtensionAttribute.
	creq := slb.CreateCreateDomainExtensionRequest()
	creq.LoadBalancerId = "lb-web"
	creq.ListenerPort = requests.NewInteger(443)
	creq.Domain = "api.example.com"
	creq.ServerCertificateId = oldCert.ID
	cresp, err := c.CreateDomainExtension(creq)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(cresp.DomainExtensionId, "de-") || cresp.ListenerPort != 443 {
		t.Fatalf("create extension: %+v", cresp)
	}

	dxreq := slb.CreateDescribeDomainExtensionsRequest()
	dxreq.LoadBalancerId = "lb-web"
	dxreq.ListenerPort = requests.NewInteger(443)
	dxresp, err := c.DescribeDomainExtensions(dxreq)
	if err != nil {
		t.Fatal(err)
	}
	dx := dxresp.DomainExtensions.DomainExtension
	if len(dx) != 1 || dx[0].DomainExtensionId != cresp.DomainExtensionId || dx[0].Domain != "api.example.com" || dx[0].ServerCertificateId != oldCert.ID ||
		len(dx[0].ServerCertificates.ServerCertificate) != 1 || len(dx[0].Certificates.Certificate) != 1 {
		t.Fatalf("extensions: %+v", dx)
	}

	hreq := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	hreq.LoadBalancerId = "lb-web"
	hreq.ListenerPort = requests.NewInteger(443)
	hresp, err := c.DescribeLoadBalancerHTTPSListenerAttribute(hreq)
	if err != nil {
		t.Fatal(err)
	}
	if hresp.ServerCertificateId != up.ServerCertificateId || hresp.ListenerPort != 443 || hresp.Status != "running" ||
		len(hresp.DomainExtensions.DomainExtension) != 1 || hresp.DomainExtensions.DomainExtension[0].Domain != "api.example.com" ||
		len(hresp.ServerCertificates.ServerCertificate) != 1 {
		t.Fatalf("https attribute: %+v", hresp)
	}

	areq := slb.CreateDescribeDomainExtensionAttributeRequest()
	areq.DomainExtensionId = cresp.DomainExtensionId
	aresp, err := c.DescribeDomainExtensionAttribute(areq)
	if err != nil {
		t.Fatal(err)
	}
	if aresp.Domain != "api.example.com" || aresp.LoadBalancerId != "lb-web" || aresp.ListenerPort != 443 || aresp.ServerCertificateId != oldCert.ID {
		t.Fatalf("extension attribute: %+v", aresp)
	}

	// SetDomainExtensionAttribute moves the SNI certificate; the old one becomes free.
	sxreq := slb.CreateSetDomainExtensionAttributeRequest()
	sxreq.DomainExtensionId = cresp.DomainExtensionId
	sxreq.ServerCertificateId = up.ServerCertificateId
	if _, err := c.SetDomainExtensionAttribute(sxreq); err != nil {
		t.Fatal(err)
	}
	if id, _ := e.svc.DomainExtensionCertificate(cresp.DomainExtensionId); id != up.ServerCertificateId {
		t.Errorf("extension certificate = %s", id)
	}

	// DeleteServerCertificate of the now-unbound old certificate.
	delreq := slb.CreateDeleteServerCertificateRequest()
	delreq.ServerCertificateId = oldCert.ID
	if _, err := c.DeleteServerCertificate(delreq); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.svc.ServerCertificateByID(oldCert.ID); ok {
		t.Error("old certificate still there")
	}

	// DeleteDomainExtension.
	ddreq := slb.CreateDeleteDomainExtensionRequest()
	ddreq.DomainExtensionId = cresp.DomainExtensionId
	if _, err := c.DeleteDomainExtension(ddreq); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.svc.DomainExtensionCertificate(cresp.DomainExtensionId); ok {
		t.Error("extension still there")
	}
	if _, err := c.DescribeDomainExtensionAttribute(areq); err == nil {
		t.Error("describe of a deleted extension succeeded")
	} else {
		serverError(t, err, "InvalidParameter.DomainExtensionId", http.StatusBadRequest)
	}

	// Every call was logged with the right mutating flag.
	mut := map[string]bool{}
	for _, call := range e.log.Calls() {
		if call.Service != "slb" || call.Region != region || call.Status != http.StatusOK && call.Action != "DescribeDomainExtensionAttribute" {
			t.Errorf("call %+v", call)
		}
		mut[call.Action] = call.Mutating
	}
	for action, want := range map[string]bool{
		"UploadServerCertificate": true, "DescribeServerCertificates": false, "SetServerCertificateName": true,
		"DescribeLoadBalancers": false, "DescribeLoadBalancerListeners": false, "SetLoadBalancerHTTPSListenerAttribute": true,
		"CreateDomainExtension": true, "DescribeDomainExtensions": false, "DescribeLoadBalancerHTTPSListenerAttribute": false,
		"DescribeDomainExtensionAttribute": false, "SetDomainExtensionAttribute": true, "DeleteServerCertificate": true,
		"DeleteDomainExtension": true,
	} {
		if got, ok := mut[action]; !ok || got != want {
			t.Errorf("%s: logged=%v mutating=%v, want %v", action, ok, got, want)
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	e.keys.Add(fakecore.Credential{AccessKeyID: "STS.NTempKey", AccessKeySecret: "sts-secret", SecurityToken: "CAIS1234567890abcdefTOKEN=="})
	if err := e.svc.AddLoadBalancer(region, "lb-a", "a"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cred   credentials.CredentialsProvider
		code   string
		status int
	}{
		{"default key", credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret), "", 200},
		{"wrong secret", credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, "wrong"), "SignatureDoesNotMatch", 400},
		{"unknown key", credentials.NewStaticAKCredentialsProvider("LTAI-nobody", "x"), "InvalidAccessKeyId.NotFound", 404},
		{"sts right token", credentials.NewStaticSTSCredentialsProvider("STS.NTempKey", "sts-secret", "CAIS1234567890abcdefTOKEN=="), "", 200},
		{"sts token missing", credentials.NewStaticAKCredentialsProvider("STS.NTempKey", "sts-secret"), "MissingSecurityToken", 400},
		{"sts token wrong", credentials.NewStaticSTSCredentialsProvider("STS.NTempKey", "sts-secret", "CAISotherTOKENvalue0000"), "InvalidSecurityToken.Mismatch", 400},
		{"sts token malformed", credentials.NewStaticSTSCredentialsProvider("STS.NTempKey", "sts-secret", "bad token!"), "InvalidSecurityToken.Malformed", 400},
		{"token on a long-term key", credentials.NewStaticSTSCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret, "CAISotherTOKENvalue0000"), "InvalidSecurityToken.Mismatch", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.clientWith(t, region, tt.cred)
			_, err := c.DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest())
			if tt.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			se := serverError(t, err, tt.code, tt.status)
			if tt.code == "SignatureDoesNotMatch" {
				// The SDK compares our string to sign with its own: equal means only the secret is wrong.
				if !strings.Contains(se.Recommend(), "InvalidAccessKeySecret") {
					t.Errorf("Recommend = %q: the emulator's string to sign differs from the SDK's", se.Recommend())
				}
				if !strings.HasPrefix(se.Message(), "Specified signature is not matched with our calculation. server string to sign is:POST&%2F&") {
					t.Errorf("Message = %q", se.Message())
				}
			}
		})
	}
}

func TestMissingAndInvalidParameters(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)

	req := slb.CreateDescribeLoadBalancerHTTPSListenerAttributeRequest()
	req.ListenerPort = requests.NewInteger(443)
	_, err := c.DescribeLoadBalancerHTTPSListenerAttribute(req)
	se := serverError(t, err, "MissingLoadBalancerId", 400)
	if se.Message() != "LoadBalancerId is mandatory for this action." {
		t.Errorf("message = %q", se.Message())
	}

	sreq := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	sreq.LoadBalancerId = "lb-x"
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "MissingListenerPort", 400)

	sreq.ListenerPort = requests.NewInteger(70000)
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "InvalidParameter", 400)

	sreq.ListenerPort = requests.NewInteger(443)
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "InvalidLoadBalancerId.NotFound", 404)

	if err := e.svc.AddLoadBalancer(region, "lb-x", "x"); err != nil {
		t.Fatal(err)
	}
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "ListenerNotFound", 404)

	if err := e.svc.AddListener("lb-x", 80, "http", ""); err != nil {
		t.Fatal(err)
	}
	sreq.ListenerPort = requests.NewInteger(80)
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "UnsupportedOperationonfixedprotocalport", 400)

	dreq := slb.CreateDeleteServerCertificateRequest()
	_, err = c.DeleteServerCertificate(dreq)
	serverError(t, err, "MissingServerCertificateId", 400)

	// An unknown region.
	other := e.client(t, fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret)
	lreq := slb.CreateDescribeLoadBalancersRequest()
	lreq.RegionId = "xx-nowhere-1"
	_, err = other.DescribeLoadBalancers(lreq)
	serverError(t, err, "InvalidRegionId.NotFound", 404)
}

func TestUploadValidation(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	good := issue(t, "a.example.com")
	other := issue(t, "b.example.com")
	rsaPKCS8 := certstest.Must(t, certstest.Options{DNSNames: []string{"rsa.example.com"}, KeyType: certstest.RSA2048})
	rsa1024 := certstest.Must(t, certstest.Options{DNSNames: []string{"old.example.com"}, KeyType: certstest.RSA1024, KeyFormat: certstest.FormatPKCS1})
	ecPKCS8 := certstest.Must(t, certstest.Options{DNSNames: []string{"ec8.example.com"}})
	ecSEC1 := certstest.Must(t, certstest.Options{DNSNames: []string{"ec.example.com"}, KeyFormat: certstest.FormatSEC1})
	p384 := certstest.Must(t, certstest.Options{DNSNames: []string{"p384.example.com"}, KeyType: certstest.ECDSAP384, KeyFormat: certstest.FormatSEC1})
	noInter := certstest.Must(t, certstest.Options{DNSNames: []string{"leaf.example.com"}, Intermediates: -1, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	twoInter := certstest.Must(t, certstest.Options{DNSNames: []string{"deep.example.com"}, Intermediates: 2, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	// An ECDSA certificate with an RSA key in PKCS#1: refused for the certificate, whatever the key.
	ecWithRSAKey := string(ecPKCS8.FullchainPEM)

	blank := strings.Replace(string(good.FullchainPEM), "-----END CERTIFICATE-----\n", "-----END CERTIFICATE-----\n\n", 1)
	reversed := string(good.ChainPEM) + string(good.CertPEM)
	encrypted := "-----BEGIN ENCRYPTED " + "PRIVATE KEY-----\nMIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n-----END ENCRYPTED " + "PRIVATE KEY-----\n"
	crlf := strings.ReplaceAll(string(good.FullchainPEM), "\n", "\r\n")

	// CLB takes RSA certificates with unencrypted PKCS#1 keys only (Alibaba, "Certificate
	// requirements and certificate format conversion"): ECDSA certificates, PKCS#8 keys and SEC1
	// ("EC PRIVATE KEY") keys are refused.
	tests := []struct {
		name, certName, cert, key string
		code, alg                 string
		bits                      int
		msg                       string // part of the refusal's message
	}{
		{"rsa pkcs1", "ok-1", string(good.FullchainPEM), string(good.KeyPEM), "", "RSA", 2048, ""},
		{"rsa 1024 pkcs1", "ok-2", string(rsa1024.FullchainPEM), string(rsa1024.KeyPEM), "", "RSA", 1024, ""},
		{"leaf only", "ok-5", string(noInter.CertPEM), string(noInter.KeyPEM), "", "RSA", 2048, ""},
		{"two intermediates", "ok-6", string(twoInter.FullchainPEM), string(twoInter.KeyPEM), "", "RSA", 2048, ""},
		{"crlf endings", "ok-7", crlf, string(good.KeyPEM), "", "RSA", 2048, ""},
		{"no name", "", string(good.FullchainPEM), string(good.KeyPEM), "", "RSA", 2048, ""},
		{"rsa pkcs8 key", "bad", string(rsaPKCS8.FullchainPEM), string(rsaPKCS8.KeyPEM), "InvalidParameter", "", 0, "PKCS#1"},
		{"ecdsa pkcs8", "bad", string(ecPKCS8.FullchainPEM), string(ecPKCS8.KeyPEM), "InvalidParameter", "", 0, "RSA certificates only"},
		{"ecdsa sec1", "bad", string(ecSEC1.FullchainPEM), string(ecSEC1.KeyPEM), "InvalidParameter", "", 0, "RSA certificates only"},
		{"ecdsa p384", "bad", string(p384.FullchainPEM), string(p384.KeyPEM), "InvalidParameter", "", 0, "RSA certificates only"},
		{"ecdsa certificate, rsa key", "bad", ecWithRSAKey, string(good.KeyPEM), "InvalidParameter", "", 0, "RSA certificates only"},
		{"rsa certificate, sec1 key", "bad", string(good.FullchainPEM), string(ecSEC1.KeyPEM), "InvalidParameter", "", 0, "EC key"},
		{"key of another cert", "bad", string(good.FullchainPEM), string(other.KeyPEM), "CertificateNotMatchPrivateKey", "", 0, ""},
		{"blank line", "bad", blank, string(good.KeyPEM), "InvalidParameter", "", 0, ""},
		{"chain reversed", "bad", reversed, string(good.KeyPEM), "InvalidParameter", "", 0, ""},
		{"not pem", "bad", "hello", string(good.KeyPEM), "InvalidParameter", "", 0, ""},
		{"key is a certificate", "bad", string(good.FullchainPEM), string(good.CertPEM), "InvalidParameter", "", 0, ""},
		{"encrypted key", "bad", string(good.FullchainPEM), encrypted, "PrivateKeyEncryption", "", 0, ""},
		{"empty key", "bad", string(good.FullchainPEM), "", "InvalidParameter", "", 0, ""},
		{"name starts with digit", "1cert", string(good.FullchainPEM), string(good.KeyPEM), "InvalidParameter", "", 0, ""},
		{"name with space", "my cert", string(good.FullchainPEM), string(good.KeyPEM), "InvalidParameter", "", 0, ""},
		{"name too long", "a" + strings.Repeat("b", 80), string(good.FullchainPEM), string(good.KeyPEM), "InvalidParameter", "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := slb.CreateUploadServerCertificateRequest()
			req.ServerCertificateName = tt.certName
			req.ServerCertificate = tt.cert
			req.PrivateKey = tt.key
			resp, err := c.UploadServerCertificate(req)
			if tt.code != "" {
				se := serverError(t, err, tt.code, 400)
				if tt.code == "CertificateNotMatchPrivateKey" && se.Message() != "Certificate and key does not match." {
					t.Errorf("message = %q", se.Message())
				}
				if !strings.Contains(se.Message(), tt.msg) {
					t.Errorf("message = %q, want it to mention %q", se.Message(), tt.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got, _ := e.svc.ServerCertificateByID(resp.ServerCertificateId)
			if got.EncryptionAlgorithm != tt.alg || got.KeyLength != tt.bits {
				t.Errorf("algorithm = %s %d, want %s %d", got.EncryptionAlgorithm, got.KeyLength, tt.alg, tt.bits)
			}
		})
	}
	// "a" + 79 more characters is the longest valid name.
	if _, err := e.svc.AddServerCertificate(region, "a"+strings.Repeat("b", 79), good.FullchainPEM, good.KeyPEM); err != nil {
		t.Errorf("80-character name: %v", err)
	}
}

func TestDeleteAndRegions(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	is := issue(t, "example.com")
	cert, err := e.svc.AddServerCertificate(region, "bound", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sni, err := e.svc.AddServerCertificate(region, "sni", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, err := e.svc.AddServerCertificate("cn-shanghai", "elsewhere", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddLoadBalancer(region, "lb-1", "one"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-1", 443, "https", cert.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddDomainExtension("lb-1", 443, "api.example.com", sni.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddLoadBalancer("cn-shanghai", "lb-sh", "sh"); err != nil {
		t.Fatal(err)
	}

	del := func(id string) error {
		req := slb.CreateDeleteServerCertificateRequest()
		req.ServerCertificateId = id
		_, err := c.DeleteServerCertificate(req)
		return err
	}
	serverError(t, del(cert.ID), "CertificateAndPrivateKeyIsRefered", 400)
	serverError(t, del(sni.ID), "CertificateAndPrivateKeyIsRefered", 400)
	serverError(t, del("1231579085529123_deadbeef_1_2"), "ServerCertificateId.NotFound", 404)
	serverError(t, del(elsewhere.ID), "ServerCertificateId.NotFound", 404) // another region

	// Binding a certificate from another region, or to a load balancer in another region.
	sreq := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
	sreq.LoadBalancerId = "lb-1"
	sreq.ListenerPort = requests.NewInteger(443)
	sreq.ServerCertificateId = elsewhere.ID
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "ServerCertificateId.NotFound", 404)
	sreq.LoadBalancerId = "lb-sh"
	_, err = c.SetLoadBalancerHTTPSListenerAttribute(sreq)
	serverError(t, err, "InvalidLoadBalancerId.NotFound", 404)

	// Describe is region-scoped.
	dresp, err := c.DescribeServerCertificates(slb.CreateDescribeServerCertificatesRequest())
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range dresp.ServerCertificates.ServerCertificate {
		if sc.ServerCertificateId == elsewhere.ID || sc.RegionId != region {
			t.Errorf("cn-shanghai certificate listed in %s: %+v", region, sc)
		}
	}
	sh := e.clientWith(t, "cn-shanghai", credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	dresp, err = sh.DescribeServerCertificates(slb.CreateDescribeServerCertificatesRequest())
	if err != nil || len(dresp.ServerCertificates.ServerCertificate) != 1 {
		t.Fatalf("cn-shanghai: %v %+v", err, dresp)
	}
	if e.svc.References(cert.ID) != 1 || e.svc.References(elsewhere.ID) != 0 {
		t.Error("references miscounted")
	}
}

func TestQuota(t *testing.T) {
	e := newEnv(t)
	e.svc.SetQuotas(2, 0)
	c := e.defaultClient(t)
	is := issue(t, "q.example.com")
	upload(t, c, "q1", is)
	upload(t, c, "q2", is)
	req := slb.CreateUploadServerCertificateRequest()
	req.ServerCertificate, req.PrivateKey = string(is.FullchainPEM), string(is.KeyPEM)
	_, err := c.UploadServerCertificate(req)
	serverError(t, err, "OverQuota", 400)
	// The quota is per region.
	other := e.clientWith(t, "cn-beijing", credentials.NewStaticAKCredentialsProvider(fakecore.DefaultAccessKeyID, fakecore.DefaultAccessKeySecret))
	req = slb.CreateUploadServerCertificateRequest() // a used request keeps its RegionId
	req.ServerCertificate, req.PrivateKey = string(is.FullchainPEM), string(is.KeyPEM)
	if _, err := other.UploadServerCertificate(req); err != nil {
		t.Fatal(err)
	}
	if n := len(slbfake.New(nil, nil, nil, nil).ServerCertificates(region)); n != 0 {
		t.Errorf("fresh service has %d certificates", n)
	}
}

func TestDefaultQuotaIs100(t *testing.T) {
	e := newEnv(t)
	is := issue(t, "q.example.com")
	for i := range slbfake.DefaultCertificateQuota {
		if _, err := e.svc.AddServerCertificate(region, "", is.FullchainPEM, is.KeyPEM); err != nil {
			t.Fatalf("certificate %d: %v", i+1, err)
		}
	}
	_, err := e.svc.AddServerCertificate(region, "", is.FullchainPEM, is.KeyPEM)
	if ae, ok := err.(*slbfake.APIError); !ok || ae.Code != "OverQuota" {
		t.Fatalf("101st certificate: %v", err)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	is := issue(t, "p.example.com")
	cert, err := e.svc.AddServerCertificate(region, "p", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for i := range 25 {
		id := "lb-page" + string(rune('a'+i))
		want = append(want, id)
		if err := e.svc.AddLoadBalancer(region, id, id); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddListener(id, 443, "https", cert.ID); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.AddListener(id, 80, "http", ""); err != nil {
			t.Fatal(err)
		}
	}

	var got []string
	for page := 1; ; page++ {
		req := slb.CreateDescribeLoadBalancersRequest()
		req.PageNumber = requests.NewInteger(page)
		req.PageSize = requests.NewInteger(10)
		resp, err := c.DescribeLoadBalancers(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.TotalCount != 25 || resp.PageNumber != page || resp.PageSize != 10 {
			t.Fatalf("page %d: %+v", page, resp)
		}
		for _, lb := range resp.LoadBalancers.LoadBalancer {
			got = append(got, lb.LoadBalancerId)
		}
		if len(resp.LoadBalancers.LoadBalancer) < 10 {
			break
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("paged load balancers = %v", got)
	}

	req := slb.CreateDescribeLoadBalancersRequest()
	req.LoadBalancerId = "lb-pagea,lb-pagec,lb-missing"
	resp, err := c.DescribeLoadBalancers(req)
	if err != nil || resp.TotalCount != 2 {
		t.Fatalf("id filter: %v %+v", err, resp)
	}
	req = slb.CreateDescribeLoadBalancersRequest()
	req.PageSize = requests.NewInteger(101)
	_, err = c.DescribeLoadBalancers(req)
	serverError(t, err, "InvalidParameter", 400)

	var listeners []string
	token, pages := "", 0
	for {
		lreq := slb.CreateDescribeLoadBalancerListenersRequest()
		lreq.ListenerProtocol = "https"
		lreq.MaxResults = requests.NewInteger(7)
		lreq.NextToken = token
		lresp, err := c.DescribeLoadBalancerListeners(lreq)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if lresp.TotalCount != 25 || lresp.MaxResults != 7 {
			t.Fatalf("listener page: total %d max %d", lresp.TotalCount, lresp.MaxResults)
		}
		for _, l := range lresp.Listeners {
			listeners = append(listeners, l.LoadBalancerId)
		}
		if token = lresp.NextToken; token == "" {
			break
		}
	}
	if pages != 4 || !slices.Equal(listeners, want) {
		t.Fatalf("%d pages, listeners %v", pages, listeners)
	}
	lreq := slb.CreateDescribeLoadBalancerListenersRequest()
	lreq.NextToken = "not-a-token"
	_, err = c.DescribeLoadBalancerListeners(lreq)
	serverError(t, err, "InvalidParameter", 400)
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.AddLoadBalancer(region, "lb-f", "f"); err != nil {
		t.Fatal(err)
	}

	e.faults.FailNext("DescribeLoadBalancers", fakecore.Throttle, 1)
	c := e.defaultClient(t, withRetry(3))
	_, err := c.DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest())
	se := serverError(t, err, "Throttling.User", 400) // 4xx: the SDK does not retry
	if se.Message() != "Request was denied due to user flow control." {
		t.Errorf("message = %q", se.Message())
	}
	if n := len(e.log.Calls()); n != 1 {
		t.Errorf("%d calls for a throttled request, want 1 (no SDK retry on 4xx)", n)
	}

	e.log.Reset()
	e.faults.FailNext("DescribeLoadBalancers", fakecore.ServerError, 2)
	resp, err := c.DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest())
	if err != nil || resp.TotalCount != 1 {
		t.Fatalf("with AutoRetry: %v %+v", err, resp)
	}
	var statuses []int
	for _, call := range e.log.Calls() {
		statuses = append(statuses, call.Status)
	}
	if !slices.Equal(statuses, []int{503, 503, 200}) {
		t.Errorf("statuses = %v, want [503 503 200]", statuses)
	}

	// Without AutoRetry the 503 surfaces.
	e.faults.FailNext("", fakecore.ServerError, 1)
	_, err = e.defaultClient(t).DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest())
	serverError(t, err, "ServiceUnavailable", 503)

	// Faults come after authentication: a bad signature is refused before any fault.
	e.faults.FailNext("", fakecore.ServerError, 1)
	_, err = e.client(t, fakecore.DefaultAccessKeyID, "wrong").DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest())
	serverError(t, err, "SignatureDoesNotMatch", 400)
	e.faults.Clear()

	// Latency is applied.
	e.faults.SetLatency(50 * time.Millisecond)
	start := time.Now()
	if _, err := c.DescribeLoadBalancers(slb.CreateDescribeLoadBalancersRequest()); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Errorf("latency %v < 50ms", d)
	}
}

func TestRawGatewayChecks(t *testing.T) {
	e := newEnv(t)
	s := rawSigner{url: e.url, ak: fakecore.DefaultAccessKeyID, sk: fakecore.DefaultAccessKeySecret}

	// The same signed request twice: the nonce is refused the second time.
	v := s.params("DescribeLoadBalancers", nil, "fixed-nonce-1")
	s.sign(http.MethodPost, v)
	if r := s.send(t, v); r.status != 200 {
		t.Fatalf("first: %d %s", r.status, r.raw)
	}
	if r := s.send(t, v); r.status != 400 || r.code() != "SignatureNonceUsed" {
		t.Fatalf("replay: %d %s", r.status, r.raw)
	}

	// GET works too (the method is part of the string to sign).
	g := s.params("DescribeLoadBalancers", nil, "get-nonce")
	s.sign(http.MethodGet, g)
	resp, err := http.Get(e.url + "/?" + g.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET: %d", resp.StatusCode)
	}

	tests := []struct {
		name   string
		signer rawSigner
		action string
		extra  map[string]string
		status int
		code   string
	}{
		{"ok", s, "DescribeLoadBalancers", nil, 200, ""},
		{"timestamp 20 min old", rawSigner{url: e.url, ak: s.ak, sk: s.sk, now: func() time.Time { return time.Now().Add(-20 * time.Minute) }}, "DescribeLoadBalancers", nil, 400, "InvalidTimeStamp.Expired"},
		{"timestamp 20 min ahead", rawSigner{url: e.url, ak: s.ak, sk: s.sk, now: func() time.Time { return time.Now().Add(20 * time.Minute) }}, "DescribeLoadBalancers", nil, 400, "InvalidTimeStamp.Expired"},
		{"timestamp malformed", s, "DescribeLoadBalancers", map[string]string{"Timestamp": "yesterday"}, 400, "InvalidTimeStamp.Format"},
		{"no version", s, "DescribeLoadBalancers", map[string]string{"Version": ""}, 400, "MissingVersion"},
		{"wrong version", s, "DescribeLoadBalancers", map[string]string{"Version": "2020-04-07"}, 400, "InvalidVersion"},
		{"unknown action", s, "DescribeEverything", nil, 404, "InvalidAction.NotFound"},
		{"no action", s, "", nil, 400, "MissingAction"},
		{"no nonce", s, "DescribeLoadBalancers", map[string]string{"SignatureNonce": ""}, 400, "MissingSignatureNonce"},
		{"no timestamp", s, "DescribeLoadBalancers", map[string]string{"Timestamp": ""}, 400, "MissingTimestamp"},
		{"sha256 method", s, "DescribeLoadBalancers", map[string]string{"SignatureMethod": "HMAC-SHA256"}, 400, "InvalidSignatureMethod"},
		{"version 2.0", s, "DescribeLoadBalancers", map[string]string{"SignatureVersion": "2.0"}, 400, "InvalidSignatureVersion"},
		{"no region", s, "DescribeLoadBalancers", map[string]string{"RegionId": ""}, 400, "MissingRegionId"},
		{"xml format", s, "DescribeLoadBalancers", map[string]string{"Format": "XML"}, 400, "InvalidParameter.Format"},
		{"no access key", s, "DescribeLoadBalancers", map[string]string{"AccessKeyId": ""}, 400, "MissingAccessKeyId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.signer.call(t, tt.action, tt.extra)
			if r.status != tt.status || r.code() != tt.code {
				t.Fatalf("got %d %q: %s", r.status, r.code(), r.raw)
			}
			if r.body["RequestId"] == "" {
				t.Error("no RequestId")
			}
		})
	}

	// A request whose Signature was computed and then a parameter changed.
	v = s.params("DescribeLoadBalancers", nil, "tamper-nonce")
	s.sign(http.MethodPost, v)
	v.Set("PageSize", "50")
	if r := s.send(t, v); r.code() != "SignatureDoesNotMatch" || !strings.Contains(r.body["Message"].(string), "PageSize%3D50") {
		t.Fatalf("tampered: %s", r.raw)
	}
}

func TestCallLogRedactsPrivateKey(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	is := issue(t, "log.example.com")
	upload(t, c, "logged", is)
	req := slb.CreateUploadServerCertificateRequest()
	req.ServerCertificate = string(is.FullchainPEM)
	req.PrivateKey = string(issue(t, "other.example.com").KeyPEM)
	_, err := c.UploadServerCertificate(req)
	serverError(t, err, "CertificateNotMatchPrivateKey", 400)
	_, _ = e.client(t, "LTAI-nobody", "x").UploadServerCertificate(req)

	calls := e.log.Calls()
	if len(calls) != 3 {
		t.Fatalf("%d calls", len(calls))
	}
	for _, call := range calls {
		if call.Params["PrivateKey"] != "<redacted>" {
			t.Errorf("PrivateKey logged as %q", call.Params["PrivateKey"])
		}
		for _, k := range []string{"Signature", "SignatureNonce", "AccessKeyId", "SecurityToken"} {
			if _, ok := call.Params[k]; ok {
				t.Errorf("%s logged", k)
			}
		}
		for _, v := range call.Params {
			if strings.Contains(v, "PRIVATE KEY") {
				t.Error("key material in the call log")
			}
		}
		if !call.Mutating || call.Action != "UploadServerCertificate" || call.Params["ServerCertificate"] == "" {
			t.Errorf("call %+v", call)
		}
	}
	if calls[0].Status != 200 || calls[1].Code != "CertificateNotMatchPrivateKey" || calls[2].Status != 404 {
		t.Errorf("statuses: %+v", calls)
	}
}

// TestWireShapes checks the JSON shapes the SDK expects: wrapper objects in most
// responses, flat arrays in DescribeLoadBalancerListeners.
func TestWireShapes(t *testing.T) {
	e := newEnv(t)
	is := issue(t, "shape.example.com")
	cert, err := e.svc.AddServerCertificate(region, "shape", is.FullchainPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddLoadBalancer(region, "lb-shape", "shape"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-shape", 443, "https", cert.ID); err != nil {
		t.Fatal(err)
	}
	s := rawSigner{url: e.url, ak: fakecore.DefaultAccessKeyID, sk: fakecore.DefaultAccessKeySecret}

	r := s.call(t, "DescribeLoadBalancerListeners", map[string]string{"LoadBalancerId.1": "lb-shape"})
	ls, ok := r.body["Listeners"].([]any)
	if !ok || len(ls) != 1 {
		t.Fatalf("Listeners is not a flat array: %s", r.raw)
	}
	cfg := ls[0].(map[string]any)["HTTPSListenerConfig"].(map[string]any)
	if _, ok := cfg["ServerCertificates"].([]any); !ok {
		t.Errorf("HTTPSListenerConfig.ServerCertificates is not a flat array: %s", r.raw)
	}

	r = s.call(t, "DescribeServerCertificates", nil)
	wrap, ok := r.body["ServerCertificates"].(map[string]any)
	if !ok {
		t.Fatalf("ServerCertificates is not a wrapper object: %s", r.raw)
	}
	list, ok := wrap["ServerCertificate"].([]any)
	if !ok || len(list) != 1 {
		t.Fatalf("ServerCertificates.ServerCertificate: %s", r.raw)
	}
	sans := list[0].(map[string]any)["SubjectAlternativeNames"].(map[string]any)
	if _, ok := sans["SubjectAlternativeName"].([]any); !ok {
		t.Errorf("SubjectAlternativeNames wrapper: %s", r.raw)
	}
	if strings.Contains(string(r.raw), "PRIVATE KEY") || strings.Contains(string(r.raw), "BEGIN CERTIFICATE") {
		t.Error("DescribeServerCertificates returned PEM content")
	}

	r = s.call(t, "DescribeLoadBalancers", nil)
	if _, ok := r.body["LoadBalancers"].(map[string]any)["LoadBalancer"].([]any); !ok {
		t.Errorf("LoadBalancers wrapper: %s", r.raw)
	}
	r = s.call(t, "DescribeLoadBalancerHTTPSListenerAttribute", map[string]string{"LoadBalancerId": "lb-shape", "ListenerPort": "443"})
	if _, ok := r.body["DomainExtensions"].(map[string]any)["DomainExtension"].([]any); !ok {
		t.Errorf("DomainExtensions wrapper: %s", r.raw)
	}
}

func TestDomainExtensionRules(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	is := issue(t, "x.example.com")
	cert, _ := e.svc.AddServerCertificate(region, "x", is.FullchainPEM, is.KeyPEM)
	if err := e.svc.AddLoadBalancer(region, "lb-d", "d"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-d", 443, "https", cert.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-d", 80, "http", ""); err != nil {
		t.Fatal(err)
	}
	create := func(port int, domain, certID string) error {
		req := slb.CreateCreateDomainExtensionRequest()
		req.LoadBalancerId = "lb-d"
		req.ListenerPort = requests.NewInteger(port)
		req.Domain = domain
		req.ServerCertificateId = certID
		_, err := c.CreateDomainExtension(req)
		return err
	}
	for _, d := range []string{"a.example.com", "*.example.org", "b.example.com"} {
		if err := create(443, d, cert.ID); err != nil {
			t.Fatalf("%s: %v", d, err)
		}
	}
	serverError(t, create(443, "c.example.com", cert.ID), "OverQuota", 400)
	serverError(t, create(443, "a.example.com", cert.ID), "InvalidParameter", 400)
	serverError(t, create(80, "c.example.com", cert.ID), "UnsupportedOperationonfixedprotocalport", 400)
	serverError(t, create(443, "c.example.com", ""), "MissingServerCertificateId", 400)

	sreq := slb.CreateSetDomainExtensionAttributeRequest()
	sreq.DomainExtensionId = "de-missing"
	sreq.ServerCertificateId = cert.ID
	_, err := c.SetDomainExtensionAttribute(sreq)
	serverError(t, err, "InvalidParameter.DomainExtensionId", 400)
}

// TestConcurrentClients runs uploads, binds and listings at once (meaningful under -race).
func TestConcurrentClients(t *testing.T) {
	e := newEnv(t)
	is := issue(t, "c.example.com")
	first, _ := e.svc.AddServerCertificate(region, "c0", is.FullchainPEM, is.KeyPEM)
	if err := e.svc.AddLoadBalancer(region, "lb-c", "c"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddListener("lb-c", 443, "https", first.ID); err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for i := range 8 {
		c := e.defaultClient(t) // one client per goroutine: the SDK client mutates shared timeouts
		go func() {
			resp, err := c.UploadServerCertificate(func() *slb.UploadServerCertificateRequest {
				r := slb.CreateUploadServerCertificateRequest()
				r.ServerCertificate, r.PrivateKey = string(is.FullchainPEM), string(is.KeyPEM)
				return r
			}())
			if err == nil {
				r := slb.CreateSetLoadBalancerHTTPSListenerAttributeRequest()
				r.LoadBalancerId, r.ListenerPort, r.ServerCertificateId = "lb-c", requests.NewInteger(443), resp.ServerCertificateId
				_, err = c.SetLoadBalancerHTTPSListenerAttribute(r)
			}
			if err == nil && i%2 == 0 {
				_, err = c.DescribeLoadBalancerListeners(slb.CreateDescribeLoadBalancerListenersRequest())
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := len(e.svc.ServerCertificates(region)); n != 9 {
		t.Errorf("%d certificates, want 9", n)
	}
}
