package terraform

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
)

// deployment is what the apply step of one environment saw, for the later
// steps of its TestCase (and the other environments' checks).
type deployment struct {
	mu        sync.Mutex
	outputs   map[string]string
	resources []resourceRef
}

func (d *deployment) record(outs map[string]string, res []resourceRef) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.outputs, d.resources = outs, res
}

func (d *deployment) seen() (map[string]string, []resourceRef) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.outputs, d.resources
}

// resourceRef is one managed resource instance of the state.
type resourceRef struct {
	address, typ string
	values       map[string]any
}

func (r resourceRef) str(key string) string {
	v, _ := r.values[key].(string)
	return v
}

// managedResources walks the state's module tree: the wrapper's root module
// holds nothing but the stack, whose resources all live in child modules
// (module.stack and module.stack.module.*), which the framework's legacy
// state shim cannot read and a StateCheck, given the JSON state, can.
func managedResources(state *tfjson.State) ([]resourceRef, error) {
	if state == nil || state.Values == nil || state.Values.RootModule == nil {
		return nil, nil
	}
	root := state.Values.RootModule
	if len(root.Resources) != 0 {
		return nil, fmt.Errorf("the wrapper's root module holds %d resources, want none but the stack's", len(root.Resources))
	}
	var out []resourceRef
	var walk func(m *tfjson.StateModule)
	walk = func(m *tfjson.StateModule) {
		for _, r := range m.Resources {
			if r.Mode == tfjson.ManagedResourceMode {
				out = append(out, resourceRef{address: r.Address, typ: r.Type, values: r.AttributeValues})
			}
		}
		for _, c := range m.ChildModules {
			walk(c)
		}
	}
	for _, c := range root.ChildModules {
		walk(c)
	}
	return out, nil
}

// stringOutputs returns the state's string outputs.
func stringOutputs(state *tfjson.State) map[string]string {
	outs := map[string]string{}
	if state == nil || state.Values == nil {
		return outs
	}
	for name, o := range state.Values.Outputs {
		if v, ok := o.Value.(string); ok {
			outs[name] = v
		}
	}
	return outs
}

// builtInMoto is the apply step's check: every managed resource of every
// module of the stack exists in moto, asked through the service's own API,
// and what the environment is made of matches its tfvars (tables against
// the store's own, the function's configuration and policy, routes against
// the router, alarms, logs, the stream).
type builtInMoto struct {
	aws *emulator
	env environment
	dep *deployment
}

var _ statecheck.StateCheck = builtInMoto{}

func (c builtInMoto) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	res, err := managedResources(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	outs := stringOutputs(req.State)
	c.dep.record(outs, res)
	var errs []error
	if len(res) == 0 {
		errs = append(errs, errors.New("the state holds no resource"))
	}
	for _, r := range res {
		if err := c.aws.probe(ctx, r); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", r.address, err))
		}
	}
	checks := map[string]func(environment, map[string]string) error{
		"outputs":            checkOutputs,
		"tables":             c.aws.checkTables,
		"function":           c.aws.checkFunction,
		"routes":             c.aws.checkRoutes,
		"invoke permissions": c.aws.checkInvokePermissions,
		"role policy":        c.aws.checkRolePolicy,
		"sweep rule":         c.aws.checkSweepRule,
		"audio stream":       c.aws.checkAudioStream,
		"alarms":             c.aws.checkAlarms,
		"access logs":        c.aws.checkAccessLogs,
		"stage":              c.aws.checkStage,
		"user pool":          c.aws.checkUserPool,
	}
	for _, name := range sortedKeys(checks) {
		if err := checks[name](c.env, outs); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	resp.Error = errors.Join(errs...)
}

// survivesDevDestroy is the check of staging's and prod's step after dev's
// destroy: the account's logging role is still registered, and this
// environment's stage still writes access logs.
type survivesDevDestroy struct {
	aws         *emulator
	env         environment
	dep         *deployment
	accountRole string
}

