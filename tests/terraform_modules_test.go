package tests

// Module tests: each leaf module of terraform/modules (one without child
// modules) applied on its own to moto by terraform-plugin-testing's
// resource.Test, checked in the state (statecheck/knownvalue) and through the
// AWS APIs, re-planned by the framework (a non-empty plan after apply fails
// the test) and destroyed.
//
// The root module cannot be tested this way (its state has child modules,
// which the framework's state shim rejects; see terraform_test.go), so these
// tests apply each module's own resources as the test's root configuration:
//
//   - The step's Config is the module's .tf files (variables, locals, data
//     sources, resources, outputs), concatenated, without versions.tf. It calls
//     no module. ConfigDirectory cannot be used: the framework rejects
//     ExternalProviders together with ConfigDirectory or ConfigFile
//     ("Providers must only be specified within the terraform configuration
//     files when using TestStep.Config"), and without ExternalProviders it
//     demands a provider block inside the directory, which a module must not
//     have.
//   - versions.tf holds only the terraform block (checked below); dropping it
//     lets the framework write its own from ExternalProviders (hashicorp/aws
//     pinned to 5.100.0, which the module's constraint must admit, also
//     checked) with an empty provider "aws" block. Its required_version becomes
//     a TerraformVersionCheck.
//   - The empty provider block takes the region, endpoint and credentials from
//     the environment: AWS_REGION, AWS_ENDPOINT_URL (moto for every service)
//     and dummy keys, exactly as terraform_test.go configures the root module's
//     provider, with the same helpers (TF_ACC gating, the terraform binary,
//     the provider mirror, motoserver).
//   - Module inputs are plain ConfigVariables. Inputs naming other modules'
//     resources are well-formed ARNs of resources that do not exist (IAM
//     policies, alarm dimensions and integrations do not check them), except
//     the function websocket_api grants API Gateway access to: Lambda's
//     AddPermission needs a real function, so the test creates one in moto
//     before applying (a Terraform resource in the same configuration could
//     not be ordered before the module's permission, which depends on a
//     variable only).
//   - The framework's legacy state shim (helper/resource/state_shim.go)
//     rejects for_each instances ("for_each is not supported"), and it runs
//     before every TestCheckFunc and before the framework's own destroy. The
//     tables and function modules have none and use Check and CheckDestroy.
//     websocket_api (routes) and monitoring (alarms) have for_each: their
//     AWS checks are StateChecks (which get the Terraform JSON state, not the
//     shim) and a last Destroy step empties the state, so that the final
//     shim call sees no for_each and the framework has nothing left to
//     destroy. Should the apply step fail there, the framework also reports
//     "Error retrieving state, there may be dangling resources": they are
//     in this test's moto, which is killed when the test ends.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/hashicorp/go-version"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	tfjson "github.com/hashicorp/terraform-json"
	"github.com/hashicorp/terraform-plugin-testing/compare"
	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/tests/motoserver"
)

const (
	tfmModulesDir = tfRootDir + "/modules"
	// tfmAWSVersion is the provider every module test installs.
	tfmAWSVersion = "5.100.0"
	// tfmAccount is moto's default account id, for well-formed ARNs of
	// resources the tested module only refers to.
	tfmAccount = "123456789012"
	tfmStage   = "dev"
	// tfmFunction is the function name the root module gives the function
	// module (and websocket_api and monitoring).
	tfmFunction = tfPrefix + "-session-service"
	// tfmAPIID is a made-up API id for modules that only refer to the API.
	tfmAPIID = "a1b2c3d4e5"
)

var tfmTags = map[string]string{"Environment": "dev", "Project": "livecast", "ManagedBy": "terraform"}

func TestTerraformModuleTables(t *testing.T) {
	moto := tfmEmulator(t)
	emulator := tfNewAWS(moto.URL)

	tables := []struct{ resource, name, hashKey string }{
		{"aws_dynamodb_table.sessions", tfPrefix + "-sessions", "sessionId"},
		{"aws_dynamodb_table.connections", tfPrefix + "-connections", "connectionId"},
		{"aws_dynamodb_table.rate_limits", tfPrefix + "-rate-limits", "identifier"},
	}
	var checks []statecheck.StateCheck
	for _, tbl := range tables {
		checks = append(checks,
			tfmExpect(tbl.resource, "name", knownvalue.StringExact(tbl.name)),
			tfmExpect(tbl.resource, "hash_key", knownvalue.StringExact(tbl.hashKey)),
			tfmExpect(tbl.resource, "range_key", knownvalue.Null()),
			tfmExpect(tbl.resource, "billing_mode", knownvalue.StringExact("PAY_PER_REQUEST")),
			statecheck.ExpectKnownValue(tbl.resource, tfjsonpath.New("ttl"), knownvalue.ListExact([]knownvalue.Check{
				knownvalue.ObjectExact(map[string]knownvalue.Check{
					"attribute_name": knownvalue.StringExact("ttl"),
					"enabled":        knownvalue.Bool(true),
				}),
			})),
			statecheck.ExpectKnownValue(tbl.resource, tfjsonpath.New("point_in_time_recovery").AtSliceIndex(0).AtMapKey("enabled"), knownvalue.Bool(true)),
			statecheck.ExpectKnownValue(tbl.resource, tfjsonpath.New("server_side_encryption").AtSliceIndex(0).AtMapKey("enabled"), knownvalue.Bool(true)),
			tfmExpect(tbl.resource, "deletion_protection_enabled", knownvalue.Bool(false)),
			tfmExpect(tbl.resource, "tags", tfmStringMap(tfmTags)),
		)
	}
	checks = append(checks,
		tfmExpect("aws_dynamodb_table.sessions", "attribute", tfmAttributes("sessionId", "live")),
		tfmExpect("aws_dynamodb_table.sessions", "global_secondary_index", knownvalue.SetExact([]knownvalue.Check{
			knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"name":            knownvalue.StringExact("live-sessions-index"),
				"hash_key":        knownvalue.StringExact("live"),
				"range_key":       knownvalue.StringExact(""),
				"projection_type": knownvalue.StringExact("KEYS_ONLY"),
			}),
		})),
		tfmExpect("aws_dynamodb_table.connections", "attribute", tfmAttributes("connectionId", "sessionId", "targetLanguage")),
		tfmExpect("aws_dynamodb_table.connections", "global_secondary_index", knownvalue.SetExact([]knownvalue.Check{
			knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"name":            knownvalue.StringExact("sessionId-targetLanguage-index"),
				"hash_key":        knownvalue.StringExact("sessionId"),
				"range_key":       knownvalue.StringExact("targetLanguage"),
				"projection_type": knownvalue.StringExact("ALL"),
			}),
		})),
		tfmExpect("aws_dynamodb_table.rate_limits", "attribute", tfmAttributes("identifier")),
		tfmExpect("aws_dynamodb_table.rate_limits", "global_secondary_index", knownvalue.SetSizeExact(0)),
		statecheck.ExpectKnownOutputValue("connections_index_name", knownvalue.StringExact("sessionId-targetLanguage-index")),
		statecheck.ExpectKnownOutputValue("sessions_live_index_name", knownvalue.StringExact("live-sessions-index")),
		statecheck.ExpectKnownOutputValue("index_arns", knownvalue.ListExact([]knownvalue.Check{
			tfmRegexp(`^arn:aws:dynamodb:` + tfRegion + `:\d{12}:table/` + tfPrefix + `-sessions/index/live-sessions-index$`),
			tfmRegexp(`^arn:aws:dynamodb:` + tfRegion + `:\d{12}:table/` + tfPrefix + `-connections/index/sessionId-targetLanguage-index$`),
		})),
		statecheck.ExpectKnownOutputValue("table_arns", knownvalue.ListExact([]knownvalue.Check{
			tfmRegexp(`^arn:aws:dynamodb:` + tfRegion + `:\d{12}:table/` + tfPrefix + `-sessions$`),
			tfmRegexp(`^arn:aws:dynamodb:` + tfRegion + `:\d{12}:table/` + tfPrefix + `-connections$`),
			tfmRegexp(`^arn:aws:dynamodb:` + tfRegion + `:\d{12}:table/` + tfPrefix + `-rate-limits$`),
		})),
	)

	resource.Test(t, resource.TestCase{
		ExternalProviders:      tfmProviders(),
		TerraformVersionChecks: tfmVersionChecks(t, "tables"),
		CheckDestroy: func(s *terraform.State) error {
			for _, tbl := range tables {
				_, err := emulator.dynamo.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: aws.String(tbl.name)})
				var missing *dynamotypes.ResourceNotFoundException
				if !errors.As(err, &missing) {
					return fmt.Errorf("table %s after destroy: %v", tbl.name, err)
				}
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: tfmModuleConfig(t, "tables"),
			ConfigVariables: config.Variables{
				"name_prefix":            config.StringVariable(tfPrefix),
				"point_in_time_recovery": config.BoolVariable(true),
				"deletion_protection":    config.BoolVariable(false),
				"tags":                   tfmTagsVariable(),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				// Keys, attributes, GSIs, billing and TTL as DescribeTable and
				// DescribeTimeToLive report them, and the same as the tables
				// the store creates itself for local mode.
				func(*terraform.State) error { return emulator.checkTables(nil) },
				func(s *terraform.State) error {
					for _, tbl := range tables {
						if err := emulator.tfmCheckTable(s, tbl.resource); err != nil {
							return err
						}
					}
					return nil
				},
			),
			ConfigStateChecks: checks,
		}},
	})
}

