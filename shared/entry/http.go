package entry

import "encoding/json"

// HTTPResponse is the answer to an HTTP event; Function Compute's HTTP trigger and Lambda
// function URLs read the same JSON shape.
type HTTPResponse struct {
	StatusCode      int               `json:"statusCode"`
	Headers         map[string]string `json:"headers"`
	Body            string            `json:"body"`
	IsBase64Encoded bool              `json:"isBase64Encoded"`
}

// ExitCode maps the status to the command line's exit code.
func (r *HTTPResponse) ExitCode() int {
	switch {
	case r.StatusCode < 400:
		return ExitOK
	case r.StatusCode < 500:
		return ExitBadInput
	}
	return ExitFailed
}

// JSONResponse answers status with v as a JSON body.
func JSONResponse(status int, v any) *HTTPResponse {
	body, _ := json.Marshal(v) // the callers' values always marshal
	return &HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(body)}
}

// ErrorResponse answers status with {"error": msg}.
func ErrorResponse(status int, msg string) *HTTPResponse {
	return JSONResponse(status, map[string]string{"error": msg})
}
