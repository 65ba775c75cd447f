package alislb

import (
	"context"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/provider"
)

// TestTargetOnAnHTTPListenerSaysSo: a target naming a plain HTTP listener fails permanently with
// "listener … is HTTP, not HTTPS", not with SLB's code for it.
func TestTargetOnAnHTTPListenerSaysSo(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		name   string
		target provider.Target
		want   string
	}{
		{"default certificate", provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 80}, "listener lb-a:80 is HTTP, not HTTPS"},
		{"SNI domain", provider.Target{Name: "t", Region: testRegion, LoadBalancerID: "lb-a", ListenerPort: 80, Domain: "a.example.com"}, "listener lb-a:80 is HTTP, not HTTPS"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := w.provider(t).Discover(context.Background(), tc.target)
			if err == nil || !provider.IsPermanent(err) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v (permanent %v), want a permanent error saying %q", err, provider.IsPermanent(err), tc.want)
			}
			if strings.Contains(err.Error(), codeNotHTTPS) {
				t.Errorf("the message quotes SLB's code instead of saying what is wrong: %v", err)
			}
		})
	}
}