// tfmCheckTable compares a table in moto with its state: ARN, status, PITR
// and encryption.
func (a *tfAWS) tfmCheckTable(s *terraform.State, address string) error {
	rs, err := tfmResource(s, address)
	if err != nil {
		return err
	}
	ctx := context.Background()
	name := rs.Primary.Attributes["name"]
	out, err := a.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("describe %s: %w", name, err)
	}
	tbl := out.Table
	if got, want := aws.ToString(tbl.TableArn), rs.Primary.Attributes["arn"]; got != want {
		return fmt.Errorf("%s: DescribeTable ARN %s, state %s", name, got, want)
	}
	if tbl.TableStatus != dynamotypes.TableStatusActive {
		return fmt.Errorf("%s is %s, want ACTIVE", name, tbl.TableStatus)
	}
	if tbl.SSEDescription == nil || tbl.SSEDescription.Status != dynamotypes.SSEStatusEnabled {
		return fmt.Errorf("%s: server-side encryption %+v, want ENABLED", name, tbl.SSEDescription)
	}
	backups, err := a.dynamo.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("continuous backups of %s: %w", name, err)
	}
	if d := backups.ContinuousBackupsDescription; d == nil || d.PointInTimeRecoveryDescription == nil ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != dynamotypes.PointInTimeRecoveryStatusEnabled {
		return fmt.Errorf("%s: point-in-time recovery is not enabled", name)
	}
	return nil
}

