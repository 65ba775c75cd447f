package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// ossEventNames are the OSS event names that announce a complete object (the four
// the official start-unzip-oss sample subscribes to), in the order messages list them.
var ossEventNames = []string{
	"ObjectCreated:PutObject",
	"ObjectCreated:PostObject",
	"ObjectCreated:CompleteMultipartUpload",
	"ObjectCreated:PutSymlink",
}

// ossSymlinkEvent is the event whose key is a symlink to be resolved.
const ossSymlinkEvent = "ObjectCreated:PutSymlink"

// ossRecord is the part of an OSS event record we read. The field names are the
// wire names of fc-runtime-go-sdk events.OssEventRecord; our own struct so that a
// field we do not use (eventTime …) cannot fail the decode.
type ossRecord struct {
	EventName   string `json:"eventName"`
	EventSource string `json:"eventSource"`
	Region      string `json:"region"`
	OSS         *struct {
		Bucket *struct {
			Name string `json:"name"`
		} `json:"bucket"`
		Object *struct {
			Key  string `json:"key"`
			ETag string `json:"eTag"`
		} `json:"object"`
	} `json:"oss"`
}

func acceptedOSSName(name string) bool {
	for _, n := range ossEventNames {
		if n == name {
			return true
		}
	}
	return false
}

// decodeOSS decodes the Function Compute OSS trigger event {"events":[…]}.
func decodeOSS(top map[string]json.RawMessage) (*Event, error) {
	raw := top["events"]
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return nil, &Error{Field: "events", Reason: "must be an array of OSS event records, not " + jsonKind(raw)}
	}
	var items []json.RawMessage
	if err := decodeAt(raw, &items, "events"); err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, &Error{Field: "events", Reason: "holds no record"}
	}
	if err := checkCount(len(items), "events"); err != nil {
		return nil, err
	}
	ev := &Event{Records: make([]Record, 0, len(items))}
	for i, item := range items {
		path := index("events", i)
		o, err := ossObject(item, path, "")
		if err != nil {
			return nil, err
		}
		ev.Records = append(ev.Records, Record{Kind: KindOSS, Object: o})
	}
	return ev, nil
}

// ossObject decodes one OSS record found at path. When wantName is not empty (the
// CloudEvent type names the event) the record's eventName, if any, must agree.
func ossObject(raw json.RawMessage, path, wantName string) (*Object, *Error) {
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '{' {
		return nil, &Error{Field: path, Reason: "must be an OSS event record (an object), not " + jsonKind(raw)}
	}
	var r ossRecord
	if err := decodeAt(raw, &r, path); err != nil {
		return nil, err
	}
	name := r.EventName
	switch {
	case wantName != "" && name != "" && name != wantName:
		return nil, &Error{Field: join(path, "eventName"), Reason: fmt.Sprintf("%s does not match the CloudEvent type (%s)", quote(name), quote("oss:"+wantName))}
	case wantName != "":
		name = wantName
	case name == "":
		return nil, &Error{Field: join(path, "eventName"), Reason: "missing: expected one of " + oneOf(ossEventNames)}
	case !acceptedOSSName(name):
		return nil, &Error{Field: join(path, "eventName"), Reason: fmt.Sprintf("%s is not accepted: expected one of %s", quote(name), oneOf(ossEventNames))}
	}
	if r.EventSource != "" && r.EventSource != "acs:oss" {
		return nil, &Error{Field: join(path, "eventSource"), Reason: fmt.Sprintf("%s is not an OSS event source (expected \"acs:oss\")", quote(r.EventSource))}
	}
	if r.OSS == nil {
		return nil, &Error{Field: join(path, "oss"), Reason: "missing: the record names no bucket and object"}
	}
	o := &Object{Store: "oss", Region: r.Region, EventName: name, Symlink: name == ossSymlinkEvent}
	if r.OSS.Bucket != nil {
		o.Bucket = r.OSS.Bucket.Name
	}
	if r.OSS.Object != nil {
		o.Key, o.ETag = r.OSS.Object.Key, r.OSS.Object.ETag
	}
	// OSS keys are used raw, as Alibaba's own samples do: no document says the
	// trigger URL-encodes them (unlike S3 notifications).
	if err := checkObject(o, join(path, "oss.bucket.name"), join(path, "oss.object.key")); err != nil {
		return nil, err
	}
	return o, nil
}

// cloudEvent is the CloudEvents 1.0 envelope EventBridge delivers.
type cloudEvent struct {
	SpecVersion string          `json:"specversion"`
	Type        string          `json:"type"`
	Source      string          `json:"source"`
	Data        json.RawMessage `json:"data"`
	RegionID    string          `json:"aliyunregionid"`
}

// decodeCloudEvent decodes an OSS record in an EventBridge CloudEvent envelope. The
// record is the one object in data. (This envelope unmarshals into
// events.OssEvent as zero records without error: the shape is sniffed instead.)
func decodeCloudEvent(raw []byte, top map[string]json.RawMessage) (*Event, error) {
	var ce cloudEvent
	if err := decodeAt(raw, &ce, ""); err != nil {
		return nil, err
	}
	if ce.SpecVersion != "1.0" {
		return nil, &Error{Field: "specversion", Reason: fmt.Sprintf("%s is not supported: expected a CloudEvents 1.0 envelope", quote(ce.SpecVersion))}
	}
	accepted := make([]string, len(ossEventNames))
	for i, n := range ossEventNames {
		accepted[i] = "oss:" + n
	}
	name, ok := strings.CutPrefix(ce.Type, "oss:")
	if !ok || !acceptedOSSName(name) {
		return nil, &Error{Field: "type", Reason: fmt.Sprintf("%s is not accepted: expected one of %s", quote(ce.Type), oneOf(accepted))}
	}
	if has(top, "data_base64") && isNull(ce.Data) {
		return nil, &Error{Field: "data_base64", Reason: "is not supported: the OSS record must be JSON in data"}
	}
	if isNull(ce.Data) {
		return nil, &Error{Field: "data", Reason: "missing: the OSS record belongs in data"}
	}
	if t := bytes.TrimSpace(ce.Data); t[0] == '[' {
		return nil, &Error{Field: "data", Reason: "must be one OSS record (an object), not an array"}
	}
	o, err := ossObject(ce.Data, "data", name)
	if err != nil {
		return nil, err
	}
	if o.Region == "" {
		o.Region = ce.RegionID
	}
	return &Event{Records: []Record{{Kind: KindOSS, Object: o}}}, nil
}
