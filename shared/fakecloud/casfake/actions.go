package casfake

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/popgateway"
)

// JSON shapes: field names and types are those of the SDK structs in services/cas
// (get_user_certificate_detail.go, list_user_certificate_order.go,
// struct_certificate_order_list_item.go, upload_user_certificate.go).

type detailJSON struct {
	Cert              string `json:"Cert,omitempty"`
	Key               string `json:"Key,omitempty"`
	EncryptCert       string `json:"EncryptCert,omitempty"`
	EncryptPrivateKey string `json:"EncryptPrivateKey,omitempty"`
	SignCert          string `json:"SignCert,omitempty"`
	SignPrivateKey    string `json:"SignPrivateKey,omitempty"`
	Id                int64
	Name              string
	RequestId         string
	Common            string
	Fingerprint       string
	Issuer            string
	OrgName           string
	Province          string
	City              string
	Country           string
	StartDate         string
	EndDate           string
	Sans              string
	Expired           bool
	BuyInAliyun       bool
	OrderId           int64
	ResourceGroupId   string
	Algorithm         string
}

type orderItemJSON struct {
	Algorithm       string
	AliyunOrderId   int64
	BuyDate         int64
	CertEndTime     int64
	CertStartTime   int64
	CertType        string
	Domain          string
	DomainCount     int64
	DomainType      string
	InstanceId      string
	OrderId         int64
	PartnerOrderId  string
	ProductCode     string
	ProductName     string
	RootBrand       string
	SourceType      string
	Status          string
	TrusteeStatus   string
	WildDomainCount int64
	CertificateId   int64
	Name            string
	CommonName      string
	Fingerprint     string
	Sha2            string
	SerialNo        string
	Issuer          string
	OrgName         string
	Province        string
	City            string
	Country         string
	Sans            string
	Expired         bool
	Upload          bool
	StartDate       string
	EndDate         string
	ResourceGroupId string
}

type listJSON struct {
	ShowSize             int64
	CurrentPage          int64
	TotalCount           int64
	RequestId            string
	CertificateOrderList []orderItemJSON
}

type uploadJSON struct {
	CertId    int64
	RequestId string
}

// dateStr is CAS's StartDate/EndDate format ("2018-07-13"), here in UTC.
func dateStr(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// getUserCertificateDetail answers a certificate with its PEMs unless CertFilter=true.
func (s *Service) getUserCertificateDetail(r *popgateway.Request) (any, *APIError) {
	id, _, e := r.Int("CertId")
	if e != nil {
		return nil, e
	}
	filter := false
	if v := r.Get("CertFilter"); v != "" {
		var err error
		if filter, err = strconv.ParseBool(v); err != nil {
			return nil, errInvalidParam("The specified parameter CertFilter is not valid.")
		}
	}
	c, ok := s.certs[id]
	if !ok {
		return nil, errCertNotFound()
	}
	now := s.now()
	out := detailJSON{
		Id: c.id, Name: c.name, RequestId: r.RequestID, Common: c.commonName, Fingerprint: c.fingerprint,
		Issuer: c.issuer, OrgName: c.orgName, Province: c.province, City: c.city, Country: c.country,
		StartDate: dateStr(c.notBefore), EndDate: dateStr(c.notAfter), Sans: strings.Join(c.sans, ","),
		Expired: c.expired(now), Algorithm: c.algorithm,
	}
	if !filter {
		out.Cert, out.Key = c.certPEM, c.keyPEM
		out.SignCert, out.SignPrivateKey = c.signCert, c.signKey
		out.EncryptCert, out.EncryptPrivateKey = c.encryptCert, c.encrKey
	}
	return out, nil
}

// orderStatuses are the documented Status values; only the last three apply to certificates.
var orderStatuses = []string{"PAYED", "CHECKING", "CHECKED_FAIL", "NOTACTIVATED", "REVOKED", "ISSUED", "WILLEXPIRED", "EXPIRED"}

// listUserCertificateOrder lists certificates for OrderType CERT or UPLOAD (every certificate
// here was uploaded) and no orders for CPACK (the documented default) or BUY.
func (s *Service) listUserCertificateOrder(r *popgateway.Request) (any, *APIError) {
	orderType := r.Get("OrderType")
	if orderType == "" {
		orderType = "CPACK"
	}
	if orderType != "CERT" && orderType != "UPLOAD" && orderType != "CPACK" && orderType != "BUY" {
		return nil, errInvalidParam("The specified parameter OrderType is not valid.")
	}
	status := r.Get("Status")
	if status != "" && !slices.Contains(orderStatuses, status) {
		return nil, errInvalidParam("The specified parameter Status is not valid.")
	}
	page, ok, e := r.Int("CurrentPage")
	if e != nil || ok && page < 1 {
		return nil, errInvalidParam("The specified parameter CurrentPage is not valid.")
	}
	if !ok {
		page = 1
	}
	size, ok, e := r.Int("ShowSize")
	if e != nil || ok && size < 1 {
		return nil, errInvalidParam("The specified parameter ShowSize is not valid.")
	}
	if !ok {
		size = 50
	}

	now := s.now()
	var all []orderItemJSON
	if orderType == "CERT" || orderType == "UPLOAD" {
		keyword := strings.ToLower(r.Get("Keyword"))
		for _, c := range s.sortedLocked() {
			st := c.status(now)
			if status == "" && st != "ISSUED" && st != "WILLEXPIRED" || status != "" && st != status || !c.matches(keyword) {
				continue
			}
			all = append(all, c.orderItem(st, now))
		}
	}
	out := listJSON{ShowSize: size, CurrentPage: page, TotalCount: int64(len(all)), RequestId: r.RequestID,
		CertificateOrderList: []orderItemJSON{}}
	if start := (page - 1) * size; start < int64(len(all)) {
		out.CertificateOrderList = all[start:min(start+size, int64(len(all)))]
	}
	return out, nil
}

// matches is the Keyword fuzzy match: a case-insensitive substring of the id, name or a domain.
func (c *certificate) matches(keyword string) bool {
	if keyword == "" || strings.Contains(strconv.FormatInt(c.id, 10), keyword) {
		return true
	}
	for _, v := range append([]string{c.name, c.commonName}, c.sans...) {
		if strings.Contains(strings.ToLower(v), keyword) {
			return true
		}
	}
	return false
}

func (c *certificate) orderItem(status string, now time.Time) orderItemJSON {
	return orderItemJSON{
		Algorithm: c.algorithm, CertEndTime: millis(c.notAfter), CertStartTime: millis(c.notBefore),
		Status: status, SourceType: "upload", CertificateId: c.id, Name: c.name, CommonName: c.commonName,
		Fingerprint: c.fingerprint, Sha2: c.sha2, SerialNo: c.serial, Issuer: c.issuer,
		OrgName: c.orgName, Province: c.province, City: c.city, Country: c.country,
		Sans: strings.Join(c.sans, ","), Expired: c.expired(now), Upload: true,
		StartDate: dateStr(c.notBefore), EndDate: dateStr(c.notAfter),
	}
}

func (s *Service) uploadUserCertificate(r *popgateway.Request) (any, *APIError) {
	if r.Get("SignCert") != "" || r.Get("EncryptCert") != "" {
		return nil, errSM2Upload()
	}
	for _, name := range []string{"Cert", "Key"} {
		if r.Get(name) == "" {
			return nil, popgateway.Missing(name)
		}
	}
	c, e := s.uploadLocked(r.Get("Name"), r.Get("Cert"), r.Get("Key"))
	if e != nil {
		return nil, e
	}
	return uploadJSON{CertId: c.id, RequestId: r.RequestID}, nil
}
