package slbfake_test

import (
	"testing"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"
)

// TestServerCertificateTags: tags given to UploadServerCertificate are answered by
// DescribeServerCertificates, which lists only the certificates carrying every tag asked for.
func TestServerCertificateTags(t *testing.T) {
	e := newEnv(t)
	c := e.defaultClient(t)
	req := slb.CreateUploadServerCertificateRequest()
	req.ServerCertificateName = "tagged"
	is := issue(t, "a.example.com")
	req.ServerCertificate, req.PrivateKey = string(is.FullchainPEM), string(is.KeyPEM)
	req.Tag = &[]slb.UploadServerCertificateTag{{Key: "certrotate-deployment", Value: "prod"}}
	tagged, err := c.UploadServerCertificate(req)
	if err != nil {
		t.Fatal(err)
	}
	plain := upload(t, c, "plain", issue(t, "a.example.com"))
	other := upload(t, c, "other", issue(t, "a.example.com"))
	if err := e.svc.TagServerCertificate(other.ServerCertificateId, "certrotate-deployment", "staging"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		tags *[]slb.DescribeServerCertificatesTag
		want []string
	}{
		{"no filter", nil, []string{tagged.ServerCertificateId, plain.ServerCertificateId, other.ServerCertificateId}},
		{"prod", &[]slb.DescribeServerCertificatesTag{{Key: "certrotate-deployment", Value: "prod"}}, []string{tagged.ServerCertificateId}},
		{"staging", &[]slb.DescribeServerCertificatesTag{{Key: "certrotate-deployment", Value: "staging"}}, []string{other.ServerCertificateId}},
		{"nobody", &[]slb.DescribeServerCertificatesTag{{Key: "certrotate-deployment", Value: "nobody"}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := slb.CreateDescribeServerCertificatesRequest()
			d.Tag = tc.tags
			resp, err := c.DescribeServerCertificates(d)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, sc := range resp.ServerCertificates.ServerCertificate {
				got = append(got, sc.ServerCertificateId)
				if sc.ServerCertificateId == tagged.ServerCertificateId &&
					(len(sc.Tags.Tag) != 1 || sc.Tags.Tag[0].TagKey != "certrotate-deployment" || sc.Tags.Tag[0].TagValue != "prod") {
					t.Errorf("tags answered %+v", sc.Tags.Tag)
				}
			}
			if len(got) != len(tc.want) {
				t.Fatalf("listed %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("listed %v, want %v", got, tc.want)
				}
			}
		})
	}
}
