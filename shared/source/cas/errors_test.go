package cas

import (
	"strings"
	"testing"
)

func TestClean(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Specified signature is not matched with our calculation. server string to sign is:POST&%2F&AccessKeyId%3D",
			"Specified signature is not matched with our calculation."},
		{"bad cert -----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "bad cert"},
		{`Post "http://127.0.0.1:1/?AccessKeyId=x&Signature=y": dial tcp: connection refused`,
			`Post "http://127.0.0.1:1/?…": dial tcp: connection refused`},
		{"two\n  lines", "two lines"},
		{strings.Repeat("a", 400), strings.Repeat("a", 300) + "…"},
	}
	for _, tt := range tests {
		if got := clean(tt.in); got != tt.want {
			t.Errorf("clean(%.40q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

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
