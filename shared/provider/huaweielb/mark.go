package huaweielb

import (
	"cmp"
	"strings"

	"github.com/certrotate/certrotate/shared/provider"
)

// deployment is the id this provider marks on what it creates and recognises as its own.
func (p *Provider) deployment() string { return cmp.Or(p.cfg.Deployment, provider.DefaultDeployment) }

// markDescription is the description a created certificate carries: ELB certificates have no
// tags (CreateCertificateOption in the SDK model services/elb/v3/model/model_create_certificate_option.go
// holds name, description, domain, ...), so the mark is the word "certrotate-deployment=<id>" in
// the description (0-255 characters, https://support.huaweicloud.com/intl/en-us/api-elb/CreateCertificate.html).
func (p *Provider) markDescription() string {
	return "uploaded by certrotate; " + provider.MarkKey + "=" + p.deployment()
}

// markOf is the deployment id a description carries ("" when it carries none): the value of the
// first word "certrotate-deployment=<id>", the word ending at a space, ";" or ",".
func markOf(description string) string {
	for _, word := range strings.FieldsFunc(description, func(r rune) bool { return r == ' ' || r == ';' || r == ',' }) {
		if v, ok := strings.CutPrefix(word, provider.MarkKey+"="); ok {
			return v
		}
	}
	return ""
}
