package provider

import (
	"fmt"
	"strings"
)

// MarkKey is the key of the mark every certificate this project uploads carries: an SLB tag key,
// the "key=value" word in a Huawei ELB certificate's description. Its value is the deployment id.
const MarkKey = "certrotate-deployment"

// DefaultDeployment is the deployment id when neither ROTATE_DEPLOYMENT nor a function name is set.
const DefaultDeployment = "default"

// CheckDeployment reports whether id is a valid deployment id: 1–32 of a-z, 0-9 and "-".
func CheckDeployment(id string) error {
	if !isDeploymentID(id) {
		return fmt.Errorf("%s is not 1-32 characters of a-z, 0-9 and -", short(id))
	}
	return nil
}

// DeploymentFromFunction folds a function's name (AWS_LAMBDA_FUNCTION_NAME, FC_FUNCTION_NAME)
// into a deployment id: lower-case, every run of other characters one "-", at most 32
// characters. An empty result is DefaultDeployment.
func DeploymentFromFunction(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	id := b.String()
	if len(id) > 32 {
		id = id[:32]
	}
	id = strings.Trim(id, "-")
	if id == "" {
		return DefaultDeployment
	}
	return id
}
