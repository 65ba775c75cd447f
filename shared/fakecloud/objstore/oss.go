package objstore

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"hash/crc64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

var ossService = &service{
	name:         storeOSS,
	requestIDHdr: "x-oss-request-id",
	serverHdr:    "AliyunOSS",
	authenticate: (*Store).ossAuthenticate,
	classify:     ossClassify,
	handle:       (*Store).ossHandle,
	writeError:   ossWriteError,
	keyError: func(key string) *apiError {
		return errorf(http.StatusBadRequest, "InvalidObjectName", "The specified object is not valid.")
	},
}

const ossTimeLayout = "2006-01-02T15:04:05.000Z"

func ossClassify(c *call) (string, bool) {
	q := c.r.URL.Query()
	switch {
	case c.bucket == "":
		return "", false
	case c.key == "":
		if c.r.Method == http.MethodGet && hasSubresource(q, "list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token", "start-after", "fetch-owner") {
			return "", false
		}
		if c.r.Method == http.MethodGet && q.Get("list-type") == "2" {
			return "ListObjectsV2", false
		}
		if c.r.Method == http.MethodGet {
			return "ListObjects", false
		}
		return "", false
	case q.Has("symlink"):
		switch c.r.Method {
		case http.MethodGet:
			return "GetSymlink", false
		case http.MethodPut:
			return "PutSymlink", true
		}
		return "", false
	case hasSubresource(q, "list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type", "continuation-token", "start-after", "fetch-owner", "versionId", "x-id", "response-content-type"):
		return "", false
	}
	switch c.r.Method {
	case http.MethodGet:
		return "GetObject", false
	case http.MethodHead:
		return "HeadObject", false
	case http.MethodPut:
		return "PutObject", true
	case http.MethodDelete:
		return "DeleteObject", true
	}
	return "", false
}

// hasSubresource reports whether q has a parameter outside allowed.
func hasSubresource(q url.Values, allowed ...string) bool {
	for k := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || k == a
		}
		if !ok {
			return true
		}
	}
	return false
}

// ossAuthenticate verifies an OSS V4 Authorization header.
func (s *Store) ossAuthenticate(c *call) (string, *apiError) {
	r := c.r
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "":
		return "", errorf(http.StatusForbidden, "AccessDenied", "You have no right to access this object because of bucket acl.")
	case strings.HasPrefix(auth, "OSS "):
		return "", errorf(http.StatusForbidden, "AccessDenied", "Only OSS V4 signatures (OSS4-HMAC-SHA256) are emulated; configure the client for signature version 4.")
	}
	malformed := errorf(http.StatusBadRequest, "InvalidArgument", "Authorization header is invalid.", xmlField{"Authorization", auth})
	f, ok := authFields(auth, ossV4Algorithm)
	if !ok || f["Credential"] == "" || f["Signature"] == "" {
		return "", malformed
	}
	cred, ok := parseCredential(f["Credential"])
	if !ok || cred.service != "oss" || cred.terminator != ossV4Terminator {
		return "", malformed
	}
	key, ok := s.lookupKey(cred.accessKeyID)
	if !ok {
		return cred.region, errorf(http.StatusForbidden, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.",
			xmlField{"OSSAccessKeyId", cred.accessKeyID})
	}
	datetime := r.Header.Get("x-oss-date")
	t, err := time.Parse(amzDateLayout, datetime)
	if err != nil {
		return cred.region, errorf(http.StatusForbidden, "AccessDenied", "Invalid date format of header x-oss-date.")
	}
	if aerr := checkTime(c, t, ossTimeLayout); aerr != nil {
		return cred.region, aerr
	}
	if datetime[:8] != cred.date {
		return cred.region, errorf(http.StatusBadRequest, "InvalidArgument", "Invalid signing date in Authorization header.")
	}
	if sum := r.Header.Get("x-oss-content-sha256"); sum != unsignedPayload && !isSHA256Hex(sum) {
		return cred.region, errorf(http.StatusBadRequest, "InvalidArgument",
			"x-oss-content-sha256 is required and must be UNSIGNED-PAYLOAD or a hex SHA-256.")
	}
	var additional []string
	if v := f["AdditionalHeaders"]; v != "" {
		additional = strings.Split(strings.ToLower(v), ";")
	}
	canonical := ossCanonicalRequest(r, c.bucket, c.key, additional)
	sts := ossStringToSign(datetime, cred.scope(), canonical)
	want := ossSignature(key.AccessKeySecret, cred.date, cred.region, cred.service, sts)
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return cred.region, errorf(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			xmlField{"OSSAccessKeyId", cred.accessKeyID}, xmlField{"StringToSign", sts}, xmlField{"CanonicalRequest", canonical})
	}
	if tok := r.Header.Get("x-oss-security-token"); tok != key.SecurityToken {
		msg := "The security token you provided is invalid."
		if key.SecurityToken != "" && tok == "" {
			msg = "The security token is required for a temporary (STS) access key."
		}
		return cred.region, errorf(http.StatusForbidden, "InvalidSecurityToken", msg)
	}
	return cred.region, nil
}

