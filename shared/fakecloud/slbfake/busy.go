package slbfake

import (
	"strconv"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// A load balancer applies each write in the background after the API answered it, and refuses
// the next write that arrives before it is done (CLB common error codes: ServiceIsConfiguring,
// OperationBusy, 409 BackendServer.configuring; terraform-provider-alicloud retries these and
// DomainExtensionProcessing for minutes: alicloud/errors.go SlbIsBusy,
// resource_alicloud_slb_domain_extension.go). How long the window lasts on the real CLB is not
// published; the emulator holds it for a fixed time per load balancer after every successful
// write to one of its listeners or domain extensions (fakecore.Configuring). Server certificate
// uploads and deletes are region-wide, not load balancer writes, and have no window.
//
// Which code answers which write: SetLoadBalancerHTTPSListenerAttribute meets ServiceIsConfiguring
// (terraform PR #5740); SetDomainExtensionAttribute meets DomainExtensionProcessing when the last
// write was to the same extension and BackendServer.configuring otherwise (the two codes terraform
// retries for it); CreateDomainExtension and DeleteDomainExtension meet OperationBusy. The real
// choice between these codes is not documented per action; every one of them refuses the write.

// SetConfiguringWindow sets how long a load balancer refuses writes after each write (0: never,
// the default of New; `fakecloud serve` starts with fakecore.DefaultConfiguringWindow).
func (s *Service) SetConfiguringWindow(d time.Duration) { s.busy.SetWindow(d) }

// ConfiguringWindow returns the current configuring window.
func (s *Service) ConfiguringWindow() time.Duration { return s.busy.Window() }

// Configuring returns the configuring model, so a composing emulator can share one setting.
func (s *Service) Configuring() *fakecore.Configuring { return s.busy }

func busyKey(lbID string) string { return "slb/" + lbID }

func listenerPart(port int) string { return "listener:" + strconv.Itoa(port) }

func extPart(id string) string { return "extension:" + id }

// lbBusy answers the busy error for a write of kind to load balancer lbID, or nil when it is not
// configuring. The caller holds s.mu.
func (s *Service) lbBusy(lbID string, write writeKind, part string) *APIError {
	busy, last := s.busy.Busy(busyKey(lbID), s.now())
	if !busy {
		return nil
	}
	switch write {
	case writeListener:
		return errServiceIsConfiguring()
	case writeExtension:
		if last == part {
			return errDomainExtensionProcessing()
		}
		return errBackendConfiguring()
	}
	return errOperationBusy()
}

// lbWritten starts load balancer lbID's configuring window after a successful write to part.
func (s *Service) lbWritten(lbID, part string) { s.busy.Touch(busyKey(lbID), part, s.now()) }

type writeKind int

const (
	writeListener  writeKind = iota + 1 // SetLoadBalancerHTTPSListenerAttribute
	writeExtension                      // SetDomainExtensionAttribute
	writeOther                          // CreateDomainExtension, DeleteDomainExtension
)
