package terraform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/guregu/dynamo/v2"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/store"
)

// accountID is moto's account.
const accountID = "123456789012"

// checkTables compares each table Terraform built with the one the store
// itself creates for local mode (store.CreateTables), so that a key, an
// index or the TTL attribute added to the code but not to Terraform fails
// here; and checks the environment's backups and deletion protection.
func (e *emulator) checkTables(env environment, _ map[string]string) error {
	ctx := context.Background()
	ref := store.Tables{Sessions: env.name + "-ref-sessions", Connections: env.name + "-ref-connections", RateLimits: env.name + "-ref-rate-limits"}
	st := store.New(dynamo.New(e.cfg), store.Config{Tables: ref})
	if err := st.CreateTables(ctx); err != nil {
		return fmt.Errorf("the store's own tables: %w", err)
	}
	defer func() { _ = st.DeleteTables(ctx) }()

	p := env.prefix()
	for built, want := range map[string]struct{ ref, shape string }{
		p + "-sessions": {ref.Sessions,
			"keys [sessionId/HASH]; attributes [live:S sessionId:S]; gsi [live-sessions-index[live/HASH] KEYS_ONLY]; PAY_PER_REQUEST; ttl ttl"},
		p + "-connections": {ref.Connections,
			"keys [connectionId/HASH]; attributes [connectionId:S sessionId:S targetLanguage:S]; gsi [sessionId-targetLanguage-index[sessionId/HASH targetLanguage/RANGE] ALL]; PAY_PER_REQUEST; ttl ttl"},
		p + "-rate-limits": {ref.RateLimits,
			"keys [identifier/HASH]; attributes [identifier:S]; gsi []; PAY_PER_REQUEST; ttl ttl"},
	} {
		got, err := e.tableShape(ctx, built)
		if err != nil {
			return err
		}
		if got != want.shape {
			return fmt.Errorf("%s is %q, want %q", built, got, want.shape)
		}
		code, err := e.tableShape(ctx, want.ref)
		if err != nil {
			return err
		}
		if got != code {
			return fmt.Errorf("%s is %q but the store creates %q", built, got, code)
		}
		if err := e.checkTableProtection(ctx, built, env); err != nil {
			return err
		}
	}
	return nil
}

func (e *emulator) checkTableProtection(ctx context.Context, name string, env environment) error {
	out, err := e.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return err
	}
	if got := aws.ToBool(out.Table.DeletionProtectionEnabled); got != env.deletionProtection {
		return fmt.Errorf("%s: deletion protection %v, want %v", name, got, env.deletionProtection)
	}
	if sse := out.Table.SSEDescription; sse == nil || sse.Status != dynamotypes.SSEStatusEnabled {
		return fmt.Errorf("%s: server-side encryption %+v, want ENABLED", name, sse)
	}
	backups, err := e.dynamo.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: aws.String(name)})
	if err != nil {
		return err
	}
	pitr := backups.ContinuousBackupsDescription.PointInTimeRecoveryDescription
	if got := pitr != nil && pitr.PointInTimeRecoveryStatus == dynamotypes.PointInTimeRecoveryStatusEnabled; got != env.pointInTimeRecovery {
		return fmt.Errorf("%s: point-in-time recovery %v, want %v", name, got, env.pointInTimeRecovery)
	}
	return nil
}

// tableShape summarizes what of a table the application depends on.
func (e *emulator) tableShape(ctx context.Context, name string) (string, error) {
	out, err := e.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("describe %s: %w", name, err)
	}
	tbl := out.Table
	var attrs, gsis []string
	for _, d := range tbl.AttributeDefinitions {
		attrs = append(attrs, aws.ToString(d.AttributeName)+":"+string(d.AttributeType))
	}
	sort.Strings(attrs)
	for _, g := range tbl.GlobalSecondaryIndexes {
		projection := ""
		if g.Projection != nil {
			projection = string(g.Projection.ProjectionType)
		}
		gsis = append(gsis, fmt.Sprintf("%s%v %s", aws.ToString(g.IndexName), keySchema(g.KeySchema), projection))
	}
	sort.Strings(gsis)
	billing := "PROVISIONED"
	if tbl.BillingModeSummary != nil {
		billing = string(tbl.BillingModeSummary.BillingMode)
	}
	ttl, err := e.dynamo.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("ttl of %s: %w", name, err)
	}
	ttlAttr := "off"
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == dynamotypes.TimeToLiveStatusEnabled {
		ttlAttr = aws.ToString(d.AttributeName)
	}
	return fmt.Sprintf("keys %v; attributes %v; gsi %v; %s; ttl %s", keySchema(tbl.KeySchema), attrs, gsis, billing, ttlAttr), nil
}

