package fakecloud

import (
	"fmt"
	"strconv"

	"github.com/certrotate/certrotate/shared/fakecloud/lbcerts"
)

// SeedLBListener is an ALB or NLB listener whose certificates are CAS certificates of the seed,
// named by their name (cas_certificates[].name):
//
//	"alb_listeners":[{"id":"lsn-demo-web","region":"cn-hangzhou","load_balancer_id":"alb-demo-web",
//	  "protocol":"HTTPS","port":443,"certificate":"example-com-cas","additional":["api-example-com-cas"]}]
type SeedLBListener struct {
	ID             string   `json:"id"`
	Region         string   `json:"region"`
	LoadBalancerID string   `json:"load_balancer_id"`
	Protocol       string   `json:"protocol"` // ALB: HTTPS, QUIC, HTTP; NLB: TCPSSL, TCP, UDP
	Port           int      `json:"port"`
	Certificate    string   `json:"certificate,omitempty"`
	Additional     []string `json:"additional,omitempty"`
}

// seedLB adds the ALB and NLB listeners; casIDs maps CAS certificate names to their ids.
func (c *Cloud) seedLB(s Seed, casIDs map[string]int64) error {
	bind := func(name string) (string, error) {
		if name == "" {
			return "", nil
		}
		id, ok := casIDs[name]
		if !ok {
			return "", fmt.Errorf("no cas_certificates entry named %q", name)
		}
		return strconv.FormatInt(id, 10) + "-cn-hangzhou", nil
	}
	for _, set := range []struct {
		product string
		store   *lbcerts.Store
		list    []SeedLBListener
	}{{"ALB", c.alb.Store(), s.ALBListeners}, {"NLB", c.nlb.Store(), s.NLBListeners}} {
		for _, l := range set.list {
			def, err := bind(l.Certificate)
			if err != nil {
				return fmt.Errorf("%s listener %s: %w", set.product, l.ID, err)
			}
			ll := lbcerts.Listener{ID: l.ID, Region: l.Region, LoadBalancerID: l.LoadBalancerID, Protocol: l.Protocol, Port: l.Port, Default: def}
			for _, a := range l.Additional {
				id, err := bind(a)
				if err != nil {
					return fmt.Errorf("%s listener %s: %w", set.product, l.ID, err)
				}
				ll.Additional = append(ll.Additional, lbcerts.Cert{ID: id})
			}
			if l.ID == "" || l.Region == "" {
				return fmt.Errorf("%s listener %q: id and region are required", set.product, l.ID)
			}
			if err := set.store.Add(ll); err != nil {
				return fmt.Errorf("%s listener %s: %w", set.product, l.ID, err)
			}
		}
	}
	return nil
}

// LBListenerState is one ALB or NLB listener with its CAS certificate ids ("<CertId>-<region>").
type LBListenerState struct {
	ID             string   `json:"id"`
	Region         string   `json:"region"`
	LoadBalancerID string   `json:"load_balancer_id"`
	Protocol       string   `json:"protocol"`
	Port           int      `json:"port"`
	Certificate    string   `json:"certificate,omitempty"`
	Additional     []string `json:"additional,omitempty"`
}

func lbListenerStates(ls []lbcerts.Listener) []LBListenerState {
	var out []LBListenerState
	for _, l := range ls {
		st := LBListenerState{ID: l.ID, Region: l.Region, LoadBalancerID: l.LoadBalancerID, Protocol: l.Protocol, Port: l.Port, Certificate: l.Default}
		for _, a := range l.Additional {
			st.Additional = append(st.Additional, a.ID)
		}
		out = append(out, st)
	}
	return out
}
