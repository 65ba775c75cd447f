package deploy_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/event"
)

// TestDailyAuditTriggers: template.yaml schedules rotate daily with the input {"audit":true},
// and s.yaml gives rotate a daily timer trigger; what each delivers decodes as an audit.
func TestDailyAuditTriggers(t *testing.T) {
	t.Run("template.yaml", func(t *testing.T) {
		tpl := parseYAML(t, "template.yaml")
		var schedule, input string
		for _, kv := range pairs(get(tpl, "Resources", "RotateFunction", "Properties", "Events")) {
			if scalar(get(kv[1], "Type")) == "Schedule" {
				schedule, input = scalar(get(kv[1], "Properties", "Schedule")), scalar(get(kv[1], "Properties", "Input"))
			}
		}
		if !strings.HasPrefix(schedule, "cron(") || strings.Count(schedule, " ") != 5 || !strings.HasSuffix(schedule, " * * ? *)") {
			t.Errorf("schedule %q is not a daily cron", schedule)
		}
		ev, err := event.Decode([]byte(input))
		if err != nil || ev.Audit == nil {
			t.Errorf("the schedule's input %q does not decode as an audit: %v", input, err)
		}
	})
	t.Run("s.yaml", func(t *testing.T) {
		rotate := fc3Resources(t, mustRenderS(t, withEnv(nil)))["rotate"]["props"].(map[string]any)
		timer := findTrigger(rotate, "timer")
		if timer == nil {
			t.Fatal("rotate has no timer trigger")
		}
		cron, _ := path(timer, "triggerConfig", "cronExpression").(string)
		if f := strings.Fields(strings.TrimPrefix(cron, "CRON_TZ=UTC ")); len(f) != 6 || f[3] != "*" || f[4] != "*" || f[5] != "*" {
			t.Errorf("cronExpression %q is not a daily six-field cron", cron)
		}
		if path(timer, "triggerConfig", "enable") != true {
			t.Error("the timer is not enabled")
		}
		payload, _ := path(timer, "triggerConfig", "payload").(string)
		delivered, _ := json.Marshal(map[string]string{"triggerTime": "2026-12-06T01:00:00Z", "triggerName": timer["triggerName"].(string), "payload": payload})
		if ev, err := event.Decode(delivered); err != nil || ev.Audit == nil {
			t.Errorf("the timer's event %s does not decode as an audit: %v", delivered, err)
		}
		if ev, err := event.Decode([]byte(payload)); err != nil || ev.Audit == nil {
			t.Errorf("the timer's payload %q is not {\"audit\":true}: %v", payload, err)
		}
	})
}