func keySchema(schema []dynamotypes.KeySchemaElement) []string {
	keys := make([]string, 0, len(schema))
	for _, k := range schema {
		keys = append(keys, aws.ToString(k.AttributeName)+"/"+string(k.KeyType))
	}
	sort.Strings(keys)
	return keys
}

// functionEnvironment is every variable the binary reads (app/config.go).
var functionEnvironment = []string{
	"SESSIONS_TABLE", "CONNECTIONS_TABLE", "RATE_LIMITS_TABLE", "MAX_LISTENERS_PER_SESSION",
	"SESSION_MAX_DURATION_HOURS", "CONNECTION_MAX_DURATION_HOURS", "CONNECTION_REFRESH_MINUTES",
	"CONNECTION_WARNING_MINUTES", "HEARTBEAT_INTERVAL_SECONDS", "HEARTBEAT_TIMEOUT_SECONDS",
	"RATE_LIMIT_SESSIONS_PER_HOUR", "RATE_LIMIT_LISTENER_JOINS_PER_MIN", "RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN",
	"RATE_LIMIT_HEARTBEATS_PER_MIN", "USER_POOL_ID", "CLIENT_ID", "LOG_LEVEL", "WEBSOCKET_ENDPOINT",
	"METRICS_NAMESPACE", "AUDIO_STREAM_NAME",
}

func (e *emulator) checkFunction(env environment, outs map[string]string) error {
	ctx := context.Background()
	name := env.prefix() + "-session-service"
	out, err := e.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("get function: %w", err)
	}
	if string(out.Runtime) != "provided.al2023" || aws.ToString(out.Handler) != "bootstrap" ||
		!slices.Equal(out.Architectures, []lambdatypes.Architecture{lambdatypes.ArchitectureArm64}) {
		return fmt.Errorf("function must be provided.al2023/bootstrap/arm64, got %s/%s/%v", out.Runtime, aws.ToString(out.Handler), out.Architectures)
	}
	if tracing := out.TracingConfig != nil && out.TracingConfig.Mode == lambdatypes.TracingModeActive; tracing != env.tracing {
		return fmt.Errorf("active tracing %v, want %v", tracing, env.tracing)
	}
	if out.Environment == nil {
		return errors.New("function has no environment")
	}
	vars := out.Environment.Variables
	if got := slices.Sorted(maps.Keys(vars)); !slices.Equal(got, slices.Sorted(slices.Values(functionEnvironment))) {
		return fmt.Errorf("function environment has %v, want exactly %v", got, functionEnvironment)
	}
	for k, v := range map[string]string{
		"SESSIONS_TABLE":     env.prefix() + "-sessions",
		"CONNECTIONS_TABLE":  env.prefix() + "-connections",
		"RATE_LIMITS_TABLE":  env.prefix() + "-rate-limits",
		"WEBSOCKET_ENDPOINT": outs["connections_endpoint"],
		"METRICS_NAMESPACE":  "SessionService/" + env.name,
		"AUDIO_STREAM_NAME":  env.prefix() + "-audio",
		"USER_POOL_ID":       outs["user_pool_id"],
		"CLIENT_ID":          outs["client_id"],
	} {
		if vars[k] != v || v == "" {
			return fmt.Errorf("function env %s = %q, want %q", k, vars[k], v)
		}
	}

	concurrency, err := e.lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("function concurrency: %w", err)
	}
	if concurrency.ReservedConcurrentExecutions != nil {
		return fmt.Errorf("reserved concurrency %d, want none", *concurrency.ReservedConcurrentExecutions)
	}
	async, err := e.lambda.GetFunctionEventInvokeConfig(ctx, &lambda.GetFunctionEventInvokeConfigInput{FunctionName: aws.String(name)})
	if err != nil {
		return fmt.Errorf("asynchronous invocation config: %w", err)
	}
	if aws.ToInt32(async.MaximumRetryAttempts) != 1 || aws.ToInt32(async.MaximumEventAgeInSeconds) != 300 {
		return fmt.Errorf("asynchronous invocations: %d retries, %d s event age; want 1 and 300",
			aws.ToInt32(async.MaximumRetryAttempts), aws.ToInt32(async.MaximumEventAgeInSeconds))
	}
	queue := "arn:aws:sqs:" + region + ":" + accountID + ":" + name + "-async-failures"
	if d := async.DestinationConfig; d == nil || d.OnFailure == nil || aws.ToString(d.OnFailure.Destination) != queue {
		return fmt.Errorf("asynchronous failures go to %+v, want %s", async.DestinationConfig, queue)
	}
	return e.checkFailureQueue(name + "-async-failures")
}

