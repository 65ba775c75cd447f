package fakecloud_test

import (
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud"
)

// TestSeedALBAndNLBListeners: the demo seed has an ALB listener with a default and an additional
// certificate from CAS; a listener naming a CAS certificate the seed lacks is refused.
func TestSeedALBAndNLBListeners(t *testing.T) {
	c := fakecloud.New()
	s, err := fakecloud.DemoSeed(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Seed(s); err != nil {
		t.Fatal(err)
	}
	ls := c.ALB().Store().Listeners()
	if len(ls) != 1 || ls[0].ID != fakecloud.DemoALBListener || ls[0].Default == "" || len(ls[0].Additional) != 1 ||
		!strings.HasSuffix(ls[0].Default, "-cn-hangzhou") {
		t.Fatalf("ALB listeners %+v", ls)
	}

	bad := fakecloud.Seed{NLBListeners: []fakecloud.SeedLBListener{{ID: "lsn-x@443", Region: "cn-hangzhou", Protocol: "TCPSSL", Port: 443, Certificate: "nope"}}}
	if err := fakecloud.New().Seed(bad); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Errorf("Seed with an unknown CAS name = %v", err)
	}
}
