package notify

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/certrotate/certrotate/shared/event"
	"github.com/certrotate/certrotate/shared/report"
)

// Where an input came from, as Input.Origin says.
const (
	OriginInvoke            = "invoke"             // a report (or a list of reports) invoked directly
	OriginLambdaDestination = "lambda-destination" // an AWS Lambda destination invocation record
	OriginFCDestination     = "fc-destination"     // a Function Compute destination (result callback) record
	OriginHTTP              = "http"               // an HTTP request; its body is verified, then decoded with DecodeReports
)

// Input is one invocation of notify, decoded.
type Input struct {
	Origin  string
	Reports []*report.Report
	Audits  []*report.Audit    // audit reports, invoked directly
	Note    string             // what a destination record says about a rotate that did not finish
	HTTP    *event.HTTPRequest // set for OriginHTTP only
}

// InputError is an input notify cannot use; nothing is sent for it.
type InputError struct{ Reason string }

func (e *InputError) Error() string { return e.Reason }

func refused(format string, a ...any) error { return &InputError{Reason: fmt.Sprintf(format, a...)} }

// accepted lists the shapes, for errors.
const accepted = "expected a rotate report (or a list of them), an audit report, an AWS Lambda or Function Compute destination record, or a signed HTTP request"

// Decode detects the shape of notify's payload from its keys: a report {"id","status",…} or a
// JSON array of them (direct invocation); a destination record {"requestContext", "requestPayload",
// "responsePayload", …} from Lambda or Function Compute; or an HTTP request event (Function
// Compute HTTP trigger, Lambda function URL), whose body the caller verifies and decodes.
func Decode(raw []byte) (*Input, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > event.MaxEnvelope {
		return nil, refused("the payload is larger than %d bytes", event.MaxEnvelope)
	}
	if len(raw) > 0 && raw[0] == '[' {
		reps, err := DecodeReports(raw)
		if err != nil {
			return nil, err
		}
		return &Input{Origin: OriginInvoke, Reports: reps}, nil
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(raw, &top); err != nil || top == nil {
		return nil, refused("the payload is not a JSON object: %s", accepted)
	}
	switch {
	case has(top, "requestContext") && (has(top, "responsePayload") || has(top, "requestPayload") || has(top, "responseContext")):
		return decodeDestination(top)
	case has(top, "requestContext"):
		ev, err := event.Decode(raw)
		if err != nil {
			return nil, refused("HTTP request: %v", err)
		}
		if ev.HTTP == nil {
			return nil, refused("unrecognised payload: %s", accepted)
		}
		return &Input{Origin: OriginHTTP, HTTP: ev.HTTP}, nil
	case has(top, "kind") && isAudit(top):
		a, err := DecodeAudit(raw)
		if err != nil {
			return nil, err
		}
		return &Input{Origin: OriginInvoke, Audits: []*report.Audit{a}}, nil
	case has(top, "id") && has(top, "status"):
		reps, err := DecodeReports(raw)
		if err != nil {
			return nil, err
		}
		return &Input{Origin: OriginInvoke, Reports: reps}, nil
	}
	return nil, refused("unrecognised payload: %s", accepted)
}

// DecodeReports decodes a report or a JSON array of reports, as rotate returns them.
func DecodeReports(raw []byte) ([]*report.Report, error) {
	raw = bytes.TrimSpace(raw)
	var reps []*report.Report
	if len(raw) > 0 && raw[0] == '[' {
		if err := json.Unmarshal(raw, &reps); err != nil {
			return nil, refused("not a list of rotate reports: %v", jsonReason(err))
		}
		if len(reps) == 0 {
			return nil, refused("an empty list of reports")
		}
	} else {
		var rep report.Report
		if err := json.Unmarshal(raw, &rep); err != nil {
			return nil, refused("not a rotate report: %v", jsonReason(err))
		}
		reps = []*report.Report{&rep}
	}
	for i, r := range reps {
		if r == nil || r.ID == "" || r.Status == "" {
			return nil, refused("report %d: not a rotate report: id and status are required", i)
		}
		if _, ok := statusWords[r.Status]; !ok {
			return nil, refused("report %d: status %q is not one of rotated, unchanged, skipped, pending, partial, failed, dry_run", i, oneLine(r.Status, 40))
		}
	}
	return reps, nil
}

// destination is the record both platforms send to a destination function. Lambda's is
// documented ("version":"1.0", timestamp RFC 3339, payloads as JSON values); Function Compute's
// carries the same names with a millisecond timestamp and, in some samples, payloads as strings.
type destination struct {
	Timestamp      json.RawMessage `json:"timestamp"`
	RequestContext struct {
		RequestID              string          `json:"requestId"`
		FunctionArn            string          `json:"functionArn"`
		Condition              string          `json:"condition"`
		ApproximateInvokeCount json.RawMessage `json:"approximateInvokeCount"`
	} `json:"requestContext"`
	RequestPayload  json.RawMessage `json:"requestPayload"`
	ResponseContext struct {
		StatusCode    int    `json:"statusCode"`
		FunctionError string `json:"functionError"`
	} `json:"responseContext"`
	ResponsePayload json.RawMessage `json:"responsePayload"`
}

func decodeDestination(top map[string]json.RawMessage) (*Input, error) {
	raw, _ := json.Marshal(top)
	var d destination
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, refused("destination record: %v", jsonReason(err))
	}
	in := &Input{Origin: OriginLambdaDestination}
	if strings.HasPrefix(d.RequestContext.FunctionArn, "acs:") || (len(d.Timestamp) > 0 && d.Timestamp[0] != '"') {
		in.Origin = OriginFCDestination
	}
	payload := unwrapString(d.ResponsePayload)
	failed := d.ResponseContext.FunctionError != "" || (d.RequestContext.Condition != "" && d.RequestContext.Condition != "Success")

	if reps, err := DecodeReports(payload); err == nil && looksLikeReport(payload) {
		in.Reports = reps
		if failed {
			in.Note = describe(d)
			// The platform says the invocation failed: a report inside that claims success is not
			// believed (a forged or stale record), so the message never reads as success.
			for _, r := range reps {
				if r.Status != report.Failed && r.Status != report.Partial && r.Status != report.Pending {
					r.Error = fmt.Sprintf("the platform reports that rotate failed (%s), though its report says %s", condition(d), oneLine(r.Status, 20))
					r.Status = report.Failed
				}
			}
		}
		return in, nil
	}
	if !failed {
		return nil, refused("destination record (%s): responsePayload holds no rotate report; "+
			"send notify the records of a rotate function only", condition(d))
	}
	// rotate did not finish: tell people what the platform says, with what can be known of the source.
	rep := &report.Report{ID: d.RequestContext.RequestID, Status: report.Failed, Targets: []report.Target{}}
	if rep.ID == "" {
		rep.ID = report.NewID()
	}
	rep.Error = "rotate did not finish: " + errorMessage(payload)
	rep.Source = sourceOf(unwrapString(d.RequestPayload))
	if t, ok := timestamp(d.Timestamp); ok {
		rep.StartedAt, rep.FinishedAt = t, t
	}
	in.Reports = []*report.Report{rep}
	in.Note = describe(d)
	return in, nil
}

