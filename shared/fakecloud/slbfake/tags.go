package slbfake

import "fmt"

// Server certificate tags. UploadServerCertificate takes Tag.N.Key / Tag.N.Value, and
// DescribeServerCertificates both filters by them (a certificate is listed only when it carries
// every tag asked for) and answers each certificate's Tags.Tag[{TagKey, TagValue}]: SDK models
// services/slb/upload_server_certificate.go, describe_server_certificates.go and
// struct_tags_in_describe_server_certificates.go of github.com/aliyun/alibaba-cloud-sdk-go;
// https://www.alibabacloud.com/help/en/slb/classic-load-balancer/developer-reference/api-slb-2014-05-15-describeservercertificates.
// The emulator stores them with the certificate (serverCert.tags, actions.go filters); these
// helpers let tests and seeds set and read them as another tool (TagResources) would.

// TagServerCertificate sets tag key to value on server certificate id, replacing a tag of the
// same key, as TagResources does (one value per key on a resource).
func (s *Service) TagServerCertificate(id, key, value string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.certs[id]
	if c == nil {
		return fmt.Errorf("slbfake: no server certificate %s", id)
	}
	for i, t := range c.tags {
		if t[0] == key {
			c.tags[i][1] = value
			return nil
		}
	}
	c.tags = append(c.tags, [2]string{key, value})
	return nil
}

// ServerCertificateTags returns the tags of server certificate id (nil when it has none or does
// not exist).
func (s *Service) ServerCertificateTags(id string) map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.certs[id]
	if c == nil || len(c.tags) == 0 {
		return nil
	}
	out := make(map[string]string, len(c.tags))
	for _, t := range c.tags {
		out[t[0]] = t[1]
	}
	return out
}
