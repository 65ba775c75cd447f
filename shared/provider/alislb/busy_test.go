package alislb

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/provider"
)

// fastBusy keeps busy waits short in tests.
var fastBusy = BusyBackoff{Base: 40 * time.Millisecond, Max: 200 * time.Millisecond, Budget: time.Minute}

func (w *world) slots(t *testing.T, p *Provider, lbs ...string) []provider.Slot {
	t.Helper()
	var out []provider.Slot
	for _, lb := range lbs {
		s, err := p.Discover(context.Background(), provider.Target{Name: lb, Provider: provider.AliSLB, Region: testRegion, LoadBalancerID: lb})
		if err != nil {
			t.Fatal(err)
		}
		for _, slot := range s {
			if slot.Current.ID != w.shopID { // shop.other.org is not the fresh certificate's
				out = append(out, slot)
			}
		}
	}
	return out
}

func deployAll(p *Provider, slots []provider.Slot, b *certs.Bundle, ctx context.Context) []error {
	errs := make([]error, len(slots))
	var wg sync.WaitGroup
	for i, s := range slots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = p.Deploy(ctx, s, b)
		}()
	}
	wg.Wait()
	return errs
}

// TestNonRSARefusedBeforeAnyCall: CLB takes RSA certificates only, so an ECDSA bundle fails every
// slot with a Permanent error that says so and how to issue RSA, and SLB sees no call at all.
func TestNonRSARefusedBeforeAnyCall(t *testing.T) {
	w := newWorld(t)
	tests := []struct {
		name    string
		keyType certstest.KeyType
		format  string
	}{
		{"ecdsa p256 pkcs8", certstest.ECDSAP256, certstest.FormatPKCS8},
		{"ecdsa p256 sec1", certstest.ECDSAP256, certstest.FormatSEC1},
		{"ecdsa p384", certstest.ECDSAP384, certstest.FormatPKCS8},
	}
	p := w.provider(t)
	slots := w.slots(t, p, "lb-a", "lb-b")
	if len(slots) != 3 {
		t.Fatalf("%d slots, want 3 (two listeners and one SNI domain)", len(slots))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com", "*.example.com"}, KeyType: tt.keyType, KeyFormat: tt.format})
			b, err := certs.Parse(is.FullchainPEM, is.KeyPEM, nil)
			must(t, err)
			w.cloud.ResetCalls()
			for _, s := range slots {
				_, err := p.Deploy(context.Background(), s, b)
				if !provider.IsPermanent(err) || !errors.Is(err, ErrNotRSA) {
					t.Fatalf("%s: err = %v, want a Permanent ErrNotRSA", s.Name, err)
				}
				for _, want := range []string{"RSA certificates only", "ECDSA", "certbot --key-type rsa", "acme.sh --keylength 2048"} {
					if !strings.Contains(err.Error(), want) {
						t.Errorf("%s: error %q lacks %q", s.Name, err, want)
					}
				}
			}
			if calls := w.cloud.Calls(); len(calls) != 0 {
				t.Fatalf("SLB saw %d calls, want none: %+v", len(calls), calls)
			}
		})
	}
	// An RSA bundle (PKCS#8 input, converted) goes through the same provider.
	if _, err := p.Deploy(context.Background(), slots[0], w.fresh); err != nil {
		t.Fatalf("RSA after refusals: %v", err)
	}
}

// TestBusyLoadBalancerIsWaitedOut: with the emulator's configuring window on, deploying every slot
// of a load balancer at once meets busy answers; the provider waits them out and every slot ends
// on the new certificate.
func TestBusyLoadBalancerIsWaitedOut(t *testing.T) {
	w := newWorld(t)
	w.cloud.SetConfiguringWindow(150 * time.Millisecond)
	p := w.provider(t, func(c *Config) { c.Busy = fastBusy })
	slots := w.slots(t, p, "lb-a", "lb-b")
	w.cloud.ResetCalls()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for i, err := range deployAll(p, slots, w.fresh, ctx) {
		if err != nil {
			t.Fatalf("%s: %v", slots[i].Name, err)
		}
	}
	busy := 0
	for _, c := range w.cloud.Calls() {
		if busyCodes[c.Code] {
			busy++
		}
	}
	if busy == 0 {
		t.Fatal("no busy answer was met: the test does not exercise the configuring window")
	}
	up := w.cloud.SLB().ServerCertificates(testRegion)
	newID := up[len(up)-1].ID
	for _, l := range []struct {
		lb   string
		port int
	}{{"lb-a", 443}, {"lb-b", 443}} {
		if got, _ := w.cloud.SLB().ListenerCertificate(l.lb, l.port); got != newID {
			t.Errorf("%s:%d serves %s, want %s", l.lb, l.port, got, newID)
		}
	}
	if got, _ := w.cloud.SLB().DomainExtensionCertificate(w.extID); got != newID {
		t.Errorf("SNI serves %s, want %s", got, newID)
	}
}

