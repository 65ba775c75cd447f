// Command hello is the baseline of the cold-start benchmark: the smallest aws-lambda-go
// function, built exactly as the real functions are.
package main

import (
	"context"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	lambda.Start(func(context.Context) (string, error) { return "hello", nil })
}
