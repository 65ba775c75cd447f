package event

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	fcevents "github.com/aliyun/fc-runtime-go-sdk/events"
	"github.com/aws/aws-lambda-go/events"
)

// The platforms an HTTPRequest comes from.
const (
	PlatformFC     = "fc"
	PlatformLambda = "lambda"
)

// decodeHTTP decodes an HTTP request event. Function Compute's HTTP trigger event
// ("version":"v1", queryParameters, timeEpoch a string) and the Lambda function URL /
// API Gateway HTTP API v2 event ("version":"2.0", timeEpoch a number) do not decode
// into each other's types, so each has its own adapter. The body is not verified or
// decoded here: that is the webhook's job, on the exact bytes returned.
func decodeHTTP(raw []byte, top map[string]json.RawMessage) (*Event, error) {
	var version string
	if v, ok := top["version"]; ok && !isNull(v) {
		if err := decodeAt(v, &version, "version"); err != nil {
			return nil, err
		}
	}
	switch {
	case version == "2.0":
		return decodeLambdaHTTP(raw, top)
	case version == "v1", version == "" && has(top, "queryParameters"):
		return decodeFCHTTP(raw)
	case version == "1.0" || has(top, "httpMethod"):
		return nil, &Error{Field: "version", Reason: "API Gateway REST events (payload format 1.0) are not supported: use a function URL or an HTTP API with payload format 2.0"}
	}
	return nil, &Error{Field: "version", Reason: fmt.Sprintf("%s is not a known HTTP event version: expected \"v1\" (Function Compute HTTP trigger) or \"2.0\" (Lambda function URL, API Gateway HTTP API)", quote(version))}
}

// decodeFCHTTP adapts fc-runtime-go-sdk events.HTTPTriggerEvent.
func decodeFCHTTP(raw []byte) (*Event, error) {
	var e fcevents.HTTPTriggerEvent
	if err := decodeAt(raw, &e, ""); err != nil {
		return nil, err
	}
	r := &HTTPRequest{Platform: PlatformFC, Method: deref(e.TriggerContext.Http.Method), RequestID: deref(e.TriggerContext.RequestId)}
	r.Path = deref(e.RawPath)
	if r.Path == "" {
		r.Path = deref(e.TriggerContext.Http.Path)
	}
	var headers map[string]string
	if e.Headers != nil {
		headers = *e.Headers
	}
	isBase64 := e.IsBase64Encoded != nil && *e.IsBase64Encoded
	return finishHTTP(r, headers, deref(e.Body), isBase64)
}

// decodeLambdaHTTP adapts aws-lambda-go events.APIGatewayV2HTTPRequest (it has a
// routeKey) or events.LambdaFunctionURLRequest.
func decodeLambdaHTTP(raw []byte, top map[string]json.RawMessage) (*Event, error) {
	r := &HTTPRequest{Platform: PlatformLambda}
	var headers map[string]string
	var body string
	var isBase64 bool
	if has(top, "routeKey") {
		var e events.APIGatewayV2HTTPRequest
		if err := decodeAt(raw, &e, ""); err != nil {
			return nil, err
		}
		r.Method, r.Path, r.RequestID = e.RequestContext.HTTP.Method, e.RawPath, e.RequestContext.RequestID
		if r.Path == "" {
			r.Path = e.RequestContext.HTTP.Path
		}
		headers, body, isBase64 = e.Headers, e.Body, e.IsBase64Encoded
	} else {
		var e events.LambdaFunctionURLRequest
		if err := decodeAt(raw, &e, ""); err != nil {
			return nil, err
		}
		r.Method, r.Path, r.RequestID = e.RequestContext.HTTP.Method, e.RawPath, e.RequestContext.RequestID
		if r.Path == "" {
			r.Path = e.RequestContext.HTTP.Path
		}
		headers, body, isBase64 = e.Headers, e.Body, e.IsBase64Encoded
	}
	return finishHTTP(r, headers, body, isBase64)
}

// finishHTTP lower-cases the header names, decodes a base64 body and checks the method.
func finishHTTP(r *HTTPRequest, headers map[string]string, body string, isBase64 bool) (*Event, error) {
	if r.Method == "" {
		return nil, &Error{Field: "requestContext.http.method", Reason: "missing: an HTTP request event has a method"}
	}
	r.Method = strings.ToUpper(r.Method)
	r.Headers = lowerHeaders(headers)
	if isBase64 {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, &Error{Field: "body", Reason: "isBase64Encoded is true but the body is not valid base64"}
		}
		r.Body = b
	} else {
		r.Body = []byte(body)
	}
	return &Event{HTTP: r}, nil
}

// lowerHeaders lower-cases header names. Two names that differ only in case (FC
// keeps the client's casing) have their values joined with ",", in name order.
func lowerHeaders(h map[string]string) map[string]string {
	out := make(map[string]string, len(h))
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		lk := strings.ToLower(k)
		if prev, ok := out[lk]; ok {
			out[lk] = prev + "," + h[k]
			continue
		}
		out[lk] = h[k]
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