func TestTerraformModuleWebsocketAPI(t *testing.T) {
	moto := tfmEmulator(t)
	emulator := tfNewAWS(moto.URL)
	// The function the routes invoke, made before Terraform runs (see the
	// top of this file).
	functionARN := emulator.tfmCreateFunction(t, tfmFunction)
	invokeARN := "arn:aws:apigateway:" + tfRegion + ":lambda:path/2015-03-31/functions/" + functionARN + "/invocations"

	const api = "aws_apigatewayv2_api.this"
	const stage = "aws_apigatewayv2_stage.this"
	const integration = "aws_apigatewayv2_integration.function"
	const authorizer = "aws_apigatewayv2_authorizer.this[0]"
	hostname := `[a-z0-9]+\.execute-api\.` + tfRegion + `\.amazonaws\.com`
	checks := []statecheck.StateCheck{
		tfmExpect(api, "name", knownvalue.StringExact(tfPrefix+"-websocket")),
		tfmExpect(api, "protocol_type", knownvalue.StringExact("WEBSOCKET")),
		tfmExpect(api, "route_selection_expression", knownvalue.StringExact("$request.body.action")),
		tfmExpect(api, "tags", tfmStringMap(tfmTags)),
		tfmExpect(integration, "integration_type", knownvalue.StringExact("AWS_PROXY")),
		tfmExpect(integration, "integration_method", knownvalue.StringExact("POST")),
		tfmExpect(integration, "integration_uri", knownvalue.StringExact(invokeARN)),
		tfmExpect(authorizer, "authorizer_type", knownvalue.StringExact("REQUEST")),
		tfmExpect(authorizer, "authorizer_uri", knownvalue.StringExact(invokeARN)),
		tfmExpect(stage, "name", knownvalue.StringExact(tfmStage)),
		statecheck.ExpectKnownValue(stage, tfjsonpath.New("default_route_settings").AtSliceIndex(0), knownvalue.ObjectPartial(map[string]knownvalue.Check{
			"throttling_burst_limit":   knownvalue.Int64Exact(100),
			"throttling_rate_limit":    knownvalue.Float64Exact(50),
			"detailed_metrics_enabled": knownvalue.Bool(false),
			"data_trace_enabled":       knownvalue.Bool(false),
		})),
		statecheck.CompareValuePairs(stage, tfjsonpath.New("access_log_settings").AtSliceIndex(0).AtMapKey("destination_arn"),
			"aws_cloudwatch_log_group.access", tfjsonpath.New("arn"), compare.ValuesSame()),
		statecheck.ExpectKnownValue(stage, tfjsonpath.New("access_log_settings").AtSliceIndex(0).AtMapKey("format"),
			knownvalue.StringFunc(tfmAccessLogFormat)),
		tfmExpect("aws_cloudwatch_log_group.access", "name", knownvalue.StringExact("/aws/apigateway/"+tfPrefix+"-websocket/"+tfmStage)),
		tfmExpect("aws_cloudwatch_log_group.access", "retention_in_days", knownvalue.Int64Exact(1)),
		tfmExpect("aws_lambda_permission.routes", "statement_id", knownvalue.StringExact("AllowWebSocketRoutes-"+tfmStage)),
		tfmExpect("aws_lambda_permission.routes", "function_name", knownvalue.StringExact(tfmFunction)),
		tfmExpect("aws_lambda_permission.routes", "principal", knownvalue.StringExact("apigateway.amazonaws.com")),
		tfmExpect("aws_lambda_permission.routes", "source_arn", tfmRegexp(`^arn:aws:execute-api:`+tfRegion+`:\d{12}:[a-z0-9]+/`+tfmStage+`/\*$`)),
		tfmExpect("aws_lambda_permission.authorizer[0]", "source_arn", tfmRegexp(`^arn:aws:execute-api:`+tfRegion+`:\d{12}:[a-z0-9]+/authorizers/[a-z0-9]+$`)),
		statecheck.CompareValuePairs("aws_api_gateway_account.this[0]", tfjsonpath.New("cloudwatch_role_arn"),
			"aws_iam_role.cloudwatch[0]", tfjsonpath.New("arn"), compare.ValuesSame()),
		statecheck.ExpectKnownOutputValue("websocket_url", tfmRegexp(`^wss://`+hostname+`/`+tfmStage+`$`)),
		statecheck.ExpectKnownOutputValue("connections_endpoint", tfmRegexp(`^https://`+hostname+`/`+tfmStage+`$`)),
		statecheck.ExpectKnownOutputValue("route_keys", knownvalue.SetExact(tfmStrings(router.RouteKeys()))),
	}
	routeIDs := map[string]knownvalue.Check{}
	for _, key := range router.RouteKeys() {
		route := fmt.Sprintf("aws_apigatewayv2_route.this[%q]", key)
		auth := "NONE"
		if key == "$connect" {
			auth = "CUSTOM"
			checks = append(checks, statecheck.CompareValuePairs(route, tfjsonpath.New("authorizer_id"),
				authorizer, tfjsonpath.New("id"), compare.ValuesSame()))
		}
		checks = append(checks,
			tfmExpect(route, "route_key", knownvalue.StringExact(key)),
			tfmExpect(route, "target", tfmRegexp(`^integrations/[a-z0-9]+$`)),
			tfmExpect(route, "authorization_type", knownvalue.StringExact(auth)),
		)
		// two_way_routes: every route a client can answer on has a response.
		if key != "$connect" && key != "$disconnect" {
			checks = append(checks,
				tfmExpect(route, "route_response_selection_expression", knownvalue.StringExact("$default")),
				tfmExpect(fmt.Sprintf("aws_apigatewayv2_route_response.this[%q]", key), "route_response_key", knownvalue.StringExact("$default")),
			)
		}
		routeIDs[key] = knownvalue.NotNull()
	}
	checks = append(checks, statecheck.ExpectKnownOutputValue("route_ids", knownvalue.MapExact(routeIDs)))

	// The AWS APIs' view (a StateCheck: see the top of this file).
	checks = append(checks, tfmStateFunc(func(s *tfjson.State) error {
		id, err := tfmStateValue(s, api, "id")
		if err != nil {
			return err
		}
		authorizerID, err := tfmStateValue(s, authorizer, "id")
		if err != nil {
			return err
		}
		return emulator.tfmCheckAPI(id, authorizerID, invokeARN)
	}))

	cfg := tfmModuleConfig(t, "websocket_api")
	vars := config.Variables{
		"name_prefix":         config.StringVariable(tfPrefix),
		"stage_name":          config.StringVariable(tfmStage),
		"function_name":       config.StringVariable(tfmFunction),
		"function_invoke_arn": config.StringVariable(invokeARN),
		// Everything the module can build, beyond the root's dev test.
		"enable_authorizer":           config.BoolVariable(true),
		"two_way_routes":              config.BoolVariable(true),
		"create_cloudwatch_logs_role": config.BoolVariable(true),
		// moto has no API Gateway v2 CreateDeployment.
		"create_deployment":         config.BoolVariable(false),
		"throttling_burst_limit":    config.IntegerVariable(100),
		"throttling_rate_limit":     config.IntegerVariable(50),
		"access_log_retention_days": config.IntegerVariable(1),
		"tags":                      tfmTagsVariable(),
	}
	resource.Test(t, resource.TestCase{
		ExternalProviders:      tfmProviders(),
		TerraformVersionChecks: tfmVersionChecks(t, "websocket_api"),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigVariables: vars, ConfigStateChecks: checks},
			{
				Config: cfg, ConfigVariables: vars, Destroy: true,
				ConfigStateChecks: []statecheck.StateCheck{tfmStateFunc(func(*tfjson.State) error {
					return emulator.tfmCheckAPIGone(tfmFunction)
				})},
			},
		},
	})
}

// tfmAccessLogFormat accepts the stage's access log format: one JSON object
// of $context variables, none of which may leak what SPEC R19 keeps out of
// logs.
func tfmAccessLogFormat(format string) error {
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		return fmt.Errorf("access log format is not a JSON object of strings: %w", err)
	}
	for _, want := range []string{"requestId", "routeKey", "eventType", "status", "integrationError", "authorizerError"} {
		if !strings.HasPrefix(fields[want], "$context.") {
			return fmt.Errorf("access log format lacks %s: %s", want, format)
		}
	}
	for _, v := range fields {
		for _, leak := range []string{"querystring", "sourceIp", "connectionId", "requestOverride", "body"} {
			if strings.Contains(strings.ToLower(v), strings.ToLower(leak)) {
				return fmt.Errorf("access log format logs %s", v)
			}
		}
	}
	return nil
}

