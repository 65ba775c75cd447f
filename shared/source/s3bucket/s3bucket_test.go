package s3bucket

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/certs/certstest"
	"github.com/certrotate/certrotate/shared/fakecloud"
	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
	"github.com/certrotate/certrotate/shared/source"
)

// setEnv points the AWS SDK's default chain at the emulator, as an operator would with
// AWS_ENDPOINT_URL_S3.
func setEnv(t *testing.T, url, secret string) {
	t.Setenv("AWS_ENDPOINT_URL_S3", url)
	t.Setenv("AWS_ACCESS_KEY_ID", fakecore.DefaultAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}

func TestReadsFolderThroughTheRealClient(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	setEnv(t, url, fakecore.DefaultAccessKeySecret)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"www.example.com"}, KeyType: certstest.RSA2048, KeyFormat: certstest.FormatPKCS1})
	cloud.Objects().Put("s3", "certs", "sites/www+example.com/fullchain.pem", is.FullchainPEM)
	cloud.Objects().Put("s3", "certs", "sites/www+example.com/privkey.pem", is.KeyPEM)
	ctx := context.Background()
	b, err := New(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := source.FromFolder(ctx, b, "certs", "sites/www+example.com/privkey.pem", time.Now())
	if err != nil || !bundle.Leaf.Equal(is.Leaf) {
		t.Fatalf("FromFolder: %v", err)
	}
	if _, _, err := b.Get(ctx, "certs", "nope", 10); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	var s3calls int
	for _, c := range cloud.Calls() {
		if c.Service == "s3" {
			s3calls++
		}
		if c.Mutating {
			t.Fatalf("reading made a mutating call: %+v", c)
		}
	}
	if s3calls == 0 {
		t.Fatal("AWS_ENDPOINT_URL_S3 was not honoured: the emulator saw no S3 call")
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	setEnv(t, url, "wrong")
	cloud.Objects().Put("s3", "certs", "a/fullchain.pem", []byte("x"))
	b, err := New(context.Background(), "us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Get(context.Background(), "certs", "a/fullchain.pem", 100); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("want SignatureDoesNotMatch, got %v", err)
	}
}

// TestMissingCredentialsAreAConfigurationProblem: no keys is said at once, naming the variables,
// instead of a call that fails the same way on every retry.
func TestMissingCredentialsAreAConfigurationProblem(t *testing.T) {
	_, url := fakecloud.Start(t)
	for _, tc := range []struct{ name, id, secret string }{
		{"neither", "", ""},
		{"no secret", fakecore.DefaultAccessKeyID, ""},
		{"no key id", "", fakecore.DefaultAccessKeySecret},
	} {
		t.Run(tc.name, func(t *testing.T) {
			setEnv(t, url, tc.secret)
			t.Setenv("AWS_ACCESS_KEY_ID", tc.id)
			_, err := New(context.Background(), "us-east-1")
			if err == nil || !strings.Contains(err.Error(), "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set") {
				t.Fatalf("err = %v, want one naming the variables", err)
			}
		})
	}
}

// TestLastModifiedTravels: S3's times for an object (ListObjectsV2 Contents.LastModified,
// GetObject's Last-Modified header) reach FromFolder through the real SDK: a folder holding a
// certificate and no key is pending just after the upload, a bad-input failure once the
// certificate has been unchanged for source.SettleWindow.
func TestLastModifiedTravels(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	setEnv(t, url, fakecore.DefaultAccessKeySecret)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	before := time.Now().Truncate(time.Second) // stores keep whole seconds
	cloud.Objects().Put("s3", "certs", "site/fullchain.pem", is.FullchainPEM)
	after := time.Now()
	ctx := context.Background()
	b, err := New(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	objects, err := b.List(ctx, "certs", "site/")
	if err != nil || len(objects) != 1 {
		t.Fatalf("List = %v, %v", objects, err)
	}
	_, modified, err := b.Get(ctx, "certs", "site/fullchain.pem", 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	for what, got := range map[string]time.Time{"List": objects[0].LastModified, "Get": modified} {
		if got.Before(before) || got.After(after) {
			t.Errorf("%s: last modified %v, want the upload's time (between %v and %v)", what, got, before, after)
		}
	}

	var pending *source.PendingError
	if _, err := source.FromFolder(ctx, b, "certs", "site/fullchain.pem", after); !errors.As(err, &pending) {
		t.Fatalf("just uploaded: want pending, got %v", err)
	}
	var bad *certs.Error
	_, err = source.FromFolder(ctx, b, "certs", "site/fullchain.pem", after.Add(source.SettleWindow))
	if !errors.As(err, &bad) || !strings.Contains(bad.Reason, "holds no private key") {
		t.Fatalf("unchanged for the settle window: want a *certs.Error, got %v", err)
	}
}
