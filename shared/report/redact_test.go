package report

import (
	"strings"
	"testing"
	"time"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want, never string }{
		{`alislb: DescribeServerCertificates: Get "https://slb.cn-hangzhou.aliyuncs.com/?AccessKeyId=LTAIxyz&Action=Describe&Signature=abc%3D&SignatureNonce=1": context deadline exceeded`,
			`Get "https://slb.cn-hangzhou.aliyuncs.com/?[query removed]": context deadline exceeded`, "Signature="},
		{`post https://oapi.dingtalk.com/robot/send?access_token=SECRETTOKEN failed`, "robot/send?[query removed] failed", "SECRETTOKEN"},
		{`dial https://user:hunter2@example.com/x: refused`, "https://[credentials removed]@example.com/x", "hunter2"},
		{`GET /?AccessKeyId=LTAIxyz&Signature=abc 403`, "GET /?[query removed] 403", "LTAIxyz"},
		{"key: -----BEGIN " + "PRIVATE KEY" + "-----\\nMIIE", "key: [PEM removed]", "MIIE"},
		{`certificate does not cover a.example.com?`, `certificate does not cover a.example.com?`, ""},
		{`ordinary text`, `ordinary text`, ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got := Redact(tc.in)
			if !strings.Contains(got, tc.want) || (tc.never != "" && strings.Contains(got, tc.never)) {
				t.Fatalf("Redact = %q, want it to hold %q and not %q", got, tc.want, tc.never)
			}
		})
	}
}

func TestSettleRedactsEveryText(t *testing.T) {
	r := New(time.Now(), Source{Kind: "invoke"})
	leak := `Get "https://slb.aliyuncs.com/?AccessKeyId=LTAIleak&Signature=sig": timeout`
	r.Targets = []Target{{Name: "a", Status: TargetFailed, Error: leak, Reason: leak}}
	r.Warnings = []string{leak}
	r.Error = leak
	r.Settle(time.Now(), false)
	for _, s := range append([]string{r.Error, r.Targets[0].Error, r.Targets[0].Reason}, r.Warnings...) {
		if strings.Contains(s, "LTAIleak") || strings.Contains(s, "Signature") {
			t.Fatalf("left in the report: %q", s)
		}
	}
}
