package huaweielb

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud/elbfake"
	"github.com/certrotate/certrotate/shared/provider"
)

func TestMarkOf(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"uploaded by certrotate; certrotate-deployment=prod", "prod"},
		{"certrotate-deployment=a-1,other", "a-1"},
		{"uploaded by certrotate", ""},
		{"xcertrotate-deployment=prod", ""},
		{"", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			if got := markOf(tc.in); got != tc.want {
				t.Fatalf("markOf(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestOwnershipIsTheDescriptionMark: a created certificate carries the deployment's mark; Owned
// lists only those; Delete refuses one named certrotate-… by hand or marked by another deployment.
func TestOwnershipIsTheDescriptionMark(t *testing.T) {
	e, elb := start(t)
	add := func(name, description string) string {
		is := certstest.Must(t, certstest.Options{DNSNames: []string{"www.example.com"}})
		id, err := elb.AddCertificate(testProject, elbfake.Certificate{Name: name, Description: description, Type: "server",
			Certificate: string(is.FullchainPEM), PrivateKey: string(is.KeyPEM)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	byHand := add("certrotate-by-hand", "uploaded by certrotate")
	other := add("certrotate-other", "certrotate-deployment=other")
	cfg := testConfig(e.URL)
	cfg.ProjectID, cfg.Deployment = testProject, "prod"
	p := mustNew(t, cfg)
	seeded := seedSNI(t, e, certificate(t, "www.example.com"))
	slot := discoverOne(t, p, seeded.Target)
	id, err := p.Deploy(context.Background(), slot, certificate(t, "www.example.com"))
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := elb.Certificate(testProject, id); markOf(c.Description) != "prod" {
		t.Fatalf("created certificate's description %q carries no mark of prod", c.Description)
	}
	owned, err := mustNew(t, cfg).Owned(context.Background(), testRegion)
	if err != nil || len(owned) != 1 || owned[0].ID != id {
		t.Fatalf("Owned = %+v, %v; want only %s", owned, err, id)
	}
	e.Cloud.ResetCalls()
	for _, tc := range []struct{ name, id string }{{"by hand", byHand}, {"another deployment's", other}} {
		t.Run(tc.name, func(t *testing.T) {
			err := mustNew(t, cfg).Delete(context.Background(), testRegion, tc.id)
			if err == nil || !provider.IsPermanent(err) || errors.Is(err, provider.ErrInUse) || !strings.Contains(err.Error(), "mark") {
				t.Fatalf("Delete = %v, want a permanent refusal", err)
			}
			if _, ok := elb.Certificate(testProject, tc.id); !ok {
				t.Fatal("deleted")
			}
		})
	}
	if m := mutating(e); len(m) > 0 {
		t.Fatalf("mutating calls: %v", m)
	}
}