func (s *Store) lookupKey(id string) (fakecore.Credential, bool) {
	if s.keys == nil {
		return fakecore.Credential{}, false
	}
	return s.keys.Lookup(id)
}

func ossWriteError(c *call, e *apiError) {
	head := []xmlField{{"RequestId", c.requestID}, {"HostId", c.hostID}}
	switch e.code {
	case "NoSuchKey":
		head = append(head, xmlField{"Key", c.key})
	case "NoSuchBucket":
		head = append(head, xmlField{"BucketName", c.bucket})
	}
	body := errorDocument(e, head, nil)
	if c.r.Method == http.MethodHead {
		c.header().Set("x-oss-err", base64.StdEncoding.EncodeToString(body))
	}
	c.reply(e.status, "application/xml", body)
}

func ossNoSuchBucket() *apiError {
	return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist.")
}

func ossNoSuchKey() *apiError {
	return errorf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
}

func (s *Store) ossHandle(c *call) *apiError {
	switch c.action {
	case "ListObjectsV2":
		return s.ossList(c, true)
	case "ListObjects":
		return s.ossList(c, false)
	case "GetObject", "HeadObject":
		return s.ossGet(c)
	case "GetSymlink":
		ok, o := s.lookup(storeOSS, c.bucket, c.key)
		switch {
		case !ok:
			return ossNoSuchBucket()
		case o == nil:
			return ossNoSuchKey()
		case o.target == "":
			return errorf(http.StatusBadRequest, "NotSymlink", "The specified object is not a symlink.")
		}
		h := c.header()
		h.Set("x-oss-symlink-target", uriEncode(o.target, true))
		h.Set("ETag", ossETag(o))
		h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
		c.reply(http.StatusOK, "", nil)
		return nil
	case "PutObject", "PutSymlink":
		return s.ossPut(c)
	case "DeleteObject":
		if !s.remove(storeOSS, c.bucket, c.key) {
			return ossNoSuchBucket()
		}
		c.reply(http.StatusNoContent, "", nil)
		return nil
	}
	return errorf(http.StatusNotImplemented, "NotImplemented", "Not implemented.")
}

func ossETag(o *object) string {
	return `"` + strings.ToUpper(o.md5Hex) + `"`
}

func (s *Store) ossGet(c *call) *apiError {
	ok, o := s.lookup(storeOSS, c.bucket, c.key)
	switch {
	case !ok:
		return ossNoSuchBucket()
	case o == nil:
		return ossNoSuchKey()
	}
	objType := "Normal"
	if o.target != "" {
		objType = "Symlink"
		_, t := s.lookup(storeOSS, c.bucket, o.target)
		switch {
		case t == nil:
			return errorf(http.StatusNotFound, "SymlinkTargetNotExist", "The symlink target object does not exist.",
				xmlField{"SymlinkTarget", o.target})
		case t.target != "":
			return errorf(http.StatusBadRequest, "InvalidTargetType", "The symlink target object must be a normal object.",
				xmlField{"SymlinkTarget", o.target})
		}
		c.params["target"] = o.target
		o = t
	}
	h := c.header()
	h.Set("ETag", ossETag(o))
	// GetObject and HeadObject answer Last-Modified, an HTTP-date (see object.modified).
	h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
	h.Set("Accept-Ranges", "bytes")
	h.Set("x-oss-object-type", objType)
	h.Set("x-oss-storage-class", "Standard")
	h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64Sum(o.body), 10))
	c.reply(http.StatusOK, o.contentType, o.body)
	return nil
}

func (s *Store) ossPut(c *call) *apiError {
	r := c.r
	body, aerr := readBody(r, maxBodyLen)
	if aerr != nil {
		return aerr
	}
	if sum := r.Header.Get("x-oss-content-sha256"); sum != "" && sum != unsignedPayload {
		if got := sha256Hex(string(body)); got != sum {
			return errorf(http.StatusBadRequest, "InvalidDigest", "The x-oss-content-sha256 you specified did not match what we received.")
		}
	}
	if v := r.Header.Get("Content-MD5"); v != "" {
		sum := md5.Sum(body)
		if v != base64.StdEncoding.EncodeToString(sum[:]) {
			return errorf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
		}
	}
	o := newObject(body, r.Header.Get("Content-Type"), c.now)
	if c.action == "PutSymlink" {
		target := r.Header.Get("x-oss-symlink-target")
		if dec, err := url.PathUnescape(target); err == nil {
			target = dec
		}
		c.params["target"] = target
		if target == "" || len(target) > maxKeyLen {
			return errorf(http.StatusBadRequest, "InvalidArgument", "x-oss-symlink-target is invalid.")
		}
		o.target = target
		o.md5Hex = hex.EncodeToString(md5Sum([]byte(target)))
	}
	if !s.store(storeOSS, c.bucket, c.key, o) {
		return ossNoSuchBucket()
	}
	h := c.header()
	h.Set("ETag", ossETag(o))
	if c.action == "PutObject" {
		h.Set("Content-MD5", base64.StdEncoding.EncodeToString(md5Sum(body)))
		h.Set("x-oss-hash-crc64ecma", strconv.FormatUint(crc64Sum(body), 10))
	}
	c.reply(http.StatusOK, "", nil)
	return nil
}

