package objstore

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/certrotate/certrotate/shared/fakecloud/fakecore"
)

// service holds what differs between the OSS and S3 front ends.
type service struct {
	name         string // "oss" or "s3": call log Service and store name
	requestIDHdr string
	serverHdr    string
	// authenticate checks the request signature and returns the signing region.
	authenticate func(s *Store, c *call) (string, *apiError)
	// classify names the action of a request and reports whether it mutates state.
	classify func(c *call) (string, bool)
	// handle executes an authenticated, validated action.
	handle func(s *Store, c *call) *apiError
	// writeError answers an error in the service's format.
	writeError func(c *call, e *apiError)
	// keyError is the error for an invalid object key.
	keyError func(key string) *apiError
}

// apiError is an error answered to the client.
type apiError struct {
	status  int
	code    string
	message string
	extra   []xmlField // extra elements of the <Error> document, in order
}

type xmlField struct{ name, value string }

func errorf(status int, code, message string, extra ...xmlField) *apiError {
	return &apiError{status: status, code: code, message: message, extra: extra}
}

// call is one request being served.
type call struct {
	w         http.ResponseWriter
	r         *http.Request
	svc       *service
	requestID string
	hostID    string
	now       time.Time

	bucket string // empty for service-level requests
	key    string // empty for bucket-level requests
	action string
	mut    bool
	params map[string]string
	status int
	code   string
}

func newRequestID(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return strings.ToUpper(hex.EncodeToString(b))
}

