package objstore

import (
	"crypto/hmac"
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

var s3Service = &service{
	name:         storeS3,
	requestIDHdr: "x-amz-request-id",
	serverHdr:    "AmazonS3",
	authenticate: (*Store).s3Authenticate,
	classify:     s3Classify,
	handle:       (*Store).s3Handle,
	writeError:   s3WriteError,
	keyError: func(key string) *apiError {
		if len(key) > maxKeyLen {
			return errorf(http.StatusBadRequest, "KeyTooLongError", "Your key is too long",
				xmlField{"MaxSizeAllowed", strconv.Itoa(maxKeyLen)}, xmlField{"Size", strconv.Itoa(len(key))})
		}
		return errorf(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	},
}

const s3TimeLayout = "2006-01-02T15:04:05.000Z"

var s3ListParams = []string{"list-type", "prefix", "delimiter", "marker", "max-keys", "encoding-type",
	"continuation-token", "start-after", "fetch-owner", "x-id"}

func s3Classify(c *call) (string, bool) {
	q := c.r.URL.Query()
	switch {
	case c.bucket == "":
		return "", false
	case c.key == "":
		if c.r.Method != http.MethodGet || hasSubresource(q, s3ListParams...) {
			return "", false
		}
		if q.Get("list-type") == "2" {
			return "ListObjectsV2", false
		}
		return "ListObjects", false
	case hasSubresource(q, "x-id"):
		return "", false
	}
	switch c.r.Method {
	case http.MethodGet:
		return "GetObject", false
	case http.MethodHead:
		return "HeadObject", false
	case http.MethodPut:
		if c.r.Header.Get("x-amz-copy-source") != "" {
			return "", true
		}
		return "PutObject", true
	case http.MethodDelete:
		return "DeleteObject", true
	}
	return "", false
}

// s3Authenticate verifies an AWS SigV4 Authorization header (service "s3").
func (s *Store) s3Authenticate(c *call) (string, *apiError) {
	r := c.r
	auth := r.Header.Get("Authorization")
	switch {
	case auth == "" && r.URL.Query().Has("X-Amz-Signature"):
		return "", errorf(http.StatusForbidden, "AccessDenied", "Presigned URLs are not emulated.")
	case auth == "":
		return "", errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	case !strings.HasPrefix(auth, awsV4Algorithm+" "):
		return "", errorf(http.StatusBadRequest, "InvalidRequest",
			"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	f, ok := authFields(auth, awsV4Algorithm)
	malformed := func(msg string) *apiError {
		return errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", msg)
	}
	if !ok || f["Credential"] == "" || f["SignedHeaders"] == "" || f["Signature"] == "" {
		return "", malformed("The authorization header is malformed; it must carry Credential, SignedHeaders and Signature.")
	}
	cred, ok := parseCredential(f["Credential"])
	if !ok {
		return "", malformed("The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".")
	}
	if cred.service != "s3" || cred.terminator != awsV4Terminator {
		return cred.region, malformed("The authorization header is malformed; incorrect service or terminal in the Credential scope.")
	}
	key, ok := s.lookupKey(cred.accessKeyID)
	if !ok {
		return cred.region, errorf(http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.",
			xmlField{"AWSAccessKeyId", cred.accessKeyID})
	}
	amzDate := r.Header.Get("x-amz-date")
	t, err := time.Parse(amzDateLayout, amzDate)
	if amzDate == "" {
		t, err = http.ParseTime(r.Header.Get("Date"))
		amzDate = t.UTC().Format(amzDateLayout)
	}
	if err != nil {
		return cred.region, errorf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if aerr := checkTime(c, t, amzDateLayout); aerr != nil {
		return cred.region, aerr
	}
	if amzDate[:8] != cred.date {
		return cred.region, malformed("The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date.")
	}
	payload := r.Header.Get("x-amz-content-sha256")
	if payload == "" {
		return cred.region, errorf(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	}
	signed := strings.Split(f["SignedHeaders"], ";")
	if !sort.StringsAreSorted(signed) || !contains(signed, "host") {
		return cred.region, malformed("The authorization header is malformed; SignedHeaders must be sorted, lower-case and include host.")
	}
	var unsigned []string
	for name := range r.Header {
		low := strings.ToLower(name)
		if strings.HasPrefix(low, "x-amz-") && !contains(signed, low) {
			unsigned = append(unsigned, low)
		}
	}
	if len(unsigned) > 0 {
		sort.Strings(unsigned)
		return cred.region, errorf(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed",
			xmlField{"HeadersNotSigned", strings.Join(unsigned, ", ")})
	}
	canonical := awsCanonicalRequest(r, signed, payload)
	sts := awsStringToSign(amzDate, cred.scope(), canonical)
	want := awsSignature(key.AccessKeySecret, cred.date, cred.region, cred.service, sts)
	if !hmac.Equal([]byte(want), []byte(f["Signature"])) {
		return cred.region, errorf(http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method.",
			xmlField{"AWSAccessKeyId", cred.accessKeyID}, xmlField{"StringToSign", sts},
			xmlField{"SignatureProvided", f["Signature"]}, xmlField{"CanonicalRequest", canonical})
	}
	if r.Header.Get("x-amz-security-token") != key.SecurityToken {
		return cred.region, errorf(http.StatusBadRequest, "InvalidToken", "The provided token is malformed or otherwise invalid.")
	}
	switch {
	case payload == unsignedPayload, payload == streamingTrailer, isSHA256Hex(payload):
	case strings.HasPrefix(payload, "STREAMING-"):
		return cred.region, errorf(http.StatusNotImplemented, "NotImplemented",
			"Signed streaming uploads ("+payload+") are not emulated; use UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a SHA-256 payload hash.")
	default:
		return cred.region, errorf(http.StatusBadRequest, "InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER or a valid sha256 value.")
	}
	return cred.region, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func isSHA256Hex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && len(s) == 64 && strings.ToLower(s) == s
}

func s3WriteError(c *call, e *apiError) {
	var head []xmlField
	switch e.code {
	case "NoSuchKey":
		head = append(head, xmlField{"Key", c.key})
	case "NoSuchBucket":
		head = append(head, xmlField{"BucketName", c.bucket})
	}
	c.reply(e.status, "application/xml", errorDocument(e, head, []xmlField{{"RequestId", c.requestID}, {"HostId", c.hostID}}))
}

func s3NoSuchBucket() *apiError {
	return errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
}

func s3NoSuchKey() *apiError {
	return errorf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
}

func (s *Store) s3Handle(c *call) *apiError {
	body, trailers, aerr := s3ReadPayload(c)
	if aerr != nil {
		return aerr
	}
	switch c.action {
	case "ListObjectsV2":
		return s.s3List(c, true)
	case "ListObjects":
		return s.s3List(c, false)
	case "GetObject", "HeadObject":
		ok, o := s.lookup(storeS3, c.bucket, c.key)
		switch {
		case !ok:
			return s3NoSuchBucket()
		case o == nil:
			return s3NoSuchKey()
		}
		h := c.header()
		h.Set("ETag", `"`+o.md5Hex+`"`)
		// GetObject and HeadObject answer Last-Modified, an HTTP-date (see object.modified).
		h.Set("Last-Modified", o.modified.Format(http.TimeFormat))
		h.Set("Accept-Ranges", "bytes")
		if strings.EqualFold(c.r.Header.Get("x-amz-checksum-mode"), "ENABLED") {
			sums := o.checksums
			if len(sums) == 0 {
				sums = map[string]string{"crc64nvme": checksum("crc64nvme", o.body)}
			}
			for alg, v := range sums {
				h.Set("x-amz-checksum-"+alg, v)
			}
			h.Set("x-amz-checksum-type", "FULL_OBJECT")
		}
		c.reply(http.StatusOK, o.contentType, o.body)
		return nil
	case "PutObject":
		sums, aerr := verifyChecksums(c.r.Header, trailers, body)
		if aerr != nil {
			return aerr
		}
		if v := c.r.Header.Get("Content-MD5"); v != "" {
			if _, err := base64.StdEncoding.DecodeString(v); err != nil {
				return errorf(http.StatusBadRequest, "InvalidDigest", "The Content-MD5 you specified was invalid.")
			}
			if sum := md5.Sum(body); v != base64.StdEncoding.EncodeToString(sum[:]) {
				return errorf(http.StatusBadRequest, "BadDigest", "The Content-MD5 you specified did not match what we received.")
			}
		}
		o := newObject(body, c.r.Header.Get("Content-Type"), c.now)
		o.checksums = sums
		if !s.store(storeS3, c.bucket, c.key, o) {
			return s3NoSuchBucket()
		}
		h := c.header()
		h.Set("ETag", `"`+o.md5Hex+`"`)
		for alg, v := range sums {
			h.Set("x-amz-checksum-"+alg, v)
		}
		if len(sums) > 0 {
			h.Set("x-amz-checksum-type", "FULL_OBJECT")
		}
		c.reply(http.StatusOK, "", nil)
		return nil
	case "DeleteObject":
		if !s.remove(storeS3, c.bucket, c.key) {
			return s3NoSuchBucket()
		}
		c.reply(http.StatusNoContent, "", nil)
		return nil
	}
	return errorf(http.StatusNotImplemented, "NotImplemented", "Not implemented.")
}

// s3ListResult is the ListBucketResult document of ListObjects (v1) and ListObjectsV2.
type s3ListResult struct {
	XMLName               xml.Name        `xml:"http://s3.amazonaws.com/doc/2006-03-01/ ListBucketResult"`
	Name                  string          `xml:"Name"`
	Prefix                string          `xml:"Prefix"`
	Marker                *string         `xml:"Marker,omitempty"`
	NextMarker            *string         `xml:"NextMarker,omitempty"`
	ContinuationToken     *string         `xml:"ContinuationToken,omitempty"`
	NextContinuationToken *string         `xml:"NextContinuationToken,omitempty"`
	StartAfter            *string         `xml:"StartAfter,omitempty"`
	KeyCount              *int            `xml:"KeyCount,omitempty"`
	MaxKeys               int             `xml:"MaxKeys"`
	Delimiter             *string         `xml:"Delimiter,omitempty"`
	EncodingType          *string         `xml:"EncodingType,omitempty"`
	IsTruncated           bool            `xml:"IsTruncated"`
	Contents              []s3ListContent `xml:"Contents"`
	CommonPrefixes        []listPrefix    `xml:"CommonPrefixes"`
}

type s3ListContent struct {
	Key               string   `xml:"Key"`
	LastModified      string   `xml:"LastModified"`
	ETag              string   `xml:"ETag"`
	ChecksumAlgorithm []string `xml:"ChecksumAlgorithm,omitempty"`
	ChecksumType      string   `xml:"ChecksumType,omitempty"`
	Size              int      `xml:"Size"`
	StorageClass      string   `xml:"StorageClass"`
}

func (s *Store) s3List(c *call, v2 bool) *apiError {
	prefix, delimiter, max, aerr := listParams(c, 1000)
	if aerr != nil {
		return aerr
	}
	q := c.r.URL.Query()
	enc := listEncoder(c)
	res := s3ListResult{Name: c.bucket, Prefix: enc(prefix), MaxKeys: max, Delimiter: optional(enc(delimiter))}
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
			if err != nil || tok == "" {
				return errorf(http.StatusBadRequest, "InvalidArgument", "The continuation token provided is incorrect",
					xmlField{"ArgumentName", "continuation-token"})
			}
			res.ContinuationToken = &tok
			marker = max2(marker, m)
		}
	} else {
		m := enc(marker)
		res.Marker = &m
	}
	l, ok := s.list(storeS3, c.bucket, prefix, delimiter, marker, max)
	if !ok {
		return s3NoSuchBucket()
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
		item := s3ListContent{
			Key: enc(e.key), LastModified: e.obj.modified.Format(s3TimeLayout), ETag: `"` + e.obj.md5Hex + `"`,
			Size: len(e.obj.body), StorageClass: "STANDARD",
		}
		for alg := range e.obj.checksums {
			item.ChecksumAlgorithm = append(item.ChecksumAlgorithm, strings.ToUpper(alg))
			item.ChecksumType = "FULL_OBJECT"
		}
		sort.Strings(item.ChecksumAlgorithm)
		res.Contents = append(res.Contents, item)
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