// checkFailureQueue checks that the on-failure queue exists, is encrypted
// and keeps what it receives 14 days.
func (e *emulator) checkFailureQueue(name string) error {
	var url struct {
		QueueURL string `json:"QueueUrl"`
	}
	if err := e.awsJSON0("sqs", "AmazonSQS.GetQueueUrl", map[string]string{"QueueName": name}, &url); err != nil {
		return fmt.Errorf("failure queue: %w", err)
	}
	var attrs struct{ Attributes map[string]string }
	in := map[string]any{"QueueUrl": url.QueueURL, "AttributeNames": []string{"All"}}
	if err := e.awsJSON0("sqs", "AmazonSQS.GetQueueAttributes", in, &attrs); err != nil {
		return err
	}
	if a := attrs.Attributes; a["MessageRetentionPeriod"] != "1209600" || a["SqsManagedSseEnabled"] != "true" {
		return fmt.Errorf("failure queue %s: retention %s s, SSE-SQS %s; want 1209600 and true", name, a["MessageRetentionPeriod"], a["SqsManagedSseEnabled"])
	}
	return nil
}

func (e *emulator) checkRoutes(env environment, outs map[string]string) error {
	var routes struct {
		Items []struct {
			RouteKey                         string `json:"routeKey"`
			Target                           string `json:"target"`
			AuthorizationType                string `json:"authorizationType"`
			RouteResponseSelectionExpression string `json:"routeResponseSelectionExpression"`
		} `json:"items"`
	}
	if err := e.rest("apigateway", http.MethodGet, "/v2/apis/"+outs["api_id"]+"/routes", &routes); err != nil {
		return err
	}
	var keys []string
	for _, r := range routes.Items {
		keys = append(keys, r.RouteKey)
		if !strings.HasPrefix(r.Target, "integrations/") {
			return fmt.Errorf("route %s targets %q, want the function integration", r.RouteKey, r.Target)
		}
		authorized := r.AuthorizationType == "CUSTOM"
		if want := env.authorizer && r.RouteKey == router.RouteConnect; authorized != want {
			return fmt.Errorf("route %s has authorization %q; the authorizer belongs on $connect only, when enabled", r.RouteKey, r.AuthorizationType)
		}
		twoWay := r.RouteResponseSelectionExpression == "$default"
		if want := env.twoWayRoutes && r.RouteKey != router.RouteConnect && r.RouteKey != router.RouteDisconnect; twoWay != want {
			return fmt.Errorf("route %s selects route response %q, want two-way %v", r.RouteKey, r.RouteResponseSelectionExpression, want)
		}
	}
	want := router.RouteKeys()
	slices.Sort(keys)
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		return fmt.Errorf("API routes %v, want %v", keys, want)
	}
	return nil
}