func md5Sum(b []byte) []byte {
	sum := md5.Sum(b)
	return sum[:]
}

// ossListResult is the ListBucketResult document of ListObjects (v1) and ListObjectsV2.
type ossListResult struct {
	XMLName               xml.Name         `xml:"ListBucketResult"`
	Name                  string           `xml:"Name"`
	Prefix                string           `xml:"Prefix"`
	Marker                *string          `xml:"Marker,omitempty"`
	ContinuationToken     *string          `xml:"ContinuationToken,omitempty"`
	MaxKeys               int              `xml:"MaxKeys"`
	Delimiter             string           `xml:"Delimiter"`
	StartAfter            *string          `xml:"StartAfter,omitempty"`
	EncodingType          *string          `xml:"EncodingType,omitempty"`
	IsTruncated           bool             `xml:"IsTruncated"`
	NextMarker            *string          `xml:"NextMarker,omitempty"`
	NextContinuationToken *string          `xml:"NextContinuationToken,omitempty"`
	Contents              []ossListContent `xml:"Contents"`
	CommonPrefixes        []listPrefix     `xml:"CommonPrefixes"`
	KeyCount              *int             `xml:"KeyCount,omitempty"`
}

type ossListContent struct {
	Key          string `xml:"Key"`
	LastModified string `xml:"LastModified"`
	ETag         string `xml:"ETag"`
	Type         string `xml:"Type"`
	Size         int    `xml:"Size"`
	StorageClass string `xml:"StorageClass"`
}

type listPrefix struct {
	Prefix string `xml:"Prefix"`
}

func (s *Store) ossList(c *call, v2 bool) *apiError {
	prefix, delimiter, max, aerr := listParams(c, 100)
	if aerr != nil {
		return aerr
	}
	q := c.r.URL.Query()
	enc := listEncoder(c)
	res := ossListResult{Name: c.bucket, Prefix: enc(prefix), MaxKeys: max, Delimiter: enc(delimiter)}
	if q.Get("encoding-type") == "url" {
		res.EncodingType = optional("url")
	}
	marker := q.Get("marker")
	if v2 {
		marker = q.Get("start-after")
		res.StartAfter = optional(enc(marker))
		if q.Has("continuation-token") {
			tok := q.Get("continuation-token")
			m, err := decodeToken(tok)
			if err != nil {
				return errorf(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect.",
					xmlField{"ArgumentName", "continuation-token"})
			}
			res.ContinuationToken = &tok
			marker = max2(marker, m)
		}
	} else {
		res.Marker = &marker
		*res.Marker = enc(marker)
	}
	l, ok := s.list(storeOSS, c.bucket, prefix, delimiter, marker, max)
	if !ok {
		return ossNoSuchBucket()
	}
	res.IsTruncated = l.truncated
	if l.truncated {
		if v2 {
			res.NextContinuationToken = optional(encodeToken(l.nextMarker))
		} else {
			res.NextMarker = optional(enc(l.nextMarker))
		}
	}
	for _, e := range l.contents {
		typ, size := "Normal", len(e.obj.body)
		if e.obj.target != "" {
			typ, size = "Symlink", 0
		}
		res.Contents = append(res.Contents, ossListContent{
			Key: enc(e.key), LastModified: e.obj.modified.Format(ossTimeLayout), ETag: ossETag(e.obj),
			Type: typ, Size: size, StorageClass: "Standard",
		})
	}
	for _, p := range l.prefixes {
		res.CommonPrefixes = append(res.CommonPrefixes, listPrefix{enc(p)})
	}
	if v2 {
		n := len(l.contents) + len(l.prefixes)
		res.KeyCount = &n
	}
	c.replyXML(http.StatusOK, res)
	return nil
}

func max2(a, b string) string {
	if a > b {
		return a
	}
	return b
}

// crc64Sum is the CRC-64/ECMA value OSS answers in x-oss-hash-crc64ecma.
func crc64Sum(b []byte) uint64 {
	return crc64.Checksum(b, crc64ECMA)
}

var crc64ECMA = crc64.MakeTable(crc64.ECMA)
