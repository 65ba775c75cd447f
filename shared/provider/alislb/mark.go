package alislb

import (
	"cmp"

	"github.com/aliyun/alibaba-cloud-sdk-go/services/slb"

	"github.com/certrotate/certrotate/shared/provider"
)

// deployment is the id this provider marks on what it uploads and recognises as its own.
func (p *Provider) deployment() string { return cmp.Or(p.cfg.Deployment, provider.DefaultDeployment) }

// markTags is the mark an upload carries: the tag certrotate-deployment = <deployment id>.
// UploadServerCertificate takes the tags itself (Tag.N.Key / Tag.N.Value, SDK model
// services/slb/upload_server_certificate.go; https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-uploadservercertificate),
// so a certificate is never uploaded first and tagged later: no crash leaves one of ours unmarked.
func (p *Provider) markTags() *[]slb.UploadServerCertificateTag {
	return &[]slb.UploadServerCertificateTag{{Key: provider.MarkKey, Value: p.deployment()}}
}

// markOf is the deployment id a listed certificate carries ("" when it carries no mark).
// DescribeServerCertificates answers each certificate's tags (SDK model
// services/slb/struct_tags_in_describe_server_certificates.go).
func markOf(tags []slb.Tag) string {
	for _, t := range tags {
		if t.TagKey == provider.MarkKey {
			return t.TagValue
		}
	}
	return ""
}