// tfmCheckAPI reads the API back from moto: protocol, route selection,
// routes and their targets, the authorizer, the stage and the function's
// resource policy.
func (a *tfAWS) tfmCheckAPI(id, authorizerID, invokeARN string) error {
	var api struct {
		ProtocolType             string `json:"protocolType"`
		RouteSelectionExpression string `json:"routeSelectionExpression"`
		Name                     string `json:"name"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+id, nil, nil, &api); err != nil {
		return err
	}
	if api.ProtocolType != "WEBSOCKET" || api.RouteSelectionExpression != "$request.body.action" || api.Name != tfPrefix+"-websocket" {
		return fmt.Errorf("API %s is %+v, want WEBSOCKET selecting on $request.body.action", id, api)
	}

	var integrations struct {
		Items []struct {
			IntegrationID   string `json:"integrationId"`
			IntegrationType string `json:"integrationType"`
			IntegrationURI  string `json:"integrationUri"`
		} `json:"items"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+id+"/integrations", nil, nil, &integrations); err != nil {
		return err
	}
	if len(integrations.Items) != 1 || integrations.Items[0].IntegrationType != "AWS_PROXY" || integrations.Items[0].IntegrationURI != invokeARN {
		return fmt.Errorf("integrations %+v, want one AWS_PROXY to %s", integrations.Items, invokeARN)
	}
	target := "integrations/" + integrations.Items[0].IntegrationID

	// (moto cannot list authorizers: GetAuthorizers answers 500.)
	var auth struct {
		AuthorizerType string   `json:"authorizerType"`
		AuthorizerURI  string   `json:"authorizerUri"`
		IdentitySource []string `json:"identitySource"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+id+"/authorizers/"+authorizerID, nil, nil, &auth); err != nil {
		return err
	}
	if auth.AuthorizerType != "REQUEST" || auth.AuthorizerURI != invokeARN || len(auth.IdentitySource) != 0 {
		return fmt.Errorf("authorizer %+v, want a REQUEST authorizer on the function without identity sources", auth)
	}

	var routes struct {
		Items []struct {
			RouteKey                         string `json:"routeKey"`
			Target                           string `json:"target"`
			AuthorizationType                string `json:"authorizationType"`
			AuthorizerID                     string `json:"authorizerId"`
			RouteResponseSelectionExpression string `json:"routeResponseSelectionExpression"`
		} `json:"items"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+id+"/routes", nil, nil, &routes); err != nil {
		return err
	}
	var keys []string
	for _, r := range routes.Items {
		keys = append(keys, r.RouteKey)
		if r.Target != target {
			return fmt.Errorf("route %s targets %q, want %q", r.RouteKey, r.Target, target)
		}
		connect := r.RouteKey == "$connect"
		if connect != (r.AuthorizationType == "CUSTOM" && r.AuthorizerID == authorizerID) {
			return fmt.Errorf("route %s has authorization %s/%s; only $connect has the authorizer %s", r.RouteKey, r.AuthorizationType, r.AuthorizerID, authorizerID)
		}
		twoWay := !connect && r.RouteKey != "$disconnect"
		if twoWay != (r.RouteResponseSelectionExpression == "$default") {
			return fmt.Errorf("route %s has route response selection %q", r.RouteKey, r.RouteResponseSelectionExpression)
		}
	}
	want := router.RouteKeys()
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		return fmt.Errorf("API routes %v, want %v", keys, want)
	}

	var stage struct {
		StageName          string `json:"stageName"`
		DefaultRouteConfig struct {
			ThrottlingBurstLimit int     `json:"throttlingBurstLimit"`
			ThrottlingRateLimit  float64 `json:"throttlingRateLimit"`
		} `json:"defaultRouteSettings"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+id+"/stages/"+tfmStage, nil, nil, &stage); err != nil {
		return err
	}
	if stage.StageName != tfmStage || stage.DefaultRouteConfig.ThrottlingBurstLimit != 100 || stage.DefaultRouteConfig.ThrottlingRateLimit != 50 {
		return fmt.Errorf("stage %+v, want %s throttled at 100/50", stage, tfmStage)
	}

	// API Gateway may invoke the function from this API's stage and as this
	// API's authorizer, nothing else.
	sources, err := a.tfmInvokeSources(tfmFunction)
	if err != nil {
		return err
	}
	prefix := `^arn:aws:execute-api:` + tfRegion + `:\d{12}:` + id
	wantSources := map[string]*regexp.Regexp{
		"AllowWebSocketRoutes-" + tfmStage: regexp.MustCompile(prefix + `/` + tfmStage + `/\*$`),
		"AllowWebSocketAuthorizer":         regexp.MustCompile(prefix + `/authorizers/` + authorizerID + `$`),
	}
	if len(sources) != len(wantSources) {
		return fmt.Errorf("function policy statements %v, want %v", sources, wantSources)
	}
	for sid, re := range wantSources {
		if !re.MatchString(sources[sid]) {
			return fmt.Errorf("permission %s has source %q, want %s", sid, sources[sid], re)
		}
	}
	return nil
}

// tfmCheckAPIGone checks that destroy removed every API and the function's
// permissions (the function itself is the test's).
func (a *tfAWS) tfmCheckAPIGone(function string) error {
	var apis struct {
		Items []struct {
			APIID string `json:"apiId"`
		} `json:"items"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis", nil, nil, &apis); err != nil {
		return err
	}
	if len(apis.Items) != 0 {
		return fmt.Errorf("APIs %+v survived destroy", apis.Items)
	}
	sources, err := a.tfmInvokeSources(function)
	if err != nil {
		return err
	}
	if len(sources) != 0 {
		return fmt.Errorf("function permissions %v survived destroy", sources)
	}
	return nil
}

// tfmInvokeSources returns the source ARN of each statement of a function's
// resource policy, by statement id (none when it has no policy).
func (a *tfAWS) tfmInvokeSources(function string) (map[string]string, error) {
	out, err := a.lambda.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(function)})
	var missing *lambdatypes.ResourceNotFoundException
	if errors.As(err, &missing) {
		return map[string]string{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get policy of %s: %w", function, err)
	}
	var policy struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &policy); err != nil {
		return nil, fmt.Errorf("policy of %s: %w", function, err)
	}
	sources := map[string]string{}
	for _, st := range policy.Statement {
		sources[st.Sid] = st.Condition["ArnLike"]["AWS:SourceArn"]
	}
	return sources, nil
}

// tfmCreateFunction creates a function (and its role) in moto outside
// Terraform and returns its ARN.
func (a *tfAWS) tfmCreateFunction(t *testing.T, name string) string {
	t.Helper()
	form := url.Values{
		"Action":   {"CreateRole"},
		"Version":  {"2010-05-08"},
		"RoleName": {name + "-fixture-role"},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow",` +
			`"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`},
	}
	var role struct {
		Arn string `xml:"CreateRoleResult>Role>Arn"`
	}
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	require.NoError(t, a.call(http.MethodPost, "iam", "/", hdr, []byte(form.Encode()), &role))
	code, err := os.ReadFile(tfDummyPackage(t))
	require.NoError(t, err)
	out, err := a.lambda.CreateFunction(context.Background(), &lambda.CreateFunctionInput{
		FunctionName:  aws.String(name),
		Role:          aws.String(role.Arn),
		Runtime:       lambdatypes.RuntimeProvidedal2023,
		Handler:       aws.String("bootstrap"),
		Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureArm64},
		Code:          &lambdatypes.FunctionCode{ZipFile: code},
	})
	require.NoError(t, err, "the function the API invokes")
	return aws.ToString(out.FunctionArn)
}

