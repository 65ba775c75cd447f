package popgateway_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// TestGateway exercises what slbfake's and casfake's SDK tests do not: RegionId left optional,
// Required parameters, Int parsing and redaction, on a request signed with Sign/StringToSign.
func TestGateway(t *testing.T) {
	log := &fakecore.Log{}
	g := popgateway.New(popgateway.Config{Service: "demo", Product: "Demo", HostID: "demo.aliyuncs.com",
		Version: "2000-01-01", Redact: []string{"Secret"}, Log: log}, map[string]popgateway.Action{
		"Echo": {Required: []string{"N"}, Run: func(r *popgateway.Request) (any, *popgateway.APIError) {
			n, _, e := r.Int("N")
			if e != nil {
				return nil, e
			}
			return map[string]any{"RequestId": r.RequestID, "N": n, "Region": r.Region}, nil
		}},
	})
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)

	call := func(nonce string, extra map[string]string) (int, map[string]any) {
		p := map[string]string{"Action": "Echo", "Version": "2000-01-01", "Format": "JSON",
			"AccessKeyId": fakecore.DefaultAccessKeyID, "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0",
			"SignatureNonce": nonce, "Timestamp": time.Now().UTC().Format(popgateway.TimestampLayout)}
		for k, v := range extra {
			p[k] = v
		}
		p["Signature"] = popgateway.Sign(popgateway.StringToSign(http.MethodPost, p), fakecore.DefaultAccessKeySecret)
		v := url.Values{}
		for k, val := range p {
			v.Set(k, val)
		}
		resp, err := http.Post(srv.URL+"/?"+v.Encode(), "application/x-www-form-urlencoded", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, body
	}

	if status, body := call("n1", map[string]string{"N": "42", "Secret": "s3cr3t"}); status != 200 || body["N"] != 42.0 || body["Region"] != "" {
		t.Errorf("ok call: %d %v", status, body)
	}
	if status, body := call("n2", nil); status != 400 || body["Code"] != "MissingN" || body["HostId"] != "demo.aliyuncs.com" {
		t.Errorf("missing N: %d %v", status, body)
	}
	if status, body := call("n3", map[string]string{"N": "x"}); status != 400 || body["Code"] != "InvalidParameter" {
		t.Errorf("bad N: %d %v", status, body)
	}
	calls := log.Calls()
	if len(calls) != 3 || calls[0].Service != "demo" || calls[0].Params["Secret"] != "<redacted>" || calls[0].Params["Signature"] != "" {
		t.Errorf("call log: %+v", calls)
	}
}
