package elbfake

import (
	"crypto/x509"
	"slices"
	"sort"
)

// Enterprise projects. ELB resources belong to an enterprise project ("0" is the default one),
// and an IAM principal's ELB rights may be granted per enterprise project instead of globally.
// Sources (hw-sdk v0.1.207, services/elb/v3/model):
//   - model_list_certificates_request.go (EnterpriseProjectId): without enterprise_project_id the
//     list is authorised by the fine-grained elb:certificates:list permission; with it, by
//     enterprise-project permissions, for the given ids or for all_granted_eps (every enterprise
//     project the caller may list in). model_list_listeners_request.go says the same for listeners.
//   - model_create_certificate_option.go (EnterpriseProjectId): without it the certificate goes
//     to the default project "0"; "", "0" and ids that do not exist must not be sent.
//
// The emulator models a principal scoped to some enterprise projects (ScopeAccessKey): it has no
// global grant, so every list without enterprise_project_id is refused, and so is any call on a
// resource of, or a create into, a project it holds no grant in. How the real service authorises
// calls on one resource by id (show, update, delete) is not documented; the emulator checks the
// resource's enterprise project, the stricter reading. Unscoped access keys may do everything.

// DefaultEnterpriseProject is the enterprise project resources belong to when none is given.
const DefaultEnterpriseProject = "0"

// allGrantedEPs is the enterprise_project_id list filter meaning every project the caller holds a grant in.
const allGrantedEPs = "all_granted_eps"

// ScopeAccessKey makes accessKeyID a principal whose ELB rights are granted only in the
// enterprise projects eps (which become known projects). With no eps, the key is unscoped again.
func (s *Service) ScopeAccessKey(accessKeyID string, eps ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(eps) == 0 {
		delete(s.epScopes, accessKeyID)
		return
	}
	s.epScopes[accessKeyID] = slices.Clone(eps)
	for _, ep := range eps {
		s.eps[ep] = true
	}
}

// AddEnterpriseProject makes id a known enterprise project, one CreateCertificate may name.
func (s *Service) AddEnterpriseProject(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.eps[id] = true
}

// EnterpriseProjects returns the known enterprise projects, sorted ("0" always among them).
func (s *Service) EnterpriseProjects() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []string{DefaultEnterpriseProject}
	for ep := range s.eps {
		if ep != DefaultEnterpriseProject {
			out = append(out, ep)
		}
	}
	sort.Strings(out[1:])
	return out
}

// DenyAction makes every call of accessKeyID that needs the IAM permission action (e.g.
// "elb:listeners:list") answer 403, as for a principal whose policy lacks it: without
// enterprise_project_id a list is authorised by that fine-grained permission ("鉴权按照细粒度权限
// 鉴权，必须在用户组下分配elb:listeners:list权限", hw-sdk model_list_listeners_request.go,
// EnterpriseProjectId), and IAM refuses an action no policy of the principal allows.
func (s *Service) DenyAction(accessKeyID, action string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.denied[accessKeyID] == nil {
		s.denied[accessKeyID] = map[string]bool{}
	}
	s.denied[accessKeyID][action] = true
}

// granted reports whether the caller may act in enterprise project ep; the caller holds s.mu.
func (s *Service) granted(access, ep string) bool {
	eps, scoped := s.epScopes[access]
	return !scoped || slices.Contains(eps, ep)
}

// authorize refuses a call on a resource of enterprise project ep the caller holds no grant in.
func (s *Service) authorize(r *request, action, ep string) *APIError {
	if !s.granted(r.access, ep) || s.denied[r.access][action] {
		return errForbidden(action)
	}
	return nil
}

// listScope returns which enterprise projects a list call may see, from its
// enterprise_project_id filter, or the refusal of a scoped caller.
func (s *Service) listScope(r *request, action string) (func(ep string) bool, *APIError) {
	if s.denied[r.access][action] {
		return nil, errForbidden(action)
	}
	vals := r.query["enterprise_project_id"]
	eps, scoped := s.epScopes[r.access]
	if len(vals) == 0 {
		if scoped {
			return nil, errForbidden(action)
		}
		return func(string) bool { return true }, nil
	}
	allowed := map[string]bool{}
	for _, v := range vals {
		switch {
		case v == allGrantedEPs && !scoped:
			return func(string) bool { return true }, nil
		case v == allGrantedEPs:
			for _, ep := range eps {
				allowed[ep] = true
			}
		case scoped && !slices.Contains(eps, v):
			return nil, errForbidden(action)
		default:
			allowed[v] = true
		}
	}
	return func(ep string) bool { return allowed[ep] }, nil
}

// createScope checks CreateCertificate's enterprise_project_id (set: whether the body had one)
// and returns the project the certificate goes to.
func (s *Service) createScope(r *request, set, null bool, ep string) (string, *APIError) {
	if !set {
		ep = DefaultEnterpriseProject
	} else if null || ep == "" || ep == DefaultEnterpriseProject || !s.eps[ep] {
		return "", errInvalid("Invalid input for enterprise_project_id: %q; give an existing enterprise project other than \"0\", or leave it out for the default project.", ep)
	}
	if !s.granted(r.access, ep) {
		return "", errForbidden("elb:certificates:create")
	}
	return ep, nil
}

// keyAlgorithm names a leaf's key type as the ELB console does: "RSA" or "ECC".
func keyAlgorithm(leaf *x509.Certificate) string {
	switch leaf.PublicKeyAlgorithm {
	case x509.RSA:
		return "RSA"
	case x509.ECDSA:
		return "ECC"
	}
	return leaf.PublicKeyAlgorithm.String()
}