// checkInvokePermissions checks who may invoke the function: this API's
// stage, its authorizer when enabled, and the sweep rule; no one else.
func (e *emulator) checkInvokePermissions(env environment, outs map[string]string) error {
	out, err := e.lambda.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(env.prefix() + "-session-service")})
	if err != nil {
		return fmt.Errorf("get function policy: %w", err)
	}
	var policy struct {
		Statement []struct {
			Sid       string
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &policy); err != nil {
		return fmt.Errorf("function policy: %w", err)
	}
	sources := map[string]string{}
	for _, st := range policy.Statement {
		sources[st.Sid] = st.Condition["ArnLike"]["AWS:SourceArn"]
	}
	api := `^arn:aws:execute-api:` + region + `:` + accountID + `:` + outs["api_id"]
	want := map[string]*regexp.Regexp{
		"AllowWebSocketRoutes-" + env.name: regexp.MustCompile(api + `/` + env.name + `/\*$`),
		"AllowEventBridgeSweep":            regexp.MustCompile(`^arn:aws:events:` + region + `:` + accountID + `:rule/` + env.prefix() + `-session-service-sweep$`),
	}
	if env.authorizer {
		want["AllowWebSocketAuthorizer"] = regexp.MustCompile(api + `/authorizers/[a-z0-9]+$`)
	}
	if len(sources) != len(want) {
		return fmt.Errorf("function policy statements %v, want %v", sources, want)
	}
	for sid, re := range want {
		if !re.MatchString(sources[sid]) {
			return fmt.Errorf("permission %s has source %q, want %s", sid, sources[sid], re)
		}
	}
	return nil
}