func TestTerraformModuleFunction(t *testing.T) {
	moto := tfmEmulator(t)
	emulator := tfNewAWS(moto.URL)

	// What the root module would pass, with ARNs of tables and an API that
	// exist only in the role's policy.
	tableARN := func(name string) string {
		return "arn:aws:dynamodb:" + tfRegion + ":" + tfmAccount + ":table/" + tfPrefix + "-" + name
	}
	tables := []string{tableARN("sessions"), tableARN("connections"), tableARN("rate-limits")}
	indexes := []string{tables[0] + "/index/live-sessions-index", tables[1] + "/index/sessionId-targetLanguage-index"}
	executionARN := "arn:aws:execute-api:" + tfRegion + ":" + tfmAccount + ":" + tfmAPIID
	endpoint := "https://" + tfmAPIID + ".execute-api." + tfRegion + ".amazonaws.com/" + tfmStage
	// envs/dev.tfvars' values, which checkFunction expects.
	env := tfDevEnvironment(endpoint)
	env["USER_POOL_ID"] = tfRegion + "_AbCdEf123"
	env["CLIENT_ID"] = "4example5client6id7abcdefgh"
	envVars := map[string]config.Variable{}
	for k, v := range env {
		envVars[k] = config.StringVariable(v)
	}

	const fn = "aws_lambda_function.this"
	const rule = "aws_cloudwatch_event_rule.sweep[0]"
	checks := []statecheck.StateCheck{
		tfmExpect(fn, "function_name", knownvalue.StringExact(tfmFunction)),
		tfmExpect(fn, "runtime", knownvalue.StringExact("provided.al2023")),
		tfmExpect(fn, "handler", knownvalue.StringExact("bootstrap")),
		tfmExpect(fn, "architectures", knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("arm64")})),
		tfmExpect(fn, "memory_size", knownvalue.Int64Exact(256)),
		tfmExpect(fn, "timeout", knownvalue.Int64Exact(30)),
		tfmExpect(fn, "reserved_concurrent_executions", knownvalue.Int64Exact(-1)),
		statecheck.ExpectKnownValue(fn, tfjsonpath.New("tracing_config").AtSliceIndex(0).AtMapKey("mode"), knownvalue.StringExact("PassThrough")),
		statecheck.ExpectKnownValue(fn, tfjsonpath.New("environment").AtSliceIndex(0).AtMapKey("variables"), tfmStringMap(env)),
		tfmExpect(fn, "tags", tfmStringMap(tfmTags)),
		statecheck.CompareValuePairs(fn, tfjsonpath.New("role"), "aws_iam_role.this", tfjsonpath.New("arn"), compare.ValuesSame()),
		tfmExpect("aws_iam_role.this", "name", knownvalue.StringExact(tfmFunction+"-role")),
		tfmExpect("aws_iam_role_policy.this", "name", knownvalue.StringExact(tfmFunction+"-policy")),
		tfmExpect("aws_cloudwatch_log_group.this", "name", knownvalue.StringExact("/aws/lambda/"+tfmFunction)),
		tfmExpect("aws_cloudwatch_log_group.this", "retention_in_days", knownvalue.Int64Exact(1)),
		tfmExpect(rule, "name", knownvalue.StringExact(tfmFunction+"-sweep")),
		tfmExpect(rule, "schedule_expression", knownvalue.StringExact("rate(1 minute)")),
		statecheck.CompareValuePairs("aws_cloudwatch_event_target.sweep[0]", tfjsonpath.New("arn"), fn, tfjsonpath.New("arn"), compare.ValuesSame()),
		statecheck.CompareValuePairs("aws_lambda_permission.sweep[0]", tfjsonpath.New("source_arn"), rule, tfjsonpath.New("arn"), compare.ValuesSame()),
		tfmExpect("aws_lambda_permission.sweep[0]", "principal", knownvalue.StringExact("events.amazonaws.com")),
		// The policy's resources are exactly the inputs.
		statecheck.ExpectKnownOutputValue("policy_statements", knownvalue.ListExact([]knownvalue.Check{
			tfmStatement("TableItems", tables...),
			tfmStatement("IndexQuery", indexes...),
			tfmStatement("SweepScan", tables[1]),
			tfmStatement("ManageConnections",
				executionARN+"/"+tfmStage+"/POST/@connections/*",
				executionARN+"/"+tfmStage+"/GET/@connections/*",
				executionARN+"/"+tfmStage+"/DELETE/@connections/*"),
			tfmStatement("InvokeSelf", "arn:aws:lambda:"+tfRegion+":"+tfmAccount+":function:"+tfmFunction),
			tfmStatement("OwnLogs", "arn:aws:logs:"+tfRegion+":"+tfmAccount+":log-group:/aws/lambda/"+tfmFunction+":*"),
		})),
	}

	resource.Test(t, resource.TestCase{
		ExternalProviders:      tfmProviders(),
		TerraformVersionChecks: tfmVersionChecks(t, "function"),
		CheckDestroy: func(s *terraform.State) error {
			if err := emulator.checkNothingLeft(); err != nil {
				return err
			}
			var rule struct{ Name string }
			err := emulator.callJSON("events", "AWSEvents.DescribeRule", map[string]string{"Name": tfmFunction + "-sweep"}, &rule)
			if err == nil {
				return errors.New("the sweep rule survived destroy")
			}
			return nil
		},
		Steps: []resource.TestStep{{
			Config: tfmModuleConfig(t, "function"),
			ConfigVariables: config.Variables{
				"function_name":            config.StringVariable(tfmFunction),
				"package_path":             config.StringVariable(tfDummyPackage(t)),
				"memory_size":              config.IntegerVariable(256),
				"timeout_seconds":          config.IntegerVariable(30),
				"tracing_mode":             config.StringVariable("PassThrough"),
				"log_retention_days":       config.IntegerVariable(1),
				"environment_variables":    config.MapVariable(envVars),
				"dynamodb_table_arns":      tfmStringList(tables...),
				"dynamodb_index_arns":      tfmStringList(indexes...),
				"dynamodb_scan_table_arns": tfmStringList(tables[1]),
				"websocket_execution_arn":  config.StringVariable(executionARN),
				"websocket_stage_name":     config.StringVariable(tfmStage),
				"tags":                     tfmTagsVariable(),
			},
			Check: resource.ComposeAggregateTestCheckFunc(
				// The same checks as the root module's test, on what moto
				// holds: runtime, environment, role policy, sweep rule.
				func(*terraform.State) error {
					return emulator.checkFunction(map[string]string{"connections_endpoint": endpoint})
				},
				func(*terraform.State) error { return emulator.checkRolePolicy(nil) },
				func(s *terraform.State) error {
					rs, err := tfmResource(s, fn)
					if err != nil {
						return err
					}
					return emulator.checkSweepRule(map[string]string{"function_arn": rs.Primary.Attributes["arn"]})
				},
				func(s *terraform.State) error {
					rs, err := tfmResource(s, rule)
					if err != nil {
						return err
					}
					sources, err := emulator.tfmInvokeSources(tfmFunction)
					if err != nil {
						return err
					}
					if len(sources) != 1 || sources["AllowEventBridgeSweep"] != rs.Primary.Attributes["arn"] {
						return fmt.Errorf("function permissions %v, want EventBridge from %s only", sources, rs.Primary.Attributes["arn"])
					}
					return nil
				},
			),
			ConfigStateChecks: checks,
		}},
	})
}

