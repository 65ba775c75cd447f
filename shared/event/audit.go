package event

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Audit is a request to audit every target (a schedule, a timer, an SLB certificate-expiry event
// or {"audit": true}): nothing in it chooses what is audited; it only says what asked.
type Audit struct {
	Trigger string // one of the Trigger… constants
	Detail  string // the schedule rule, timer name or expiry event type, for logs
}

// What asked for an audit.
const (
	TriggerSchedule  = "schedule"   // an EventBridge Scheduled Event (AWS)
	TriggerTimer     = "timer"      // a Function Compute timer trigger
	TriggerSLBExpiry = "slb-expiry" // an Alibaba EventBridge slb:CloudMonitor:CertKeyExpired… event
	TriggerInvoke    = "invoke"     // the body {"audit": true}, or `rotate audit`
)

// SLBExpiryPrefix starts the type of the SLB certificate-expiry events Alibaba EventBridge
// publishes: slb:CloudMonitor:CertKeyExpired1, …3, …7, …15, …30, …60
// (https://www.alibabacloud.com/help/en/eventbridge/user-guide/slb-events).
const SLBExpiryPrefix = "slb:CloudMonitor:CertKeyExpired"

// scheduledEvent is the part of an EventBridge Scheduled Event that is read
// (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-run-lambda-schedule.html;
// aws-lambda-go events/cloudwatch_events.go).
type scheduledEvent struct {
	Source     string   `json:"source"`
	DetailType string   `json:"detail-type"`
	Resources  []string `json:"resources"`
}

// isScheduled reports whether an EventBridge event is a Scheduled Event.
func isScheduled(raw []byte) (*scheduledEvent, bool) {
	var e scheduledEvent
	if json.Unmarshal(raw, &e) != nil {
		return nil, false
	}
	return &e, e.Source == "aws.events" && e.DetailType == "Scheduled Event"
}

func decodeScheduled(e *scheduledEvent) *Event {
	return &Event{Audit: &Audit{Trigger: TriggerSchedule, Detail: strings.Join(e.Resources, ",")}}
}

// timerEvent is Function Compute's timer trigger event (fc-runtime-go-sdk events/timer.go,
// README_TIMER.md): {"triggerTime": …, "triggerName": …, "payload": …}.
type timerEvent struct {
	TriggerTime *string `json:"triggerTime"`
	TriggerName *string `json:"triggerName"`
	Payload     *string `json:"payload"`
}

// decodeTimer accepts any timer trigger event as an audit: a timer is only ever configured on
// rotate for that. The payload, whatever it says, is not read.
func decodeTimer(raw []byte) (*Event, error) {
	var e timerEvent
	if err := decodeAt(raw, &e, ""); err != nil {
		return nil, err
	}
	if e.TriggerName == nil || e.TriggerTime == nil {
		return nil, &Error{Field: "triggerName", Reason: "missing: a Function Compute timer event carries triggerTime and triggerName"}
	}
	return &Event{Audit: &Audit{Trigger: TriggerTimer, Detail: *e.TriggerName}}, nil
}

// decodeSLBExpiry accepts an Alibaba EventBridge SLB certificate-expiry CloudEvent. Its data is
// not read: the audit reads every target's places from the cloud itself.
func decodeSLBExpiry(ce *cloudEvent) *Event {
	return &Event{Audit: &Audit{Trigger: TriggerSLBExpiry, Detail: ce.Type}}
}

// decodeAuditBody accepts {"audit": true} and nothing else beside it.
func decodeAuditBody(top map[string]json.RawMessage) (*Event, error) {
	for _, k := range sortedKeys(top) {
		if k != "audit" {
			return nil, &Error{Field: fieldName(k), Reason: "unknown field: an audit body is {\"audit\": true} alone"}
		}
	}
	if v := bytes.TrimSpace(top["audit"]); string(v) != "true" {
		return nil, &Error{Field: "audit", Reason: fmt.Sprintf("must be true, not %s", jsonKindOrValue(v))}
	}
	return &Event{Audit: &Audit{Trigger: TriggerInvoke}}, nil
}

func jsonKindOrValue(v []byte) string {
	if string(v) == "false" {
		return "false"
	}
	return jsonKind(v)
}