func (e *emulator) checkRolePolicy(env environment, outs map[string]string) error {
	p := env.prefix() + "-session-service"
	var out struct {
		Document string `xml:"GetRolePolicyResult>PolicyDocument"`
	}
	form := url.Values{"Action": {"GetRolePolicy"}, "RoleName": {p + "-role"}, "PolicyName": {p + "-policy"}}
	if err := e.query("iam", "2010-05-08", form, &out); err != nil {
		return err
	}
	doc := out.Document
	if unescaped, err := url.QueryUnescape(doc); err == nil && json.Valid([]byte(unescaped)) {
		doc = unescaped
	}
	var policy struct {
		Statement []struct {
			Sid      string
			Action   []string
			Resource []string
		}
	}
	if err := json.Unmarshal([]byte(doc), &policy); err != nil {
		return fmt.Errorf("role policy %q: %w", doc, err)
	}
	got := map[string][]string{}
	for _, st := range policy.Statement {
		got[st.Sid] = st.Action
		for _, r := range st.Resource {
			if r == "*" && st.Sid != "XRayWrite" {
				return fmt.Errorf("statement %s allows every resource", st.Sid)
			}
		}
		if st.Sid == "AudioStreamPut" && !slices.Equal(st.Resource, []string{outs["audio_stream_arn"]}) {
			return fmt.Errorf("AudioStreamPut on %v, want the environment's stream %s only", st.Resource, outs["audio_stream_arn"])
		}
		if queue := "arn:aws:sqs:" + region + ":" + accountID + ":" + p + "-async-failures"; st.Sid == "AsyncFailureDestination" && !slices.Equal(st.Resource, []string{queue}) {
			return fmt.Errorf("AsyncFailureDestination on %v, want the function's own queue %s only", st.Resource, queue)
		}
	}
	want := map[string][]string{
		"TableItems":        {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
		"IndexQuery":        {"dynamodb:Query"},
		"SweepScan":         {"dynamodb:Scan"},
		"AudioStreamPut":    {"kinesis:PutRecord", "kinesis:PutRecords"},
		"ManageConnections": {"execute-api:ManageConnections"},
		"InvokeSelf":        {"lambda:InvokeFunction"},
		"OwnLogs":           {"logs:CreateLogStream", "logs:PutLogEvents"},
		// Only its own failure queue (checked by the resource list below).
		"AsyncFailureDestination": {"sqs:SendMessage"},
	}
	if env.tracing {
		want["XRayWrite"] = []string{"xray:PutTelemetryRecords", "xray:PutTraceSegments"}
	}
	if len(got) != len(want) {
		return fmt.Errorf("role policy statements %v, want %v", got, want)
	}
	for sid, actions := range want {
		if !slices.Equal(got[sid], actions) {
			return fmt.Errorf("role policy %s allows %v, want %v", sid, got[sid], actions)
		}
	}
	return nil
}

func (e *emulator) checkSweepRule(env environment, outs map[string]string) error {
	name := env.prefix() + "-session-service-sweep"
	var rule struct{ ScheduleExpression, State string }
	if err := e.awsJSON("events", "AWSEvents.DescribeRule", map[string]string{"Name": name}, &rule); err != nil {
		return err
	}
	if rule.ScheduleExpression != "rate(1 minute)" || rule.State != "ENABLED" {
		return fmt.Errorf("sweep rule %+v, want rate(1 minute), ENABLED", rule)
	}
	var targets struct{ Targets []struct{ Arn, Input string } }
	if err := e.awsJSON("events", "AWSEvents.ListTargetsByRule", map[string]string{"Rule": name}, &targets); err != nil {
		return err
	}
	if len(targets.Targets) != 1 || targets.Targets[0].Arn != outs["function_arn"] || targets.Targets[0].Input != "" {
		return fmt.Errorf("sweep targets %+v, want the function with EventBridge's own event", targets.Targets)
	}
	return nil
}

func (e *emulator) checkAudioStream(env environment, outs map[string]string) error {
	var out struct {
		StreamDescriptionSummary struct {
			StreamName, StreamARN, StreamStatus string
			StreamModeDetails                   struct{ StreamMode string }
			RetentionPeriodHours                int
			EncryptionType, KeyId               string
		}
	}
	if err := e.awsJSON("kinesis", "Kinesis_20131202.DescribeStreamSummary", map[string]string{"StreamName": outs["audio_stream_name"]}, &out); err != nil {
		return err
	}
	s := out.StreamDescriptionSummary
	if s.StreamARN != outs["audio_stream_arn"] || s.StreamStatus != "ACTIVE" || s.StreamModeDetails.StreamMode != "ON_DEMAND" ||
		s.EncryptionType != "KMS" || s.KeyId != "alias/aws/kinesis" || s.RetentionPeriodHours != env.audioRetentionHours {
		return fmt.Errorf("audio stream %+v, want an ACTIVE ON_DEMAND stream encrypted with alias/aws/kinesis, kept %d h", s, env.audioRetentionHours)
	}
	return nil
}

// checkAlarms checks that only faults page, each alarm in this environment's
// namespace, all to the environment's topic (with prod's on-call address).
func (e *emulator) checkAlarms(env environment, outs map[string]string) error {
	var out struct {
		Alarms []struct {
			AlarmName, Namespace, MetricName string
			Dimensions                       []struct{ Name, Value string } `xml:"Dimensions>member"`
			AlarmActions                     []string                       `xml:"AlarmActions>member"`
			EvaluationPeriods                int
			DatapointsToAlarm                int
			TreatMissingData                 string
			EvaluateLowSampleCountPercentile string
		} `xml:"DescribeAlarmsResult>MetricAlarms>member"`
	}
	p := env.prefix()
	if err := e.query("monitoring", "2010-08-01", url.Values{"Action": {"DescribeAlarms"}, "AlarmNamePrefix": {p + "-"}}, &out); err != nil {
		return err
	}
	ns := "SessionService/" + env.name
	want := map[string]string{
		p + "-function-errors":              "AWS/Lambda Errors",
		p + "-function-throttles":           "AWS/Lambda Throttles",
		p + "-api-execution-errors":         "AWS/ApiGateway ExecutionError",
		p + "-internal-errors":              ns + " ConnectionErrors ErrorCode=INTERNAL_ERROR",
		p + "-service-unavailable":          ns + " ConnectionErrors ErrorCode=SERVICE_UNAVAILABLE",
		p + "-session-creation-latency-p95": ns + " SessionCreationLatency",
		p + "-sweep-stopped":                ns + " SweepCompleted",
		p + "-connections-quota":            ns + " ConnectionsApiCalls",
		p + "-async-events-dropped":         "AWS/Lambda AsyncEventsDropped",
		p + "-async-failures-queued":        "AWS/SQS ApproximateNumberOfMessagesVisible",
	}
	got := map[string]string{}
	var topic string
	for _, a := range out.Alarms {
		watched := a.Namespace + " " + a.MetricName
		for _, d := range a.Dimensions {
			if d.Name == "ErrorCode" {
				watched += " ErrorCode=" + d.Value
			}
		}
		got[a.AlarmName] = watched
		if len(a.AlarmActions) != 1 || (topic != "" && a.AlarmActions[0] != topic) {
			return fmt.Errorf("alarm %s notifies %v, want the one alarm topic", a.AlarmName, a.AlarmActions)
		}
		topic = a.AlarmActions[0]
		if err := checkAlarmRule(p, a.AlarmName, a.EvaluationPeriods, a.DatapointsToAlarm, a.TreatMissingData, a.EvaluateLowSampleCountPercentile); err != nil {
			return err
		}
	}
	if env.alarmTopic != "" && topic != env.alarmTopic {
		return fmt.Errorf("alarms notify %s, want the existing topic %s", topic, env.alarmTopic)
	}
	if env.alarmTopic != "" {
		return nil // someone else's topic: its subscriptions are not ours
	}
	if !maps.Equal(got, want) {
		return fmt.Errorf("alarms %v, want %v", got, want)
	}
	var subs struct {
		Subscriptions []struct{ Protocol, Endpoint string } `xml:"ListSubscriptionsByTopicResult>Subscriptions>member"`
	}
	if err := e.query("sns", "2010-03-31", url.Values{"Action": {"ListSubscriptionsByTopic"}, "TopicArn": {topic}}, &subs); err != nil {
		return err
	}
	if n := len(subs.Subscriptions); (env.alarmEmail == "" && n != 0) ||
		(env.alarmEmail != "" && (n != 1 || subs.Subscriptions[0].Protocol != "email" || subs.Subscriptions[0].Endpoint != env.alarmEmail)) {
		return fmt.Errorf("alarm topic subscriptions %+v, want %q by e-mail", subs.Subscriptions, env.alarmEmail)
	}
	return nil
}

// checkAlarmRule checks when an alarm fires: rates and latency on 2 bad
// periods of 3 (the tfvars), lost work on one, the sweep's silence on two
// empty periods, missing data included.
func checkAlarmRule(prefix, name string, periods, datapoints int, missing, lowSample string) error {
	type rule struct {
		periods, datapoints int
		missing, lowSample  string
	}
	want := rule{3, 2, "notBreaching", ""}
	switch name {
	case prefix + "-session-creation-latency-p95":
		want.lowSample = "ignore"
	case prefix + "-sweep-stopped":
		want = rule{2, 2, "breaching", ""}
	case prefix + "-async-events-dropped", prefix + "-async-failures-queued":
		want = rule{1, 0, "notBreaching", ""}
	}
	if got := (rule{periods, datapoints, missing, lowSample}); got != want {
		return fmt.Errorf("alarm %s fires on %+v, want %+v", name, got, want)
	}
	return nil
}

// checkAccessLogs checks that the stage writes access logs to its log group
// and that the group exists.
func (e *emulator) checkAccessLogs(env environment, outs map[string]string) error {
	var stage struct {
		AccessLogSettings struct {
			DestinationArn string `json:"destinationArn"`
			Format         string `json:"format"`
		} `json:"accessLogSettings"`
	}
	if err := e.rest("apigateway", http.MethodGet, "/v2/apis/"+outs["api_id"]+"/stages/"+env.name, &stage); err != nil {
		return err
	}
	group := "/aws/apigateway/" + env.prefix() + "-websocket/" + env.name
	wantARN := "arn:aws:logs:" + region + ":" + accountID + ":log-group:" + group
	if got := strings.TrimSuffix(stage.AccessLogSettings.DestinationArn, ":*"); got != wantARN || !json.Valid([]byte(stage.AccessLogSettings.Format)) {
		return fmt.Errorf("stage access logs %+v, want JSON lines to %s", stage.AccessLogSettings, wantARN)
	}
	var groups struct {
		LogGroups []struct{ LogGroupName string }
	}
	if err := e.awsJSON("logs", "Logs_20140328.DescribeLogGroups", map[string]string{"logGroupNamePrefix": group}, &groups); err != nil {
		return err
	}
	if len(groups.LogGroups) != 1 {
		return fmt.Errorf("access log group %s: found %v", group, groups.LogGroups)
	}
	return nil
}

// checkStage checks the stage's execution logging level (and that message
// data is never traced).
func (e *emulator) checkStage(env environment, outs map[string]string) error {
	var stage struct {
		DefaultRouteSettings struct {
			LoggingLevel     string `json:"loggingLevel"`
			DataTraceEnabled bool   `json:"dataTraceEnabled"`
		} `json:"defaultRouteSettings"`
	}
	if err := e.rest("apigateway", http.MethodGet, "/v2/apis/"+outs["api_id"]+"/stages/"+env.name, &stage); err != nil {
		return err
	}
	if s := stage.DefaultRouteSettings; s.LoggingLevel != env.executionLogging || s.DataTraceEnabled {
		return fmt.Errorf("stage logs executions at %q (data trace %v), want %q and never data", s.LoggingLevel, s.DataTraceEnabled, env.executionLogging)
	}
	return nil
}

// checkUserPool checks who sends the pool's mail: SES through the given
// identity (DEVELOPER), or Cognito's default sender.
func (e *emulator) checkUserPool(env environment, outs map[string]string) error {
	var pool struct {
		UserPool struct {
			EmailConfiguration struct {
				EmailSendingAccount, SourceArn, From string
			}
		}
	}
	if err := e.awsJSON("cognito-idp", "AWSCognitoIdentityProviderService.DescribeUserPool", map[string]string{"UserPoolId": outs["user_pool_id"]}, &pool); err != nil {
		return err
	}
	got := pool.UserPool.EmailConfiguration
	want := "COGNITO_DEFAULT"
	if env.sesIdentity != "" {
		want = "DEVELOPER"
	}
	if got.EmailSendingAccount != want || got.SourceArn != env.sesIdentity {
		return fmt.Errorf("user pool mail %+v, want %s through %q", got, want, env.sesIdentity)
	}
	return nil
}

// checkAccountLogging checks that the account's API Gateway settings name
// the role, and that the role exists.
func (e *emulator) checkAccountLogging(role string) error {
	var account struct {
		CloudwatchRoleArn string `json:"cloudwatchRoleArn"`
	}
	if err := e.rest("apigateway", http.MethodGet, "/account", &account); err != nil {
		return err
	}
	if role == "" || account.CloudwatchRoleArn != role {
		return fmt.Errorf("API Gateway account settings name role %q, want %q", account.CloudwatchRoleArn, role)
	}
	var got struct {
		Arn string `xml:"GetRoleResult>Role>Arn"`
	}
	name := role[strings.LastIndex(role, "/")+1:]
	if err := e.query("iam", "2010-05-08", url.Values{"Action": {"GetRole"}, "RoleName": {name}}, &got); err != nil {
		return fmt.Errorf("the registered role: %w", err)
	}
	return nil
}

// checkGone checks that an environment's destroy removed its tables,
// function, stream and API.
func (e *emulator) checkGone(env environment, outs map[string]string) error {
	ctx := context.Background()
	tables, err := e.dynamo.ListTables(ctx, &dynamodb.ListTablesInput{})
	if err != nil {
		return err
	}
	for _, name := range tables.TableNames {
		if strings.HasPrefix(name, env.prefix()+"-") {
			return fmt.Errorf("table %s survived destroy", name)
		}
	}
	var missing *lambdatypes.ResourceNotFoundException
	if _, err := e.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(env.prefix() + "-session-service")}); !errors.As(err, &missing) {
		return fmt.Errorf("the function after destroy: %v, want not found", err)
	}
	var streams struct{ StreamNames []string }
	if err := e.awsJSON("kinesis", "Kinesis_20131202.ListStreams", map[string]string{}, &streams); err != nil {
		return err
	}
	if slices.Contains(streams.StreamNames, outs["audio_stream_name"]) {
		return fmt.Errorf("stream %s survived destroy", outs["audio_stream_name"])
	}
	var api struct{}
	var refused *apiError
	if err := e.rest("apigateway", http.MethodGet, "/v2/apis/"+outs["api_id"], &api); !errors.As(err, &refused) || refused.status != http.StatusNotFound {
		return fmt.Errorf("the API after destroy: %v, want not found", err)
	}
	return nil
}