func TestTerraformModuleMonitoring(t *testing.T) {
	moto := tfmEmulator(t)
	emulator := tfNewAWS(moto.URL)
	const email = "oncall@example.com"

	simple := func(name, namespace, metric string, dimensions map[string]string, threshold float64) []statecheck.StateCheck {
		address := fmt.Sprintf("aws_cloudwatch_metric_alarm.simple[%q]", name)
		return []statecheck.StateCheck{
			tfmExpect(address, "alarm_name", knownvalue.StringExact(tfPrefix+"-"+name)),
			tfmExpect(address, "namespace", knownvalue.StringExact(namespace)),
			tfmExpect(address, "metric_name", knownvalue.StringExact(metric)),
			tfmExpect(address, "dimensions", tfmStringMap(dimensions)),
			tfmExpect(address, "statistic", knownvalue.StringExact("Sum")),
			tfmExpect(address, "threshold", knownvalue.Float64Exact(threshold)),
			tfmExpect(address, "period", knownvalue.Int64Exact(300)),
			tfmExpect(address, "comparison_operator", knownvalue.StringExact("GreaterThanThreshold")),
			statecheck.CompareValueCollection(address, []tfjsonpath.Path{tfjsonpath.New("alarm_actions")},
				"aws_sns_topic.alarms", tfjsonpath.New("arn"), compare.ValuesSame()),
		}
	}
	fnDims := map[string]string{"FunctionName": tfmFunction}
	apiDims := map[string]string{"ApiId": tfmAPIID, "Stage": tfmStage}
	var checks []statecheck.StateCheck
	checks = append(checks, simple("function-errors", "AWS/Lambda", "Errors", fnDims, 20)...)
	checks = append(checks, simple("function-throttles", "AWS/Lambda", "Throttles", fnDims, 10)...)
	checks = append(checks, simple("api-integration-errors", "AWS/ApiGateway", "IntegrationError", apiDims, 50)...)
	checks = append(checks, simple("api-execution-errors", "AWS/ApiGateway", "ExecutionError", apiDims, 50)...)
	const latency = "aws_cloudwatch_metric_alarm.session_creation_latency"
	const connErrors = "aws_cloudwatch_metric_alarm.connection_errors"
	checks = append(checks,
		tfmExpect("aws_sns_topic.alarms", "name", knownvalue.StringExact(tfPrefix+"-alarms")),
		tfmExpect("aws_sns_topic_subscription.email[0]", "protocol", knownvalue.StringExact("email")),
		tfmExpect("aws_sns_topic_subscription.email[0]", "endpoint", knownvalue.StringExact(email)),
		statecheck.CompareValuePairs("aws_sns_topic_subscription.email[0]", tfjsonpath.New("topic_arn"),
			"aws_sns_topic.alarms", tfjsonpath.New("arn"), compare.ValuesSame()),
		tfmExpect(latency, "alarm_name", knownvalue.StringExact(tfPrefix+"-session-creation-latency-p95")),
		tfmExpect(latency, "namespace", knownvalue.StringExact("SessionService")),
		tfmExpect(latency, "metric_name", knownvalue.StringExact("SessionCreationLatency")),
		tfmExpect(latency, "extended_statistic", knownvalue.StringExact("p95")),
		tfmExpect(latency, "unit", knownvalue.StringExact("Milliseconds")),
		tfmExpect(latency, "threshold", knownvalue.Float64Exact(2000)),
		tfmExpect(connErrors, "alarm_name", knownvalue.StringExact(tfPrefix+"-connection-errors")),
		tfmExpect(connErrors, "threshold", knownvalue.Float64Exact(100)),
		tfmExpect(connErrors, "metric_query", knownvalue.SetExact([]knownvalue.Check{
			knownvalue.ObjectPartial(map[string]knownvalue.Check{
				"id":          knownvalue.StringExact("errors"),
				"expression":  knownvalue.StringExact(`SELECT SUM(ConnectionErrors) FROM SCHEMA("SessionService", ErrorCode)`),
				"period":      knownvalue.Int64Exact(300),
				"return_data": knownvalue.Bool(true),
			}),
		})),
		tfmExpect("aws_cloudwatch_dashboard.this", "dashboard_name", knownvalue.StringExact(tfPrefix+"-sessions")),
		statecheck.ExpectKnownOutputValue("alarm_names", knownvalue.SetExact(tfmStrings([]string{
			tfPrefix + "-function-errors", tfPrefix + "-function-throttles",
			tfPrefix + "-api-integration-errors", tfPrefix + "-api-execution-errors",
			tfPrefix + "-session-creation-latency-p95", tfPrefix + "-connection-errors",
		}))),
	)

	// The AWS APIs' view (a StateCheck: see the top of this file).
	checks = append(checks, tfmStateFunc(func(s *tfjson.State) error {
		topic, err := tfmStateValue(s, "aws_sns_topic.alarms", "arn")
		if err != nil {
			return err
		}
		return emulator.tfmCheckMonitoring(topic, email)
	}))
	gone := tfmStateFunc(func(*tfjson.State) error {
		alarms, err := emulator.tfmAlarms()
		if err != nil {
			return err
		}
		if len(alarms) != 0 {
			return fmt.Errorf("alarms %v survived destroy", alarms)
		}
		var dashboards struct {
			Names []string `xml:"ListDashboardsResult>DashboardEntries>member>DashboardName"`
		}
		if err := emulator.tfmQuery("monitoring", "2010-08-01", url.Values{"Action": {"ListDashboards"}}, &dashboards); err != nil {
			return err
		}
		if len(dashboards.Names) != 0 {
			return fmt.Errorf("dashboards %v survived destroy", dashboards.Names)
		}
		var topics struct {
			Arns []string `xml:"ListTopicsResult>Topics>member>TopicArn"`
		}
		if err := emulator.tfmQuery("sns", "2010-03-31", url.Values{"Action": {"ListTopics"}}, &topics); err != nil {
			return err
		}
		if len(topics.Arns) != 0 {
			return fmt.Errorf("topics %v survived destroy", topics.Arns)
		}
		return nil
	})

	cfg := tfmModuleConfig(t, "monitoring")
	vars := config.Variables{
		"name_prefix":                       config.StringVariable(tfPrefix),
		"function_name":                     config.StringVariable(tfmFunction),
		"api_id":                            config.StringVariable(tfmAPIID),
		"stage_name":                        config.StringVariable(tfmStage),
		"metrics_namespace":                 config.StringVariable("SessionService"),
		"alarm_email":                       config.StringVariable(email),
		"evaluation_periods":                config.IntegerVariable(1),
		"function_errors_threshold":         config.IntegerVariable(20),
		"function_throttles_threshold":      config.IntegerVariable(10),
		"api_errors_threshold":              config.IntegerVariable(50),
		"session_creation_p95_threshold_ms": config.IntegerVariable(2000),
		"connection_errors_threshold":       config.IntegerVariable(100),
		"tags":                              tfmTagsVariable(),
	}
	resource.Test(t, resource.TestCase{
		ExternalProviders:      tfmProviders(),
		TerraformVersionChecks: tfmVersionChecks(t, "monitoring"),
		Steps: []resource.TestStep{
			{Config: cfg, ConfigVariables: vars, ConfigStateChecks: checks},
			{Config: cfg, ConfigVariables: vars, Destroy: true, ConfigStateChecks: []statecheck.StateCheck{gone}},
		},
	})
}

