package event

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// s3CreatedPrefix starts every S3 event name we accept (ObjectCreated:Put, :Post,
// :Copy, :CompleteMultipartUpload).
const s3CreatedPrefix = "ObjectCreated:"

// s3Record is the part of an S3 notification record we read. The field names are the wire
// names of aws-lambda-go events.S3EventRecord; our own struct so that a field we do not use
// (eventTime, userIdentity, requestParameters, s3.object.size …) cannot fail the decode,
// whatever its type.
type s3Record struct {
	EventSource string `json:"eventSource"`
	EventName   string `json:"eventName"`
	AWSRegion   string `json:"awsRegion"`
	S3          struct {
		Bucket struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object struct {
			Key  string `json:"key"`
			ETag string `json:"eTag"`
		} `json:"object"`
	} `json:"s3"`
}

// decodeS3 decodes the S3 notification {"Records":[…]}. Each record is decoded on
// its own, so an error names the record.
func decodeS3(top map[string]json.RawMessage) (*Event, error) {
	raw := top["Records"]
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return nil, &Error{Field: "Records", Reason: "must be an array of S3 event records, not " + jsonKind(raw)}
	}
	var items []json.RawMessage
	if err := decodeAt(raw, &items, "Records"); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, &Error{Field: "Records", Reason: "holds no record"}
	}
	if err := checkCount(len(items), "Records"); err != nil {
		return nil, err
	}
	ev := &Event{Records: make([]Record, 0, len(items))}
	for i, item := range items {
		o, err := s3Object(item, index("Records", i))
		if err != nil {
			return nil, err
		}
		ev.Records = append(ev.Records, Record{Kind: KindS3, Object: o})
	}
	return ev, nil
}

// s3Object decodes one S3 notification record found at path.
func s3Object(raw json.RawMessage, path string) (*Object, *Error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, &Error{Field: path, Reason: "must be an S3 event record (an object), not " + jsonKind(raw)}
	}
	var r s3Record
	if err := decodeAt(raw, &r, path); err != nil {
		return nil, err
	}
	// Keys in S3 notifications are form-URL-encoded ("+" is a space), as aws-lambda-go's
	// events.S3Object.URLDecodedKey decodes them (url.QueryUnescape).
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		var esc url.EscapeError
		if errors.As(err, &esc) {
			return nil, &Error{Field: join(path, "s3.object.key"), Reason: fmt.Sprintf("is not a valid URL-encoded key: bad escape %s", quote(string(esc)))}
		}
		return nil, &Error{Field: join(path, "s3.object.key"), Reason: "is not a valid URL-encoded key"}
	}
	if r.EventSource != "aws:s3" {
		return nil, &Error{Field: join(path, "eventSource"), Reason: fmt.Sprintf("%s is not an S3 notification (expected \"aws:s3\")", quote(r.EventSource))}
	}
	if !strings.HasPrefix(r.EventName, s3CreatedPrefix) || r.EventName == s3CreatedPrefix {
		return nil, &Error{Field: join(path, "eventName"), Reason: fmt.Sprintf("%s is not accepted: expected ObjectCreated:* (Put, Post, Copy, CompleteMultipartUpload)", quote(r.EventName))}
	}
	o := &Object{
		Store:     "s3",
		Bucket:    r.S3.Bucket.Name,
		Key:       key,
		Region:    r.AWSRegion,
		ETag:      r.S3.Object.ETag,
		EventName: r.EventName,
	}
	if err := checkObject(o, join(path, "s3.bucket.name"), join(path, "s3.object.key")); err != nil {
		return nil, err
	}
	return o, nil
}

// s3EventBridge is the "Object Created" event S3 sends through EventBridge.
type s3EventBridge struct {
	Source     string `json:"source"`
	DetailType string `json:"detail-type"`
	Region     string `json:"region"`
	Detail     *struct {
		Bucket *struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object *struct {
			Key  string `json:"key"`
			ETag string `json:"etag"`
		} `json:"object"`
		Reason string `json:"reason"`
	} `json:"detail"`
}

// decodeS3EventBridge decodes {"source":"aws.s3","detail-type":"Object Created",…}.
func decodeS3EventBridge(raw []byte) (*Event, error) {
	var e s3EventBridge
	if err := decodeAt(raw, &e, ""); err != nil {
		return nil, err
	}
	if e.Source != "aws.s3" {
		return nil, &Error{Field: "source", Reason: fmt.Sprintf("%s is not accepted: the only EventBridge source accepted is \"aws.s3\"", quote(e.Source))}
	}
	if e.DetailType != "Object Created" {
		return nil, &Error{Field: "detail-type", Reason: fmt.Sprintf("%s is not accepted: expected \"Object Created\"", quote(e.DetailType))}
	}
	if e.Detail == nil {
		return nil, &Error{Field: "detail", Reason: "missing: the event names no bucket and object"}
	}
	o := &Object{Store: "s3", Region: e.Region, EventName: e.DetailType}
	if e.Detail.Reason != "" {
		o.EventName = e.Detail.Reason // PutObject, CompleteMultipartUpload, …
	}
	if e.Detail.Bucket != nil {
		o.Bucket = e.Detail.Bucket.Name
	}
	if e.Detail.Object != nil {
		// The key is used raw: AWS documents S3 notification keys as URL-encoded,
		// but says nothing of the kind for detail.object.key in EventBridge events,
		// so it is not decoded here (unverified).
		o.Key, o.ETag = e.Detail.Object.Key, e.Detail.Object.ETag
	}
	if err := checkObject(o, "detail.bucket.name", "detail.object.key"); err != nil {
		return nil, err
	}
	return &Event{Records: []Record{{Kind: KindS3, Object: o}}}, nil
}
