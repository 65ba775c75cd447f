package notify

import (
	"strings"
	"testing"

	"github.com/certrotate/certrotate/shared/report"
)

func TestDecodeFixtures(t *testing.T) {
	for _, tc := range []struct {
		file       string
		origin     string
		id, status string
		source     report.Source
		errWords   []string // in the report's error
		noteWords  []string
	}{
		{file: "report-partial.json", origin: OriginInvoke, id: "5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e10", status: report.Partial,
			source: report.Source{Kind: "oss", Bucket: "cert-drop", Key: "live/example.com/privkey.pem"}},
		// AWS's published failure record (Lambda destinations launch post / aws-cdk README), verbatim.
		{file: "lambda-destination-failure.json", origin: OriginLambdaDestination, id: "8ea123e4-1db7-4aca-ad10-d9ca1234c1fd", status: report.Failed,
			errWords:  []string{"rotate did not finish", "Error: Failure from event, Success = false, I am failing!"},
			noteWords: []string{"condition RetriesExhausted", "function error Handled", "3 attempt(s)", "request 8ea123e4"}},
		{file: "lambda-destination-report.json", origin: OriginLambdaDestination, id: "5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e10", status: report.Partial,
			source: report.Source{Kind: "s3", Bucket: "cert-drop", Key: "live/example.com/privkey.pem"}},
		{file: "fc-destination-report.json", origin: OriginFCDestination, id: "5f0c2a9e7b1d4c3a8e6f0b2d4a6c8e10", status: report.Partial,
			source: report.Source{Kind: "oss", Bucket: "cert-drop", Key: "live/example.com/privkey.pem"}},
		{file: "fc-destination-failure.json", origin: OriginFCDestination, id: "1-6650a1c3-fedcba9876543210fedcba98", status: report.Failed,
			source:    report.Source{Kind: "oss", Bucket: "cert-drop", Key: "live/example.com/privkey.pem"},
			errWords:  []string{"rotate did not finish", "rotation failed in a way that may pass on retry"},
			noteWords: []string{"function error UnhandledInvocationError", "4 attempt(s)"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			in, err := Decode(readFixture(t, tc.file))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if in.Origin != tc.origin || len(in.Reports) != 1 {
				t.Fatalf("input %+v", in)
			}
			rep := in.Reports[0]
			if rep.ID != tc.id || rep.Status != tc.status || rep.Source != tc.source {
				t.Fatalf("report id %q status %q source %+v", rep.ID, rep.Status, rep.Source)
			}
			for _, w := range tc.errWords {
				if !strings.Contains(rep.Error, w) {
					t.Errorf("error %q lacks %q", rep.Error, w)
				}
			}
			for _, w := range tc.noteWords {
				if !strings.Contains(in.Note, w) {
					t.Errorf("note %q lacks %q", in.Note, w)
				}
			}
			if len(tc.noteWords) == 0 && in.Note != "" {
				t.Errorf("note %q on a report that finished", in.Note)
			}
		})
	}
}

func TestDecodeRefuses(t *testing.T) {
	for _, tc := range []struct {
		name  string
		raw   string
		words []string
	}{
		// AWS's published success record, verbatim: rotate returns a report, this function did not.
		{"lambda-destination-success.json", string(readFixture(t, "lambda-destination-success.json")), []string{"condition Success", "holds no rotate report"}},
		{"not json", `hello`, []string{"not a JSON object", "rotate report", "destination record", "HTTP request"}},
		{"other shape", `{"Records":[]}`, []string{"unrecognised payload"}},
		{"report without id", `{"id":"","status":"rotated"}`, []string{"id and status are required"}},
		{"unknown status", `{"id":"x","status":"great"}`, []string{`status "great"`}},
		{"empty list", `[]`, []string{"empty list"}},
		{"REST API event", `{"requestContext":{"stage":"prod"},"httpMethod":"POST","version":"1.0"}`, []string{"HTTP request", "payload format 1.0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.raw))
			var ie *InputError
			if err == nil || !asInputError(err, &ie) {
				t.Fatalf("err %v", err)
			}
			for _, w := range tc.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
		})
	}
}