func (c survivesDevDestroy) CheckState(_ context.Context, _ statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	outs, _ := c.dep.seen()
	resp.Error = errors.Join(
		c.aws.checkAccountLogging(c.accountRole),
		c.aws.checkAccessLogs(c.env, outs),
	)
}

// goneFromMoto is the destroy step's check: every resource the apply step
// found is gone from moto, and so are the environment's tables, function,
// stream and API.
type goneFromMoto struct {
	aws *emulator
	env environment
	dep *deployment
}

func (c goneFromMoto) CheckState(ctx context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	outs, res := c.dep.seen()
	left, err := managedResources(req.State)
	errs := []error{err}
	if len(left) != 0 {
		errs = append(errs, fmt.Errorf("%d resources left in the state", len(left)))
	}
	if len(res) == 0 {
		errs = append(errs, errors.New("the apply step recorded no resource"))
	}
	for _, r := range res {
		err := c.aws.probe(ctx, r)
		if err == nil {
			errs = append(errs, fmt.Errorf("%s survived the destroy", r.address))
		} else if !errors.Is(err, errMissing) {
			errs = append(errs, fmt.Errorf("%s after the destroy: %w", r.address, err))
		}
	}
	errs = append(errs, c.aws.checkGone(c.env, outs))
	resp.Error = errors.Join(errs...)
}

// errMissing is a probe's answer for a resource the emulator does not have.
var errMissing = errors.New("not found")

// missing classifies an AWS API's answer: does it say the resource is not
// there? (Each service has its own code; classified here, once.)
func missing(err error) bool {
	var api *apiError
	if errors.As(err, &api) {
		return api.status == http.StatusNotFound || notFoundCodes[api.code()]
	}
	var sdk smithy.APIError
	return errors.As(err, &sdk) && notFoundCodes[sdk.ErrorCode()]
}

var notFoundCodes = map[string]bool{
	"ResourceNotFoundException":               true, // DynamoDB, Lambda, Kinesis, EventBridge, Cognito
	"ResourceNotFound":                        true, // CloudWatch dashboards
	"NotFoundException":                       true, // API Gateway
	"NoSuchEntity":                            true, // IAM
	"NotFound":                                true, // SNS
	"AWS.SimpleQueueService.NonExistentQueue": true, // SQS (query)
	"QueueDoesNotExist":                       true, // SQS (JSON)
}

// probe asks moto whether a resource of the state exists, through the API
// of its service. Every resource type the stack creates has a probe, so a
// new type fails here until it has one.
func (e *emulator) probe(ctx context.Context, r resourceRef) error {
	err := e.probeType(ctx, r)
	if err != nil && !errors.Is(err, errMissing) && missing(err) {
		return fmt.Errorf("%w: %v", errMissing, err)
	}
	return err
}

