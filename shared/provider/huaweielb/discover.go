package huaweielb

import (
	"context"
	"errors"
	"fmt"
	"strings"

	elb "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/elb/v3/model"

	"github.com/certrotate/certrotate/shared/provider"
)

// errTargetMissing marks a target that points at nothing usable.
var errTargetMissing = errors.New("not found")

// Discover implements provider.Provider. A target resolves to exactly one slot: the certificate
// it names, or the listener's default certificate, or the SNI certificate that serves the
// target's domain on the listener (see sniHolder); when none does, the slot serves nothing yet
// and Deploy adds one.
func (p *Provider) Discover(ctx context.Context, t provider.Target) ([]provider.Slot, error) {
	project, err := p.project(t)
	if err != nil {
		return nil, err
	}
	s := p.scope(t.Region, project, t.EnterpriseProjectID)
	slot := provider.Slot{Target: t, Name: t.Name, Region: t.Region}
	switch {
	case t.CertificateID != "":
		c, err := p.showCertificate(ctx, s, t.CertificateID)
		if err != nil {
			return nil, missing(err, "certificate %s in project %s", t.CertificateID, project)
		}
		if c.typ != "" && c.typ != "server" {
			return nil, provider.Permanent(fmt.Errorf("huaweielb: certificate %s is a %s certificate, not a server certificate", c.id, c.typ))
		}
		slot.CertificateID, slot.Current = c.id, c.bound(true)
	case t.ListenerID != "":
		writes := p.writesTo(s, t.ListenerID)
		l, err := p.showListener(ctx, s, t.ListenerID)
		if err != nil {
			return nil, missing(err, "listener %s in project %s", t.ListenerID, project)
		}
		p.saw(s, l, writes)
		if !https(l) {
			return nil, provider.Permanent(fmt.Errorf("huaweielb: listener %s is %s, not HTTPS, TLS or QUIC: %w", l.Id, l.Protocol, errTargetMissing))
		}
		slot.ListenerID = l.Id
		if t.Domain == "" {
			slot.Current, err = p.describe(ctx, s, l.DefaultTlsContainerRef)
		} else {
			slot.Domain = strings.ToLower(t.Domain)
			var exact, wild []certInfo
			if exact, wild, err = p.sniCandidates(ctx, s, l.SniContainerRefs, slot.Domain); err == nil {
				if c := pickHolder(exact, wild, ""); c.id != "" {
					slot.Current = c.bound(false)
				}
			}
		}
		if err != nil {
			return nil, err
		}
	default:
		return nil, provider.Permanent(fmt.Errorf("huaweielb: %s: the target names neither certificate_id nor listener_id", t.Name))
	}
	return []provider.Slot{slot}, nil
}

// missing rewords a 404 as a missing target; either way ELB's refusal is permanent.
func missing(err error, format string, a ...any) error {
	var ae *apiError
	if gone(err) && errors.As(err, &ae) {
		return provider.Permanent(fmt.Errorf("huaweielb: %s: %w: %w", fmt.Sprintf(format, a...), errTargetMissing, ae))
	}
	return err
}

// https reports whether a listener carries certificates: HTTPS (dedicated load balancers),
// TERMINATED_HTTPS (shared ones), and the dedicated TLS and QUIC listeners ("当监听器协议为
// HTTPS、TLS或QUIC时，该字段必传", hw-sdk model_create_listener_option.go DefaultTlsContainerRef;
// SNI on TLS listeners: support.huaweicloud.com/usermanual-elb/elb_ug_jt_0021.html).
func https(l *model.Listener) bool {
	switch strings.ToUpper(l.Protocol) {
	case "HTTPS", "TERMINATED_HTTPS", "TLS", "QUIC":
		return true
	}
	return false
}

// Bound implements provider.Provider: it reads the certificate or the listener back.
func (p *Provider) Bound(ctx context.Context, slot provider.Slot) (provider.Bound, error) {
	s, err := p.slotScope(slot)
	if err != nil {
		return provider.Bound{}, err
	}
	if slot.CertificateID != "" {
		c, err := p.showCertificate(ctx, s, slot.CertificateID)
		if err != nil {
			return provider.Bound{}, err
		}
		return c.bound(true), nil
	}
	l, err := p.showListener(ctx, s, slot.ListenerID)
	if err != nil {
		return provider.Bound{}, err
	}
	if slot.Domain == "" {
		return p.describe(ctx, s, l.DefaultTlsContainerRef)
	}
	exact, wild, err := p.sniCandidates(ctx, s, l.SniContainerRefs, slot.Domain)
	if err != nil {
		return provider.Bound{}, err
	}
	d, _ := p.deployedSNI(s, slot) // the algorithm this run deployed, if any
	c := pickHolder(exact, wild, d.algo)
	if c.id == "" {
		return provider.Bound{}, nil
	}
	return c.bound(false), nil
}

// showListener reads one listener.
func (p *Provider) showListener(ctx context.Context, s *scope, id string) (*model.Listener, error) {
	var l *model.Listener
	err := p.call(ctx, s, "ShowListener", func(c *elb.ElbClient) error {
		resp, err := c.ShowListener(&model.ShowListenerRequest{ListenerId: id})
		if err == nil {
			l = resp.Listener
		}
		return err
	})
	if err == nil && l == nil {
		err = fmt.Errorf("huaweielb: ShowListener %s: empty answer", id)
	}
	return l, err
}
