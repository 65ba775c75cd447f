package ossbucket

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

func newBucket(t *testing.T, url, secret string) *Bucket {
	t.Helper()
	b, err := New(Config{Region: "cn-hangzhou", Endpoint: url, AccessKeyID: fakecore.DefaultAccessKeyID, AccessKeySecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReadsFolderThroughTheRealClient(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	objs := cloud.Objects()
	objs.Put("oss", "certs", "live/example com/fullchain.pem", is.FullchainPEM)
	objs.Put("oss", "certs", "live/example com/privkey.pem", is.KeyPEM)
	objs.Put("oss", "certs", "live/example com/archive/old.pem", []byte("old"))
	objs.Put("oss", "certs", "live/other/fullchain.pem", []byte("other"))
	objs.PutSymlink("certs", "current", "live/example com/fullchain.pem")
	b := newBucket(t, url, fakecore.DefaultAccessKeySecret)
	ctx := context.Background()

	objects, err := b.List(ctx, "certs", "live/example com/")
	var keys []string
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	if err != nil || strings.Join(keys, ",") != "live/example com/fullchain.pem,live/example com/privkey.pem" {
		t.Fatalf("List = %v, %v", keys, err)
	}
	target, err := source.ResolveSymlink(ctx, b, "certs", "current")
	if err != nil || target != "live/example com/fullchain.pem" {
		t.Fatalf("ResolveSymlink = %q, %v", target, err)
	}
	bundle, err := source.FromFolder(ctx, b, "certs", target, time.Now())
	if err != nil || !bundle.Leaf.Equal(is.Leaf) {
		t.Fatalf("FromFolder: %v", err)
	}
	if _, _, err := b.Get(ctx, "certs", "live/missing.pem", 10); !errors.Is(err, source.ErrNotFound) {
		t.Fatalf("missing object: %v", err)
	}
	if _, _, err := b.Get(ctx, "certs", "live/example com/fullchain.pem", 10); !errors.Is(err, source.ErrTooLarge) {
		t.Fatalf("oversized object: %v", err)
	}
	if m := cloud.MutatingCalls(); len(m) != 0 {
		t.Fatalf("reading made mutating calls: %v", m)
	}
}

func TestWrongSecretIsRefused(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	cloud.Objects().Put("oss", "certs", "a/fullchain.pem", []byte("x"))
	_, _, err := newBucket(t, url, "wrong").Get(context.Background(), "certs", "a/fullchain.pem", 100)
	if err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Fatalf("want SignatureDoesNotMatch, got %v", err)
	}
}

func TestNewValidates(t *testing.T) {
	_, err := New(Config{Endpoint: "ftp://x"})
	for _, want := range []string{"no region", "no credentials", "ROTATE_OSS_ENDPOINT"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("New: %v, want %q", err, want)
		}
	}
}

// TestLastModifiedTravels: the times OSS gives for an object (ListObjectsV2 Contents.LastModified,
// GetObject's Last-Modified header) reach FromFolder through the real SDK, so a key that does not
// match its certificate is pending just after the upload and a bad-input failure once both have
// been unchanged for source.SettleWindow.
func TestLastModifiedTravels(t *testing.T) {
	cloud, url := fakecloud.Start(t)
	is := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	other := certstest.Must(t, certstest.Options{DNSNames: []string{"example.com"}})
	before := time.Now().Truncate(time.Second) // stores keep whole seconds
	cloud.Objects().Put("oss", "certs", "site/fullchain.pem", is.FullchainPEM)
	cloud.Objects().Put("oss", "certs", "site/privkey.pem", other.KeyPEM)
	after := time.Now()
	b := newBucket(t, url, fakecore.DefaultAccessKeySecret)
	ctx := context.Background()

	within := func(what string, got time.Time) {
		t.Helper()
		if got.Before(before) || got.After(after) {
			t.Errorf("%s: last modified %v, want the upload's time (between %v and %v)", what, got, before, after)
		}
	}
	objects, err := b.List(ctx, "certs", "site/")
	if err != nil || len(objects) != 2 {
		t.Fatalf("List = %v, %v", objects, err)
	}
	for _, o := range objects {
		within("List "+o.Key, o.LastModified)
	}
	_, modified, err := b.Get(ctx, "certs", "site/privkey.pem", 1<<14)
	if err != nil {
		t.Fatal(err)
	}
	within("Get", modified)

	var pending *source.PendingError
	if _, err := source.FromFolder(ctx, b, "certs", "site/fullchain.pem", after); !errors.As(err, &pending) {
		t.Fatalf("just uploaded: want pending, got %v", err)
	}
	var bad *certs.Error
	_, err = source.FromFolder(ctx, b, "certs", "site/fullchain.pem", after.Add(source.SettleWindow))
	if !errors.As(err, &bad) || !strings.Contains(bad.Reason, "upload the matching key") {
		t.Fatalf("unchanged for the settle window: want a *certs.Error, got %v", err)
	}
}