// serve runs one request through parse → authenticate → validate → faults → handle, and logs it.
func (s *Store) serve(svc *service, w http.ResponseWriter, r *http.Request) {
	c := &call{w: w, r: r, svc: svc, now: s.now(), params: map[string]string{}}
	if svc.name == storeOSS {
		c.requestID = newRequestID(12)
		c.hostID = r.Host
	} else {
		c.requestID = newRequestID(8)
		c.hostID = base64.StdEncoding.EncodeToString([]byte(newRequestID(24)))
	}
	path := strings.TrimPrefix(r.URL.Path, "/")
	c.bucket, c.key, _ = strings.Cut(path, "/")
	if c.bucket != "" {
		c.params["bucket"] = c.bucket
	}
	if c.key != "" {
		c.params["key"] = c.key
	}
	c.action, c.mut = svc.classify(c)

	region := ""
	defer func() {
		if s.log == nil {
			return
		}
		s.log.Add(fakecore.Call{
			Time: c.now, End: s.now(), Service: svc.name, Action: c.action, Region: region, Params: c.params,
			Status: c.status, Code: c.code, Mutating: c.mut,
		})
	}()

	region, aerr := svc.authenticate(s, c)
	if aerr == nil {
		aerr = s.validate(c)
	}
	if aerr == nil && s.faults != nil {
		switch s.faults.Apply(r.Context(), c.action) {
		case fakecore.Throttle:
			aerr = errorf(http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
		case fakecore.ServerError:
			aerr = errorf(http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
		}
	}
	if aerr == nil {
		aerr = svc.handle(s, c)
	}
	if aerr != nil {
		c.fail(aerr)
	}
}

// validate checks the bucket name, the object key and that the action is emulated.
func (s *Store) validate(c *call) *apiError {
	if c.action == "" {
		return errorf(http.StatusNotImplemented, "NotImplemented", "A header or query you provided implies functionality that is not implemented by this emulator.")
	}
	if c.bucket != "" && !validBucketName(c.bucket) {
		return errorf(http.StatusBadRequest, "InvalidBucketName", "The specified bucket is not valid.", xmlField{"BucketName", c.bucket})
	}
	if c.key != "" && (len(c.key) > maxKeyLen || !utf8.ValidString(c.key)) {
		return c.svc.keyError(c.key)
	}
	return nil
}

// validBucketName accepts 3–63 lower-case letters, digits, '-' and '.', not starting or ending with '-'.
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 || b[0] == '-' || b[len(b)-1] == '-' {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// header sets the common response headers.
func (c *call) header() http.Header {
	h := c.w.Header()
	h.Set(c.svc.requestIDHdr, c.requestID)
	h.Set("Date", c.now.UTC().Format(http.TimeFormat))
	h.Set("Server", c.svc.serverHdr)
	if c.svc.name == storeS3 {
		h.Set("x-amz-id-2", c.hostID)
	}
	return h
}

// reply answers status with body (nil for none) of the given content type.
func (c *call) reply(status int, contentType string, body []byte) {
	h := c.header()
	if contentType != "" {
		h.Set("Content-Type", contentType)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// Read what is left of the request body (up to a bound) before answering, so that a client
	// still uploading a refused body sees the answer rather than a connection reset.
	_, _ = io.CopyN(io.Discard, c.r.Body, drainLimit)
	c.status = status
	c.w.WriteHeader(status)
	if c.r.Method != http.MethodHead && len(body) > 0 {
		_, _ = c.w.Write(body)
	}
}

// replyXML answers status with v marshalled as an XML document.
func (c *call) replyXML(status int, v any) {
	out, err := xml.Marshal(v)
	if err != nil {
		c.fail(errorf(http.StatusInternalServerError, "InternalError", "marshal response: "+err.Error()))
		return
	}
	c.reply(status, "application/xml", append([]byte(xml.Header), out...))
}

// fail answers e in the service's error format and records it for the call log.
func (c *call) fail(e *apiError) {
	c.code = e.code
	c.svc.writeError(c, e)
}

// errorDocument renders <Error> with Code and Message, then head fields, extras and tail fields.
func errorDocument(e *apiError, head, tail []xmlField) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString("<Error>")
	fields := append([]xmlField{{"Code", e.code}, {"Message", e.message}}, head...)
	fields = append(fields, e.extra...)
	fields = append(fields, tail...)
	for _, f := range fields {
		b.WriteString("<" + f.name + ">")
		_ = xml.EscapeText(&b, []byte(f.value))
		b.WriteString("</" + f.name + ">")
	}
	b.WriteString("</Error>")
	return b.Bytes()
}

// readBody reads the request body, refusing more than limit bytes.
func readBody(r *http.Request, limit int64) ([]byte, *apiError) {
	if r.ContentLength > limit {
		return nil, entityTooLarge()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header.")
	}
	if int64(len(body)) > limit {
		return nil, entityTooLarge()
	}
	return body, nil
}

func entityTooLarge() *apiError {
	return errorf(http.StatusRequestEntityTooLarge, "EntityTooLarge", "Your proposed upload exceeds the maximum allowed object size.",
		xmlField{"MaxSizeAllowed", strconv.Itoa(maxBodyLen)})
}

// checkTime refuses a request time more than maxSkew away from now.
func checkTime(c *call, t time.Time, layout string) *apiError {
	if d := c.now.Sub(t); d > maxSkew || d < -maxSkew {
		return errorf(http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.",
			xmlField{"RequestTime", t.UTC().Format(layout)}, xmlField{"ServerTime", c.now.UTC().Format(layout)},
			xmlField{"MaxAllowedSkewMilliseconds", strconv.Itoa(int(maxSkew / time.Millisecond))})
	}
	return nil
}

// drainLimit bounds how much of an unread request body is consumed before answering.
const drainLimit = 2 * maxBodyLen

var errBadToken = errors.New("objstore: malformed continuation token")

// encodeToken makes an opaque continuation token from a list marker.
func encodeToken(marker string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(marker))
}

func decodeToken(tok string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || !utf8.Valid(b) {
		return "", errBadToken
	}
	return string(b), nil
}

// listParams reads max-keys (default def, at most 1000) and records the list parameters in the call log.
func listParams(c *call, def int) (prefix, delimiter string, max int, aerr *apiError) {
	q := c.r.URL.Query()
	for _, name := range []string{"prefix", "delimiter", "max-keys", "marker", "start-after", "continuation-token", "encoding-type"} {
		if q.Has(name) {
			c.params[name] = q.Get(name)
		}
	}
	max = def
	if v := q.Get("max-keys"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", "", 0, errorf(http.StatusBadRequest, "InvalidArgument", "Argument max-keys must be an integer between 0 and 2147483647",
				xmlField{"ArgumentName", "max-keys"}, xmlField{"ArgumentValue", v})
		}
		max = min(n, 1000)
	}
	if et := q.Get("encoding-type"); et != "" && et != "url" {
		return "", "", 0, errorf(http.StatusBadRequest, "InvalidArgument", "Invalid Encoding Method specified in Request",
			xmlField{"ArgumentName", "encoding-type"}, xmlField{"ArgumentValue", et})
	}
	return q.Get("prefix"), q.Get("delimiter"), max, nil
}

// listEncoder returns the function that writes key-like values into a listing: URL-encoded when
// the request asked for encoding-type=url.
func listEncoder(c *call) func(string) string {
	if c.r.URL.Query().Get("encoding-type") == "url" {
		return func(s string) string { return strings.ReplaceAll(uriEncode(s, true), "%20", "+") }
	}
	return func(s string) string { return s }
}

// optional returns a pointer to s, or nil when s is empty, for omitempty XML elements.
func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