// looksLikeReport tells a report (or a list of them) from an error payload that also decodes.
func looksLikeReport(raw []byte) bool {
	var probe struct {
		ErrorMessage *string `json:"errorMessage"`
	}
	if len(raw) > 0 && raw[0] == '{' && json.Unmarshal(raw, &probe) == nil && probe.ErrorMessage != nil {
		return false
	}
	return true
}

// unwrapString returns the JSON inside a JSON string (Function Compute may pass payloads as
// strings), or raw itself.
func unwrapString(raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return raw
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return raw
	}
	inner := bytes.TrimSpace([]byte(s))
	if json.Valid(inner) {
		return inner
	}
	b, _ := json.Marshal(map[string]string{"errorMessage": s})
	return b
}

// errorMessage reads a platform error payload ({"errorMessage","errorType"}).
func errorMessage(raw []byte) string {
	var e struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(raw, &e) == nil && e.ErrorMessage != "" {
		msg := oneLine(e.ErrorMessage, maxReason)
		if e.ErrorType != "" {
			msg = oneLine(e.ErrorType, 60) + ": " + msg
		}
		return msg
	}
	return "no error message"
}

// describe says what the platform reported: condition, function error, attempts, request id.
func describe(d destination) string {
	parts := []string{condition(d)}
	if fe := d.ResponseContext.FunctionError; fe != "" {
		parts = append(parts, "function error "+oneLine(fe, 60))
	}
	if n, err := strconv.Atoi(string(bytes.Trim(d.RequestContext.ApproximateInvokeCount, `"`))); err == nil && n > 0 {
		parts = append(parts, fmt.Sprintf("%d attempt(s)", n))
	}
	if d.RequestContext.RequestID != "" {
		parts = append(parts, "request "+oneLine(d.RequestContext.RequestID, 80))
	}
	return "rotate invocation: " + strings.Join(parts, ", ")
}

func condition(d destination) string {
	if c := d.RequestContext.Condition; c != "" {
		return "condition " + oneLine(c, 40)
	}
	return "no condition"
}

// sourceOf reads where the certificate came from out of rotate's original event, keeping only
// the kind, bucket and key: the event may hold PEMs, which never reach a message.
func sourceOf(raw []byte) report.Source {
	if len(raw) == 0 {
		return report.Source{}
	}
	ev, err := event.Decode(raw)
	if err != nil || len(ev.Records) == 0 {
		return report.Source{}
	}
	rec := ev.Records[0]
	src := report.Source{Kind: string(rec.Kind)}
	if rec.Object != nil {
		src.Bucket, src.Key = rec.Object.Bucket, rec.Object.Key
	}
	if rec.Body != nil {
		src.CASID = rec.Body.CASCertificateID
	}
	return src
}

// timestamp reads an RFC 3339 string or Unix milliseconds as RFC 3339 UTC.
func timestamp(raw json.RawMessage) (string, bool) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC().Format(time.RFC3339), true
		}
		return "", false
	}
	var ms int64
	if json.Unmarshal(raw, &ms) == nil && ms > 0 {
		return time.UnixMilli(ms).UTC().Format(time.RFC3339), true
	}
	return "", false
}

func has(top map[string]json.RawMessage, key string) bool {
	_, ok := top[key]
	return ok
}

// jsonReason shortens a JSON decoding error.
func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return "invalid JSON at byte " + strconv.FormatInt(se.Offset, 10)
	case errors.As(err, &te):
		return fmt.Sprintf("%s: expected %s, got %s", te.Field, te.Type, te.Value)
	}
	return oneLine(err.Error(), 120)
}