// TestBusyPastTheDeadlineIsNotPermanent: a load balancer that stays busy longer than the
// invocation has left fails the slot with an error the platform's retry may fix.
func TestBusyPastTheDeadlineIsNotPermanent(t *testing.T) {
	w := newWorld(t)
	w.cloud.SetConfiguringWindow(time.Hour)
	p := w.provider(t, func(c *Config) { c.Busy = fastBusy })
	slots := w.slots(t, p, "lb-a")
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	if _, err := p.Deploy(ctx, slots[0], w.fresh); err != nil { // the first write starts the window
		t.Fatal(err)
	}
	w.cloud.ResetCalls()
	_, err := p.Deploy(ctx, slots[1], w.fresh)
	if err == nil || provider.IsPermanent(err) || !busy(err) {
		t.Fatalf("err = %v, want a busy error that is not Permanent", err)
	}
	if dl, _ := ctx.Deadline(); time.Now().After(dl.Add(time.Second)) {
		t.Error("the wait ran well past the deadline")
	}
	if n := len(w.actions(true)); n < 2 {
		t.Errorf("%d write attempts, want the busy write retried", n)
	}
}

// TestOneWriteInFlightPerLoadBalancer: the provider never has two writes in flight to one load
// balancer, however many slots it deploys at once; different load balancers are written in parallel.
func TestOneWriteInFlightPerLoadBalancer(t *testing.T) {
	w := newWorld(t)
	w.cloud.Faults().SetLatency(100 * time.Millisecond) // widen every call, so overlaps would show
	lbOfExt := map[string]string{w.extID: "lb-a"}
	var (
		mu       sync.Mutex
		inFlight = map[string]int{}
		maxSeen  = map[string]int{}
	)
	track := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		lb := q.Get("LoadBalancerId")
		if id := q.Get("DomainExtensionId"); id != "" && strings.HasPrefix(q.Get("Action"), "Set") {
			lb = lbOfExt[id]
		}
		write := strings.HasPrefix(q.Get("Action"), "Set") && lb != ""
		if write {
			mu.Lock()
			inFlight[lb]++
			maxSeen[lb] = max(maxSeen[lb], inFlight[lb])
			mu.Unlock()
			defer func() {
				mu.Lock()
				inFlight[lb]--
				mu.Unlock()
			}()
		}
		w.cloud.Handler().ServeHTTP(rw, r)
	})
	srv := httptest.NewServer(track)
	t.Cleanup(srv.Close)
	p := w.provider(t, func(c *Config) { c.Endpoint = srv.URL; c.Concurrency = 8; c.QPS = 1000 })
	slots := w.slots(t, p, "lb-a", "lb-b")
	for i, err := range deployAll(p, slots, w.fresh, context.Background()) {
		if err != nil {
			t.Fatalf("%s: %v", slots[i].Name, err)
		}
	}
	if maxSeen["lb-a"] != 1 || maxSeen["lb-b"] != 1 {
		t.Fatalf("writes in flight at once per load balancer: %v, want 1 each", maxSeen)
	}
}

func TestBusyCodesAreTransient(t *testing.T) {
	tests := []struct {
		code      string
		status    int
		busy      bool
		transient bool
	}{
		{"ServiceIsConfiguring", 400, true, true},
		{"OperationBusy", 400, true, true},
		{"BackendServer.configuring", 409, true, true},
		{"DomainExtensionProcessing", 400, true, true},
		{"OperationFailed.ListenerStatusNotSupport", 400, true, true},
		{"Throttling.User", 400, false, true},
		{"InvalidParameter", 400, false, false},
		{"ServerCertificateId.NotFound", 404, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			err := sdkerrors.NewServerError(tt.status, `{"Code":"`+tt.code+`","Message":"m","RequestId":"r"}`, "")
			if busy(err) != tt.busy || transient(err) != tt.transient {
				t.Fatalf("busy %v transient %v, want %v %v", busy(err), transient(err), tt.busy, tt.transient)
			}
			wrapped := wrap("SetLoadBalancerHTTPSListenerAttribute", err)
			if provider.IsPermanent(wrapped) == tt.transient || ErrorCode(wrapped) != tt.code {
				t.Fatalf("wrapped: permanent %v code %q", provider.IsPermanent(wrapped), ErrorCode(wrapped))
			}
		})
	}
}