func (e *emulator) probeType(ctx context.Context, r resourceRef) error {
	var out any = &struct{}{}
	apis := "/v2/apis/" + r.str("api_id")
	switch r.typ {
	case "aws_dynamodb_table":
		_, err := e.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(r.str("name"))})
		return err
	case "aws_kinesis_stream":
		return e.awsJSON("kinesis", "Kinesis_20131202.DescribeStreamSummary", map[string]string{"StreamName": r.str("name")}, out)
	case "aws_lambda_function":
		_, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(r.str("function_name"))})
		return err
	case "aws_lambda_function_event_invoke_config":
		_, err := e.lambda.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(r.str("function_name"))})
		return err
	case "aws_lambda_permission":
		policy, err := e.lambda.GetPolicy(ctx, &lambda.GetPolicyInput{FunctionName: aws.String(r.str("function_name"))})
		if err != nil {
			return err
		}
		if !strings.Contains(aws.ToString(policy.Policy), `"`+r.str("statement_id")+`"`) {
			return errMissing
		}
		return nil
	case "aws_iam_role":
		return e.query("iam", "2010-05-08", url.Values{"Action": {"GetRole"}, "RoleName": {r.str("name")}}, out)
	case "aws_iam_role_policy":
		return e.query("iam", "2010-05-08", url.Values{"Action": {"GetRolePolicy"}, "RoleName": {r.str("role")}, "PolicyName": {r.str("name")}}, out)
	case "aws_cloudwatch_log_group":
		var groups struct {
			LogGroups []struct{ LogGroupName string }
		}
		if err := e.awsJSON("logs", "Logs_20140328.DescribeLogGroups", map[string]string{"logGroupNamePrefix": r.str("name")}, &groups); err != nil {
			return err
		}
		if !slices.ContainsFunc(groups.LogGroups, func(g struct{ LogGroupName string }) bool { return g.LogGroupName == r.str("name") }) {
			return errMissing
		}
		return nil
	case "aws_cloudwatch_event_rule":
		return e.awsJSON("events", "AWSEvents.DescribeRule", map[string]string{"Name": r.str("name")}, out)
	case "aws_cloudwatch_event_target":
		var targets struct{ Targets []struct{ Id string } }
		if err := e.awsJSON("events", "AWSEvents.ListTargetsByRule", map[string]string{"Rule": r.str("rule")}, &targets); err != nil {
			return err
		}
		if !slices.ContainsFunc(targets.Targets, func(x struct{ Id string }) bool { return x.Id == r.str("target_id") }) {
			return errMissing
		}
		return nil
	case "aws_apigatewayv2_api":
		return e.rest("apigateway", http.MethodGet, "/v2/apis/"+r.str("id"), out)
	case "aws_apigatewayv2_integration":
		return e.rest("apigateway", http.MethodGet, apis+"/integrations/"+r.str("id"), out)
	case "aws_apigatewayv2_authorizer":
		return e.rest("apigateway", http.MethodGet, apis+"/authorizers/"+r.str("id"), out)
	case "aws_apigatewayv2_route":
		return e.rest("apigateway", http.MethodGet, apis+"/routes/"+r.str("id"), out)
	case "aws_apigatewayv2_route_response":
		return e.rest("apigateway", http.MethodGet, apis+"/routes/"+r.str("route_id")+"/routeresponses/"+r.str("id"), out)
	case "aws_apigatewayv2_stage":
		return e.rest("apigateway", http.MethodGet, apis+"/stages/"+r.str("name"), out)
	case "aws_sns_topic":
		return e.query("sns", "2010-03-31", url.Values{"Action": {"GetTopicAttributes"}, "TopicArn": {r.str("arn")}}, out)
	case "aws_sns_topic_subscription":
		return e.query("sns", "2010-03-31", url.Values{"Action": {"GetSubscriptionAttributes"}, "SubscriptionArn": {r.str("arn")}}, out)
	case "aws_cloudwatch_metric_alarm":
		var alarms struct {
			Names []string `xml:"DescribeAlarmsResult>MetricAlarms>member>AlarmName"`
		}
		if err := e.query("monitoring", "2010-08-01", url.Values{"Action": {"DescribeAlarms"}, "AlarmNames.member.1": {r.str("alarm_name")}}, &alarms); err != nil {
			return err
		}
		if !slices.Contains(alarms.Names, r.str("alarm_name")) {
			return errMissing
		}
		return nil
	case "aws_cloudwatch_dashboard":
		return e.query("monitoring", "2010-08-01", url.Values{"Action": {"GetDashboard"}, "DashboardName": {r.str("dashboard_name")}}, out)
	case "aws_cognito_user_pool":
		return e.awsJSON("cognito-idp", "AWSCognitoIdentityProviderService.DescribeUserPool", map[string]string{"UserPoolId": r.str("id")}, out)
	case "aws_cognito_user_pool_client":
		return e.awsJSON("cognito-idp", "AWSCognitoIdentityProviderService.DescribeUserPoolClient",
			map[string]string{"UserPoolId": r.str("user_pool_id"), "ClientId": r.str("id")}, out)
	case "aws_sqs_queue":
		return e.awsJSON0("sqs", "AmazonSQS.GetQueueUrl", map[string]string{"QueueName": r.str("name")}, out)
	}
	return fmt.Errorf("no probe for resource type %s: add one to emulator.probe", r.typ)
}

// sortedKeys lists a map's keys in order (for stable messages).
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
