package cas

import "testing"

func TestDefaultEndpointIsTheSDKsOverHTTPS(t *testing.T) {
	c, err := New(Config{AccessKeyID: "a", AccessKeySecret: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if c.sdk.Domain != "" || c.sdk.GetConfig().Scheme != "HTTPS" {
		t.Errorf("Domain %q, Scheme %q", c.sdk.Domain, c.sdk.GetConfig().Scheme)
	}
	if ep := c.sdk.EndpointMap[DefaultRegion]; ep != "cas.aliyuncs.com" {
		t.Errorf("endpoint for %s = %q", DefaultRegion, ep)
	}
}