func asInputError(err error, target **InputError) bool {
	ie, ok := err.(*InputError)
	*target = ie
	return ok
}

func TestDecodeBatchAndHTTP(t *testing.T) {
	in, err := Decode([]byte(`[{"id":"a","status":"rotated"},{"id":"b","status":"failed","error":"x"}]`))
	if err != nil || len(in.Reports) != 2 || in.Reports[1].Error != "x" {
		t.Fatalf("batch: %+v %v", in, err)
	}
	in, err = Decode(readFixture(t, "report-partial.json"))
	if err != nil || in.HTTP != nil {
		t.Fatal(err)
	}
	in, err = Decode([]byte(`{"version":"2.0","rawPath":"/","headers":{"Webhook-Id":"m"},"body":"e30=","isBase64Encoded":true,
		"requestContext":{"http":{"method":"POST","path":"/"},"requestId":"r","timeEpoch":1}}`))
	if err != nil || in.Origin != OriginHTTP || in.HTTP == nil || string(in.HTTP.Body) != "{}" || in.HTTP.Headers["webhook-id"] != "m" {
		t.Fatalf("http: %+v %v", in, err)
	}
}

func TestDestinationNeverCarriesThePEMsOfTheEvent(t *testing.T) {
	pem := "-----BEGIN " + "PRIVATE KEY-----\\nMIGHAgEAMBMG\\n-----END " + "PRIVATE KEY-----\\n"
	raw := `{"version":"1.0","timestamp":"2026-05-20T08:30:04Z","requestContext":{"requestId":"r","condition":"RetriesExhausted","approximateInvokeCount":3},
		"requestPayload":{"certificate":"-----BEGIN CERTIFICATE-----\\nMIIB\\n-----END CERTIFICATE-----\\n","private_key":"` + pem + `"},
		"responseContext":{"statusCode":200,"functionError":"Unhandled"},"responsePayload":{"errorMessage":"boom ` + pem + `","errorType":"Panic"}}`
	in, err := Decode([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	rep := in.Reports[0]
	if rep.Source.Kind != "invoke" {
		t.Errorf("source %+v", rep.Source)
	}
	m := NewMessage(rep, "en", fixedNow)
	m.Note = in.Note
	assertNoSecrets(t, m.Text()+m.Markdown()+rep.Error, "MIGHAgEAMBMG")
}

// TestForgedDestinationRecordNeverReadsAsSuccess: a record saying the invocation failed, whose
// responsePayload holds a report claiming success, is shown as failed.
func TestForgedDestinationRecordNeverReadsAsSuccess(t *testing.T) {
	for _, status := range []string{report.Rotated, report.Unchanged, report.Skipped, report.DryRun} {
		t.Run(status, func(t *testing.T) {
			raw := `{"version":"1.0","timestamp":"2026-05-20T08:30:04Z","requestContext":{"requestId":"r","condition":"RetriesExhausted","approximateInvokeCount":3},
				"requestPayload":{},"responseContext":{"statusCode":200,"functionError":"Unhandled"},
				"responsePayload":{"id":"x","status":"` + status + `","source":{"kind":"invoke"},"targets":[],"started_at":"2026-05-20T08:30:00Z","finished_at":"2026-05-20T08:30:04Z"}}`
			in, err := Decode([]byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			m := NewMessage(in.Reports[0], "en", fixedNow)
			if m.Status != report.Failed || !strings.Contains(m.Text(), "Failed") || strings.Contains(m.Title(), "Rotated") {
				t.Fatalf("status %s, message:\n%s", m.Status, m.Text())
			}
		})
	}
}

// TestSkippedIsTold: a skipped run is sent with NOTIFY_ON=changes and says no target took it.
func TestSkippedIsTold(t *testing.T) {
	rep := partialReport(t)
	rep.Status = report.Skipped
	for i := range rep.Targets {
		rep.Targets[i].Status, rep.Targets[i].Error = report.TargetSkipped, ""
	}
	m := NewMessage(rep, "en", fixedNow)
	if !Wants("changes", m.Status) || !strings.Contains(m.Title(), "Skipped: no target took the certificate") {
		t.Fatalf("status %s wanted %v, title %q", m.Status, Wants("changes", m.Status), m.Title())
	}
}