// tfmAlarm is what DescribeAlarms reports of an alarm.
type tfmAlarm struct {
	AlarmName         string
	Namespace         string
	MetricName        string
	ExtendedStatistic string
	Threshold         float64
	AlarmActions      []string `xml:"AlarmActions>member"`
	OKActions         []string `xml:"OKActions>member"`
	Metrics           []struct {
		ID         string `xml:"Id"`
		Expression string
	} `xml:"Metrics>member"`
}

func (a *tfAWS) tfmAlarms() (map[string]tfmAlarm, error) {
	var out struct {
		Alarms []tfmAlarm `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	if err := a.tfmQuery("monitoring", "2010-08-01", url.Values{"Action": {"DescribeAlarms"}, "AlarmNamePrefix": {tfPrefix + "-"}}, &out); err != nil {
		return nil, err
	}
	alarms := map[string]tfmAlarm{}
	for _, al := range out.Alarms {
		alarms[al.AlarmName] = al
	}
	return alarms, nil
}

// tfmCheckMonitoring reads the alarms, the dashboard and the topic's
// subscription back from moto.
func (a *tfAWS) tfmCheckMonitoring(topicARN, email string) error {
	alarms, err := a.tfmAlarms()
	if err != nil {
		return err
	}
	want := map[string]string{ // alarm name suffix: metric (or query id)
		"function-errors":              "AWS/Lambda Errors",
		"function-throttles":           "AWS/Lambda Throttles",
		"api-integration-errors":       "AWS/ApiGateway IntegrationError",
		"api-execution-errors":         "AWS/ApiGateway ExecutionError",
		"session-creation-latency-p95": "SessionService SessionCreationLatency",
		"connection-errors":            " ",
	}
	if len(alarms) != len(want) {
		return fmt.Errorf("%d alarms, want %d: %v", len(alarms), len(want), alarms)
	}
	for suffix, metric := range want {
		al, ok := alarms[tfPrefix+"-"+suffix]
		if !ok {
			return fmt.Errorf("no alarm %s-%s", tfPrefix, suffix)
		}
		if got := al.Namespace + " " + al.MetricName; got != metric {
			return fmt.Errorf("alarm %s watches %q, want %q", al.AlarmName, got, metric)
		}
		if !slices.Equal(al.AlarmActions, []string{topicARN}) || !slices.Equal(al.OKActions, []string{topicARN}) {
			return fmt.Errorf("alarm %s notifies %v/%v, want %s", al.AlarmName, al.AlarmActions, al.OKActions, topicARN)
		}
	}
	if p95 := alarms[tfPrefix+"-session-creation-latency-p95"]; p95.ExtendedStatistic != "p95" || p95.Threshold != 2000 {
		return fmt.Errorf("latency alarm %+v, want p95 above 2000", p95)
	}
	q := alarms[tfPrefix+"-connection-errors"]
	if len(q.Metrics) != 1 || !strings.Contains(q.Metrics[0].Expression, `SUM(ConnectionErrors)`) || q.Threshold != 100 {
		return fmt.Errorf("connection errors alarm %+v, want one SUM(ConnectionErrors) query above 100", q)
	}

	var dashboard struct {
		Body string `xml:"GetDashboardResult>DashboardBody"`
	}
	if err := a.tfmQuery("monitoring", "2010-08-01", url.Values{"Action": {"GetDashboard"}, "DashboardName": {tfPrefix + "-sessions"}}, &dashboard); err != nil {
		return err
	}
	var body struct {
		Widgets []struct {
			Properties struct{ Title, Region string }
		}
	}
	if err := json.Unmarshal([]byte(dashboard.Body), &body); err != nil {
		return fmt.Errorf("dashboard body: %w", err)
	}
	if len(body.Widgets) != 6 {
		return fmt.Errorf("dashboard has %d widgets, want 6", len(body.Widgets))
	}
	for _, w := range body.Widgets {
		if w.Properties.Region != tfRegion {
			return fmt.Errorf("widget %q shows region %q, want %s", w.Properties.Title, w.Properties.Region, tfRegion)
		}
	}

	var subs struct {
		Subscriptions []struct{ Protocol, Endpoint string } `xml:"ListSubscriptionsByTopicResult>Subscriptions>member"`
	}
	if err := a.tfmQuery("sns", "2010-03-31", url.Values{"Action": {"ListSubscriptionsByTopic"}, "TopicArn": {topicARN}}, &subs); err != nil {
		return err
	}
	if len(subs.Subscriptions) != 1 || subs.Subscriptions[0].Protocol != "email" || subs.Subscriptions[0].Endpoint != email {
		return fmt.Errorf("topic subscriptions %+v, want %s by e-mail", subs.Subscriptions, email)
	}
	return nil
}

// tfmQuery calls an AWS query-protocol (form in, XML out) operation.
func (a *tfAWS) tfmQuery(service, apiVersion string, form url.Values, out any) error {
	form.Set("Version", apiVersion)
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	return a.call(http.MethodPost, service, "/", hdr, []byte(form.Encode()), out)
}

// tfmEmulator skips unless TF_ACC is set and terraform and moto are
// available, starts moto and points the AWS provider at it.
func tfmEmulator(t *testing.T) *motoserver.Server {
	t.Helper()
	if os.Getenv(resource.EnvTfAcc) == "" {
		t.Skip("applies Terraform to moto: set TF_ACC=1 (make tf-acc)")
	}
	// The framework would otherwise look for terraform on PATH and then
	// download the latest release.
	t.Setenv("TF_ACC_TERRAFORM_PATH", tfUseTerraformBinary(t))
	tfUseProviderMirror(t)
	moto, err := motoserver.Start()
	if err != nil {
		t.Skip("no AWS emulator:", err)
	}
	t.Cleanup(moto.Stop)
	// The empty provider "aws" block reads all of this from the environment.
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL":      moto.URL,
		"AWS_ACCESS_KEY_ID":     "test",
		"AWS_SECRET_ACCESS_KEY": "test",
		"AWS_SESSION_TOKEN":     "",
		"AWS_REGION":            tfRegion,
		"AWS_DEFAULT_REGION":    tfRegion,
		"AWS_PROFILE":           "",
		"AWS_CONFIG_FILE":       filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return moto
}

func tfmProviders() map[string]resource.ExternalProvider {
	return map[string]resource.ExternalProvider{
		"aws": {Source: "hashicorp/aws", VersionConstraint: tfmAWSVersion},
	}
}

// tfmModuleConfig returns a module's configuration as a test step Config:
// its .tf files but versions.tf, which must hold only the terraform block
// (replaced by the framework's, from ExternalProviders). Anything but
// variables, locals, data sources, resources and outputs fails the test.
func tfmModuleConfig(t *testing.T, module string) string {
	t.Helper()
	dir := filepath.Join(tfmModulesDir, module)
	files, err := filepath.Glob(filepath.Join(dir, "*.tf"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no .tf files in %s", dir)
	sort.Strings(files)
	var b strings.Builder
	for _, path := range files {
		src, err := os.ReadFile(path)
		require.NoError(t, err)
		file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		require.False(t, diags.HasErrors(), diags.Error())
		body := file.Body.(*hclsyntax.Body)
		require.Empty(t, body.Attributes, "%s has top-level attributes", path)
		if filepath.Base(path) == "versions.tf" {
			for _, block := range body.Blocks {
				require.Equal(t, "terraform", block.Type, "%s must hold only the terraform block (the test drops it)", path)
			}
			continue
		}
		for _, block := range body.Blocks {
			switch block.Type {
			case "variable", "locals", "data", "resource", "output":
			default:
				t.Fatalf("%s: a %s block; a module test applies only the module's own resources", path, block.Type)
			}
		}
		fmt.Fprintf(&b, "# ---- modules/%s/%s ----\n\n%s\n", module, filepath.Base(path), src)
	}
	cfg := b.String()
	// The framework adds its terraform and provider blocks only to a Config
	// in which these patterns (its own) find nothing, comments included.
	require.NotRegexp(t, `terraform\s*{`, cfg, "module %s: text the framework takes for a terraform block", module)
	require.NotRegexp(t, `provider(\s*"[a-zA-Z0-9_-]+"\s*|\s+[a-zA-Z0-9_-]+\s*){`, cfg, "module %s: text the framework takes for a provider block", module)
	return cfg
}

// tfmVersionChecks turns the module's versions.tf into the test's
// requirements: its required_version becomes a version check (the test
// skips on an older terraform), and its hashicorp/aws constraint must admit
// the provider version the test installs.
func tfmVersionChecks(t *testing.T, module string) []tfversion.TerraformVersionCheck {
	t.Helper()
	path := filepath.Join(tfmModulesDir, module, "versions.tf")
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	var required, awsSource, awsVersion string
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		if block.Type != "terraform" {
			continue
		}
		if attr, ok := block.Body.Attributes["required_version"]; ok {
			required = tfmLiteral(t, attr.Expr).AsString()
		}
		for _, inner := range block.Body.Blocks {
			if attr, ok := inner.Body.Attributes["aws"]; ok && inner.Type == "required_providers" {
				v := tfmLiteral(t, attr.Expr)
				awsSource = v.GetAttr("source").AsString()
				awsVersion = v.GetAttr("version").AsString()
			}
		}
	}
	require.Equal(t, "hashicorp/aws", awsSource, "%s: source of aws", path)
	constraint, err := version.NewConstraint(awsVersion)
	require.NoError(t, err, "%s: version of aws", path)
	require.True(t, constraint.Check(version.Must(version.NewVersion(tfmAWSVersion))),
		"%s: aws %q does not admit %s, the version the test installs", path, awsVersion, tfmAWSVersion)
	require.NotEmpty(t, required, "%s: no required_version", path)
	terraformConstraint, err := version.NewConstraint(required)
	require.NoError(t, err, "%s: required_version", path)
	return []tfversion.TerraformVersionCheck{tfmRequiredVersion{terraformConstraint}}
}

func tfmLiteral(t *testing.T, expr hclsyntax.Expression) cty.Value {
	t.Helper()
	v, diags := expr.Value(nil)
	require.False(t, diags.HasErrors(), diags.Error())
	return v
}

// tfmRequiredVersion skips a test on a terraform outside a module's
// required_version.
type tfmRequiredVersion struct{ constraint version.Constraints }

func (c tfmRequiredVersion) CheckTerraformVersion(_ context.Context, req tfversion.CheckTerraformVersionRequest, resp *tfversion.CheckTerraformVersionResponse) {
	if !c.constraint.Check(req.TerraformVersion.Core()) {
		resp.Skip = fmt.Sprintf("terraform %s does not satisfy the module's required_version %s", req.TerraformVersion, c.constraint)
	}
}

// tfmResource finds a resource in the framework's legacy state, which names
// count instances type.name.N (type.name[N] in Terraform).
func tfmResource(s *terraform.State, address string) (*terraform.ResourceState, error) {
	key := regexp.MustCompile(`\[(\d+)\]$`).ReplaceAllString(address, ".$1")
	rs, ok := s.RootModule().Resources[key]
	if !ok || rs.Primary == nil {
		return nil, fmt.Errorf("%s is not in the state", address)
	}
	return rs, nil
}

// tfmStateFunc is a StateCheck running a function on the Terraform JSON
// state (which, unlike the Check's legacy state, holds for_each instances).
type tfmStateFunc func(*tfjson.State) error

func (f tfmStateFunc) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	resp.Error = f(req.State)
}

// tfmStateValue reads a string attribute of a root module resource.
func tfmStateValue(s *tfjson.State, address, attribute string) (string, error) {
	if s != nil && s.Values != nil && s.Values.RootModule != nil {
		for _, r := range s.Values.RootModule.Resources {
			if r.Address == address {
				if v, ok := r.AttributeValues[attribute].(string); ok && v != "" {
					return v, nil
				}
				return "", fmt.Errorf("%s has no %s", address, attribute)
			}
		}
	}
	return "", fmt.Errorf("%s is not in the state", address)
}

func tfmExpect(address, attribute string, check knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(address, tfjsonpath.New(attribute), check)
}

func tfmRegexp(re string) knownvalue.Check { return knownvalue.StringRegexp(regexp.MustCompile(re)) }

func tfmStrings(values []string) []knownvalue.Check {
	checks := make([]knownvalue.Check, len(values))
	for i, v := range values {
		checks[i] = knownvalue.StringExact(v)
	}
	return checks
}

func tfmStringMap(m map[string]string) knownvalue.Check {
	checks := make(map[string]knownvalue.Check, len(m))
	for k, v := range m {
		checks[k] = knownvalue.StringExact(v)
	}
	return knownvalue.MapExact(checks)
}

// tfmAttributes checks a table's attribute definitions: these names, all strings.
func tfmAttributes(names ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(names))
	for i, n := range names {
		checks[i] = knownvalue.ObjectExact(map[string]knownvalue.Check{
			"name": knownvalue.StringExact(n),
			"type": knownvalue.StringExact("S"),
		})
	}
	return knownvalue.SetExact(checks)
}

// tfmStatement checks one statement of the function's policy_statements output.
func tfmStatement(sid string, resources ...string) knownvalue.Check {
	return knownvalue.ObjectPartial(map[string]knownvalue.Check{
		"Sid":      knownvalue.StringExact(sid),
		"Effect":   knownvalue.StringExact("Allow"),
		"Resource": knownvalue.ListExact(tfmStrings(resources)),
	})
}

func tfmStringList(values ...string) config.Variable {
	vars := make([]config.Variable, len(values))
	for i, v := range values {
		vars[i] = config.StringVariable(v)
	}
	return config.ListVariable(vars...)
}

func tfmTagsVariable() config.Variable {
	vars := map[string]config.Variable{}
	for k, v := range tfmTags {
		vars[k] = config.StringVariable(v)
	}
	return config.MapVariable(vars)
}
