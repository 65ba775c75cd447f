package cas

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	sdkcas "github.com/aliyun/alibaba-cloud-sdk-go/services/cas"

	"github.com/certrotate/certrotate/shared/certs"
	"github.com/certrotate/certrotate/shared/provider"
	"github.com/certrotate/certrotate/shared/provider/alipop"
	"github.com/certrotate/certrotate/shared/retry"
)

// The certificate store side of CAS, for the ALB and NLB providers: upload, list, delete. CAS is
// the one place those load balancers take certificates from; this package is the only importer
// of services/cas.

// Certificate is a certificate CAS holds, as ListUserCertificateOrder describes it.
type Certificate struct {
	ID          int64
	Name        string
	Fingerprint string    // SHA-1 of the leaf, as certs.NormalizeFingerprint gives it
	Names       []string  // common name and SANs, lower-case
	NotBefore   time.Time // CertStartTime
	NotAfter    time.Time // CertEndTime
}

// ErrNameTaken is wrapped by Upload's error when CAS already holds a certificate of that name
// (names are unique per account).
var ErrNameTaken = errors.New("certificate name already used")

// inUseCodes are the answers of DeleteUserCertificate for a certificate a cloud resource still
// uses. No public source gives the code (see the closing note of issue 14): the emulator answers
// the first one, and any code that says the certificate is in use or deployed is taken as such.
var inUseCodes = map[string]bool{"CertificateInUse": true, "ResourceInUse": true}

// retried runs one CAS call with retries, each attempt bounded by ctx (call).
func (c *Client) retried(ctx context.Context, fn func(*sdkcas.Client) error) error {
	return retry.Do(ctx, c.retry, alipop.Retryable, func() error { return c.call(ctx, fn) })
}

// Upload stores certificatePEM (leaf first) and privateKeyPEM under name and returns the CAS id.
// The key is sent to CAS only; no error holds it.
func (c *Client) Upload(ctx context.Context, name, certificatePEM, privateKeyPEM string) (int64, error) {
	var resp *sdkcas.UploadUserCertificateResponse
	err := c.retried(ctx, func(s *sdkcas.Client) error {
		req := sdkcas.CreateUploadUserCertificateRequest()
		req.Name, req.Cert, req.Key = name, certificatePEM, privateKeyPEM
		var err error
		resp, err = s.UploadUserCertificate(req)
		return err
	})
	if err != nil {
		err = storeError("UploadUserCertificate", err)
		if apiCodeOf(err) == "NameRepeat" {
			return 0, fmt.Errorf("%w: %w", ErrNameTaken, err)
		}
		return 0, err
	}
	return resp.CertId, nil
}

// List returns every certificate CAS lists for the account (OrderType CERT: uploaded and
// issued), the valid ones and then the expired ones (which CAS lists only when asked for by
// Status), page by page: a listener may still serve an expired certificate, and the rotation
// needs its names.
func (c *Client) List(ctx context.Context) ([]Certificate, error) {
	var out []Certificate
	for _, status := range []string{"", "EXPIRED"} {
		got, err := c.list(ctx, status)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

func (c *Client) list(ctx context.Context, status string) ([]Certificate, error) {
	var out []Certificate
	for page := int64(1); ; page++ {
		var resp *sdkcas.ListUserCertificateOrderResponse
		err := c.retried(ctx, func(s *sdkcas.Client) error {
			req := sdkcas.CreateListUserCertificateOrderRequest()
			req.OrderType = "CERT"
			req.Status = status
			req.ShowSize = requests.NewInteger(50)
			req.CurrentPage = requests.NewInteger64(page)
			var err error
			resp, err = s.ListUserCertificateOrder(req)
			return err
		})
		if err != nil {
			return nil, storeError("ListUserCertificateOrder", err)
		}
		for _, it := range resp.CertificateOrderList {
			names := []string{it.CommonName}
			if it.Sans != "" {
				names = append(names, strings.Split(it.Sans, ",")...)
			}
			out = append(out, Certificate{
				ID: it.CertificateId, Name: it.Name, Fingerprint: certs.NormalizeFingerprint(it.Fingerprint),
				Names: certs.NormalizeNames(names), NotBefore: millis(it.CertStartTime), NotAfter: millis(it.CertEndTime),
			})
		}
		if len(resp.CertificateOrderList) == 0 || int64(len(out)) >= resp.TotalCount || page >= 200 {
			return out, nil
		}
	}
}

// Delete deletes certificate id. One CAS does not know counts as deleted; one a cloud resource
// still uses is refused by CAS, and the error wraps provider.ErrInUse.
func (c *Client) Delete(ctx context.Context, id int64) error {
	err := c.retried(ctx, func(s *sdkcas.Client) error {
		req := sdkcas.CreateDeleteUserCertificateRequest()
		req.CertId = requests.NewInteger64(id)
		_, err := s.DeleteUserCertificate(req)
		return err
	})
	if err == nil {
		return nil
	}
	err = storeError("DeleteUserCertificate", err)
	code := apiCodeOf(err)
	switch {
	case notFoundCodes[code]:
		return nil
	case inUseCodes[code]:
		return fmt.Errorf("%w: %w", provider.ErrInUse, err)
	}
	return err
}

// storeError sanitises an error of the store calls, prefixed with the action, and marks it
// Permanent unless retrying later could help.
func storeError(action string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("cas: %s: %w", action, err)
	}
	e := fetchError(0, err) // sanitised, marked; its "certificate 0" prefix is replaced below
	var ce *Error
	if errors.As(e, &ce) {
		out := fmt.Errorf("cas: %s: %w", action, ce)
		if provider.IsPermanent(e) {
			return provider.Permanent(out)
		}
		return out
	}
	return e
}

func apiCodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func millis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
