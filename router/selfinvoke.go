package router

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaInvoker is the part of the Lambda API the self-invoking scheduler uses.
type LambdaInvoker interface {
	Invoke(ctx context.Context, in *lambda.InvokeInput, opts ...func(*lambda.Options)) (*lambda.InvokeOutput, error)
}

// SelfInvoker schedules internal events by invoking this same function
// asynchronously: API Gateway refuses posts while $connect runs, so the
// welcome must be sent by another invocation after it returns.
type SelfInvoker struct {
	Client       LambdaInvoker
	FunctionName string
}

// Schedule queues event for asynchronous execution.
func (s SelfInvoker) Schedule(ctx context.Context, event []byte) error {
	_, err := s.Client.Invoke(ctx, &lambda.InvokeInput{
		FunctionName:   aws.String(s.FunctionName),
		InvocationType: types.InvocationTypeEvent,
		Payload:        event,
	})
	if err != nil {
		return fmt.Errorf("invoke %s asynchronously: %w", s.FunctionName, err)
	}
	return nil
}
