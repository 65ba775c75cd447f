package main

import (
	"encoding/json"
	"flag"
	"fmt"

	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// The Huawei ELB rotation: -huawei HTTPS listeners over ten load balancers of one project, each
// named by its own listener_id target (ELB has no region-wide target), all serving one old
// certificate, rotated with the defaults and in the sequential baseline.

var huaweiListeners = flag.Int("huawei", 100, "Huawei ELB HTTPS listeners to rotate (0: none)")

const (
	huaweiRegion  = "cn-north-4"
	huaweiProject = "0b1c2d3e4f5a67890b1c2d3e4f5a6789"
	huaweiLBs     = 10
)

// huaweiRow is the ELB measurement.
type huaweiRow struct {
	listeners int
	def, seq  measured
}

func (r huaweiRow) ratio() float64 {
	if r.seq.wall == 0 {
		return 0
	}
	return float64(r.seq.wall) / float64(r.def.wall)
}

// huaweiRotation seeds n listeners and runs rotate over them once with env.
func (w *world) huaweiRotation(what, bin string, n int, env []string) (measured, error) {
	cloud := fakecloud.New()
	elb := cloud.ELB()
	oldID, err := elb.AddCertificate(huaweiProject, elbfake.Certificate{Name: "old", Type: "server", Certificate: string(w.oldCert), PrivateKey: string(w.oldKey)})
	if err != nil {
		return measured{}, err
	}
	lbIDs := make([]string, huaweiLBs)
	for i := range lbIDs {
		lbIDs[i] = elb.AddLoadBalancer(huaweiProject, elbfake.LoadBalancer{Name: fmt.Sprintf("lb-%02d", i)})
	}
	type target struct {
		Provider   string `json:"provider"`
		Region     string `json:"region"`
		Name       string `json:"name"`
		ListenerID string `json:"listener_id"`
	}
	targets := make([]target, n)
	for i := range n {
		id := elb.AddListener(huaweiProject, elbfake.Listener{Name: fmt.Sprintf("https-%03d", i), LoadBalancerID: lbIDs[i%huaweiLBs],
			Protocol: "HTTPS", Port: 443 + i/huaweiLBs, DefaultTLSContainerRef: oldID})
		targets[i] = target{Provider: "huaweielb", Region: huaweiRegion, Name: fmt.Sprintf("elb-%03d", i), ListenerID: id}
	}
	tj, err := json.Marshal(targets)
	if err != nil {
		return measured{}, err
	}
	e, err := serve(cloud)
	if err != nil {
		return measured{}, err
	}
	defer e.Close()
	env = append([]string{
		"ROTATE_TARGETS=" + string(tj),
		"ROTATE_ELB_ENDPOINT=" + e.url,
		"HUAWEICLOUD_SDK_AK=" + fakecore.DefaultAccessKeyID, "HUAWEICLOUD_SDK_SK=" + fakecore.DefaultAccessKeySecret,
		"HUAWEICLOUD_SDK_PROJECT_ID=" + huaweiProject,
	}, env...)
	m, err := e.run(what, bin, []string{"invoke", "--event", w.event}, env)
	if err != nil {
		return m, err
	}
	if err := m.expect(what, "rotated"); err != nil {
		return m, err
	}
	if len(m.rep.Targets) != n {
		return m, fmt.Errorf("%s: %d targets reported, want %d", what, len(m.rep.Targets), n)
	}
	for _, l := range elb.Listeners(huaweiProject) {
		if l.DefaultTLSContainerRef == oldID {
			return m, fmt.Errorf("%s: listener %s still serves the old certificate", what, l.Name)
		}
	}
	return m, nil
}
