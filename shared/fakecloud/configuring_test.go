package fakecloud_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
	"github.com/certrotate/certrotate/shared/fakecloud/slbfake"
)

func TestConfiguringWindowSetting(t *testing.T) {
	c := fakecloud.New()
	if c.ConfiguringWindow() != 0 {
		t.Fatalf("New starts with window %v, want 0", c.ConfiguringWindow())
	}
	c.SetConfiguringWindow(3 * time.Second)
	if c.ConfiguringWindow() != 3*time.Second || c.SLB().ConfiguringWindow() != 3*time.Second {
		t.Fatalf("window = %v / %v", c.ConfiguringWindow(), c.SLB().ConfiguringWindow())
	}
}

// TestSignatureV3Routing: a request carrying its action in x-acs-action reaches the RPC service
// its x-acs-version names (signed here with popgateway's own functions; slbfake's tests check
// them against an independent signer).
func TestSignatureV3Routing(t *testing.T) {
	_, base := fakecloud.Start(t)
	tests := []struct {
		name, version, secret string
		status                int
		code                  string
	}{
		{"slb", slbfake.Version, fakecore.DefaultAccessKeySecret, 200, ""},
		{"slb, wrong secret", slbfake.Version, "wrong", 400, "SignatureDoesNotMatch"},
		{"unknown version", "1999-01-01", fakecore.DefaultAccessKeySecret, 400, "InvalidVersion"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, base+"/?RegionId=cn-hangzhou", nil)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(nil)
			req.Header.Set(popgateway.HeaderAction, "DescribeServerCertificates")
			req.Header.Set(popgateway.HeaderVersion, tt.version)
			req.Header.Set(popgateway.HeaderDate, time.Now().UTC().Format(popgateway.TimestampLayout))
			req.Header.Set(popgateway.HeaderNonce, "route-"+strings.Repeat("x", i+1))
			req.Header.Set(popgateway.HeaderContentSHA256, hex.EncodeToString(sum[:]))
			signed := []string{"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
			sig := popgateway.SignV3(popgateway.StringToSignV3(popgateway.CanonicalRequestV3(req, nil, signed)), tt.secret)
			req.Header.Set("Authorization", popgateway.V3Algorithm+" Credential="+fakecore.DefaultAccessKeyID+
				",SignedHeaders="+strings.Join(signed, ";")+",Signature="+sig)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body map[string]any
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if code, _ := body["Code"].(string); resp.StatusCode != tt.status || code != tt.code {
				t.Fatalf("got %d %q: %v", resp.StatusCode, code, body)
			}
		})
	}
}
