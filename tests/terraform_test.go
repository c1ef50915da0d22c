package tests

// Infrastructure tests: the route keys Terraform declares against the
// router's, and the whole root module applied to moto (a local AWS emulator)
// with the dev environment's values, re-planned (no changes allowed) and
// destroyed.
//
// The apply test drives Terraform through terraform-exec, the library under
// terraform-plugin-testing, because that framework cannot test this root
// module: its state shim rejects child modules ("Modules are not supported",
// helper/resource/state_shim.go), even in its own clean-up. It keeps the
// framework's conventions: it runs only with TF_ACC=1 (make tf-acc sets it),
// runs TF_ACC_TERRAFORM_PATH or the terraform on PATH, and skips, saying why,
// without a terraform binary or moto_server.
//
// Offline machines install the AWS provider from a filesystem mirror: the
// test uses TF_CLI_CONFIG_FILE when it names an existing file, else writes a
// mirror configuration itself when TF_PLUGIN_MIRROR (default /opt/tf-plugins)
// holds hashicorp/aws, else lets Terraform use the public registry.

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dynamotypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/guregu/dynamo/v2"
	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-exec/tfexec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"github.com/livecast/sessions/router"
	"github.com/livecast/sessions/store"
)

const (
	// tfRouteKeysFile declares the API's routes in a local named route_keys.
	tfRouteKeysFile = "../terraform/modules/websocket_api/main.tf"
	tfRootDir       = "../terraform"
	tfDevVarFile    = "../envs/dev.tfvars"
	tfRegion        = "us-east-1"
	// tfPrefix is what envs/dev.tfvars makes every name start with.
	tfPrefix = "dev-livecast"
)

func TestTerraformRouteKeysMatchRouter(t *testing.T) {
	keys := tfRouteKeys(t, tfRouteKeysFile)

	assert.ElementsMatch(t, router.RouteKeys(), keys,
		"route_keys in %s must be exactly router.RouteKeys()", tfRouteKeysFile)
	assert.Len(t, keys, len(slices.Compact(slices.Sorted(slices.Values(keys)))), "route_keys has duplicates")
}

// tfRouteKeys reads the literal list `route_keys` from the locals of a .tf file.
func tfRouteKeys(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())

	var keys []string
	found := false
	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		attr, ok := block.Body.Attributes["route_keys"]
		if block.Type != "locals" || !ok {
			continue
		}
		found = true
		v, diags := attr.Expr.Value(nil)
		require.False(t, diags.HasErrors(), "route_keys must be a literal list: %s", diags.Error())
		require.True(t, v.Type().IsTupleType() || v.Type().IsListType(), "route_keys must be a list")
		for _, k := range v.AsValueSlice() {
			require.Equal(t, cty.String, k.Type(), "route_keys holds only strings")
			keys = append(keys, k.AsString())
		}
	}
	require.True(t, found, "no route_keys local in %s", path)
	return keys
}

func TestTerraformAppliesAgainstEmulator(t *testing.T) {
	moto := tfmEmulator(t)
	tfPath := os.Getenv("TF_ACC_TERRAFORM_PATH")

	ctx := context.Background()
	tf, err := tfexec.NewTerraform(tfCopyRootModule(t), tfPath)
	require.NoError(t, err)
	varFile, err := filepath.Abs(tfDevVarFile)
	require.NoError(t, err)
	vars := []string{
		"create_api_deployment=false", // moto has no API Gateway v2 CreateDeployment
		"package_path=" + tfDummyPackage(t),
	}
	emulator := tfNewAWS(moto.URL)

	step := func(name string, run func() error) {
		t.Helper()
		start := time.Now()
		require.NoError(t, run(), name)
		t.Logf("%s: %s", name, time.Since(start).Round(100*time.Millisecond))
	}
	step("terraform init", func() error { return tf.Init(ctx) })

	destroyed := false
	destroy := func() error { return tf.Destroy(ctx, tfDestroyOptions(varFile, vars)...) }
	t.Cleanup(func() {
		if !destroyed { // a failed apply or check still leaves no resources behind
			if err := destroy(); err != nil {
				t.Errorf("terraform destroy after failure: %v", err)
			}
		}
	})
	step("terraform apply envs/dev.tfvars", func() error { return tf.Apply(ctx, tfApplyOptions(varFile, vars)...) })

	outs := tfOutputs(t, tf)
	assert.Equal(t, tfPrefix+"-session-service", outs["function_name"])
	assert.Equal(t, tfPrefix+"-sessions", outs["sessions_table_name"])
	assert.Equal(t, tfPrefix+"-connections", outs["connections_table_name"])
	assert.Equal(t, tfPrefix+"-rate-limits", outs["rate_limits_table_name"])
	assert.Equal(t, "dev", outs["stage_name"])
	assert.Regexp(t, `^wss://`+outs["api_id"]+`\.execute-api\.`+tfRegion+`\.amazonaws\.com/dev$`, outs["websocket_url"])
	assert.Regexp(t, `^https://`+outs["api_id"]+`\.execute-api\.`+tfRegion+`\.amazonaws\.com/dev$`, outs["connections_endpoint"])
	assert.Regexp(t, `^arn:aws:lambda:`+tfRegion+`:\d{12}:function:`+tfPrefix+`-session-service$`, outs["function_arn"])
	for name, check := range map[string]func(map[string]string) error{
		"tables":             emulator.checkTables,
		"function":           emulator.checkFunction,
		"routes":             emulator.checkRoutes,
		"invoke permissions": emulator.checkInvokePermissions,
		"role policy":        emulator.checkRolePolicy,
		"sweep rule":         emulator.checkSweepRule,
	} {
		assert.NoError(t, check(outs), name)
	}

	step("terraform plan shows no changes", func() error {
		plan := filepath.Join(t.TempDir(), "replan.tfplan")
		changed, err := tf.Plan(ctx, tfPlanOptions(varFile, vars, plan)...)
		if err != nil || !changed {
			return err
		}
		return tfDescribeChanges(ctx, tf, plan)
	})

	step("terraform destroy", destroy)
	destroyed = true
	assert.NoError(t, emulator.checkNothingLeft(), "after destroy")
}

func tfApplyOptions(varFile string, vars []string) []tfexec.ApplyOption {
	opts := []tfexec.ApplyOption{tfexec.VarFile(varFile)}
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	return opts
}

func tfPlanOptions(varFile string, vars []string, out string) []tfexec.PlanOption {
	opts := []tfexec.PlanOption{tfexec.VarFile(varFile), tfexec.Out(out)}
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	return opts
}

func tfDestroyOptions(varFile string, vars []string) []tfexec.DestroyOption {
	opts := []tfexec.DestroyOption{tfexec.VarFile(varFile)}
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	return opts
}

// tfDescribeChanges turns a non-empty re-plan into an error naming what
// Terraform would change (a provider/emulator disagreement or a config bug).
func tfDescribeChanges(ctx context.Context, tf *tfexec.Terraform, planFile string) error {
	plan, err := tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return fmt.Errorf("the re-plan has changes and cannot be shown: %w", err)
	}
	var changes []string
	for _, rc := range plan.ResourceChanges {
		if !rc.Change.Actions.NoOp() && !rc.Change.Actions.Read() {
			changes = append(changes, fmt.Sprintf("%s %v", rc.Address, rc.Change.Actions))
		}
	}
	return fmt.Errorf("the plan after apply is not empty: %s", strings.Join(changes, "; "))
}

func tfOutputs(t *testing.T, tf *tfexec.Terraform) map[string]string {
	t.Helper()
	raw, err := tf.Output(context.Background())
	require.NoError(t, err)
	outs := make(map[string]string, len(raw))
	for name, o := range raw {
		var s string
		if json.Unmarshal(o.Value, &s) == nil {
			outs[name] = s
		}
	}
	return outs
}

// tfUseTerraformBinary finds the terraform to run (TF_ACC_TERRAFORM_PATH,
// else PATH), or skips.
func tfUseTerraformBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("TF_ACC_TERRAFORM_PATH"); p != "" {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := exec.LookPath("terraform")
	if err != nil {
		t.Skip("terraform is not installed (https://developer.hashicorp.com/terraform/install)")
	}
	return p
}

// tfUseProviderMirror makes Terraform install hashicorp/* providers from a
// local filesystem mirror when there is one and no usable CLI configuration.
func tfUseProviderMirror(t *testing.T) {
	t.Helper()
	if cfg := os.Getenv("TF_CLI_CONFIG_FILE"); cfg != "" {
		if _, err := os.Stat(cfg); err == nil {
			return
		}
	}
	mirror := os.Getenv("TF_PLUGIN_MIRROR")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if _, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); err != nil {
		return // the public registry, as on any machine online
	}
	cfg := filepath.Join(t.TempDir(), "cli.tfrc")
	body := fmt.Sprintf(`provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`, mirror)
	require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
	t.Setenv("TF_CLI_CONFIG_FILE", cfg)
}

// tfCopyRootModule copies the root module and its modules (without the S3
// backend, tests and working directories) and returns the copy's path.
func tfCopyRootModule(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "terraform")
	err := filepath.WalkDir(tfRootDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(tfRootDir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".terraform" || d.Name() == "tests" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if filepath.Ext(path) != ".tf" || rel == "backend.tf" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	require.NoError(t, err)
	return dst
}

// tfDummyPackage writes a deployment zip with a placeholder "bootstrap": the
// emulator stores the code without running it.
func tfDummyPackage(t *testing.T) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: "bootstrap", Method: zip.Deflate}
	h.SetMode(0o755)
	w, err := zw.CreateHeader(h)
	require.NoError(t, err)
	_, err = io.WriteString(w, "#!/bin/sh\nexit 1\n")
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	path := filepath.Join(t.TempDir(), "bootstrap.zip")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	return path
}

// tfAWS reads what Terraform built straight from the emulator.
type tfAWS struct {
	endpoint string
	cfg      aws.Config
	dynamo   *dynamodb.Client
	lambda   *lambda.Client
	http     *http.Client
}

func tfNewAWS(endpoint string) *tfAWS {
	creds := credentials.NewStaticCredentialsProvider("test", "test", "")
	return &tfAWS{
		endpoint: endpoint,
		cfg:      aws.Config{Region: tfRegion, Credentials: creds, BaseEndpoint: aws.String(endpoint)},
		dynamo:   dynamodb.New(dynamodb.Options{Region: tfRegion, BaseEndpoint: aws.String(endpoint), Credentials: creds}),
		lambda:   lambda.New(lambda.Options{Region: tfRegion, BaseEndpoint: aws.String(endpoint), Credentials: creds}),
		http:     &http.Client{Timeout: 30 * time.Second},
	}
}

// checkTables compares each table Terraform built with the one the store
// itself creates for local mode (store.CreateTables), so that a key, an
// index or the TTL attribute added to the code but not to Terraform fails
// here, and checks the design's keys and indexes by name.
func (a *tfAWS) checkTables(map[string]string) error {
	ctx := context.Background()
	ref := store.Tables{Sessions: "tfref-sessions", Connections: "tfref-connections", RateLimits: "tfref-rate-limits"}
	st := store.New(dynamo.New(a.cfg), store.Config{Tables: ref})
	if err := st.CreateTables(ctx); err != nil {
		return fmt.Errorf("the store's own tables: %w", err)
	}
	defer func() { _ = st.DeleteTables(ctx) }()

	for built, want := range map[string]struct{ ref, shape string }{
		tfPrefix + "-sessions": {ref.Sessions,
			"keys [sessionId/HASH]; attributes [live:S sessionId:S]; gsi [live-sessions-index[live/HASH] KEYS_ONLY]; PAY_PER_REQUEST; ttl ttl"},
		tfPrefix + "-connections": {ref.Connections,
			"keys [connectionId/HASH]; attributes [connectionId:S sessionId:S targetLanguage:S]; gsi [sessionId-targetLanguage-index[sessionId/HASH targetLanguage/RANGE] ALL]; PAY_PER_REQUEST; ttl ttl"},
		tfPrefix + "-rate-limits": {ref.RateLimits,
			"keys [identifier/HASH]; attributes [identifier:S]; gsi []; PAY_PER_REQUEST; ttl ttl"},
	} {
		got, err := a.tableShape(ctx, built)
		if err != nil {
			return err
		}
		if got != want.shape {
			return fmt.Errorf("%s is %q, want %q", built, got, want.shape)
		}
		code, err := a.tableShape(ctx, want.ref)
		if err != nil {
			return err
		}
		if got != code {
			return fmt.Errorf("%s is %q but the store creates %q", built, got, code)
		}
	}
	return nil
}

// tableShape summarizes what of a table the application depends on.
func (a *tfAWS) tableShape(ctx context.Context, name string) (string, error) {
	out, err := a.dynamo.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
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
		gsis = append(gsis, fmt.Sprintf("%s%v %s", aws.ToString(g.IndexName), tfKeys(g.KeySchema), projection))
	}
	sort.Strings(gsis)
	billing := "PROVISIONED"
	if tbl.BillingModeSummary != nil {
		billing = string(tbl.BillingModeSummary.BillingMode)
	}
	ttl, err := a.dynamo.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String(name)})
	if err != nil {
		return "", fmt.Errorf("ttl of %s: %w", name, err)
	}
	ttlAttr := "off"
	if d := ttl.TimeToLiveDescription; d != nil && d.TimeToLiveStatus == dynamotypes.TimeToLiveStatusEnabled {
		ttlAttr = aws.ToString(d.AttributeName)
	}
	return fmt.Sprintf("keys %v; attributes %v; gsi %v; %s; ttl %s", tfKeys(tbl.KeySchema), attrs, gsis, billing, ttlAttr), nil
}

func tfKeys(schema []dynamotypes.KeySchemaElement) []string {
	keys := make([]string, 0, len(schema))
	for _, k := range schema {
		keys = append(keys, aws.ToString(k.AttributeName)+"/"+string(k.KeyType))
	}
	sort.Strings(keys)
	return keys
}

func (a *tfAWS) checkFunction(outs map[string]string) error {
	out, err := a.lambda.GetFunctionConfiguration(context.Background(), &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(tfPrefix + "-session-service")})
	if err != nil {
		return fmt.Errorf("get function: %w", err)
	}
	if string(out.Runtime) != "provided.al2023" || aws.ToString(out.Handler) != "bootstrap" ||
		len(out.Architectures) != 1 || string(out.Architectures[0]) != "arm64" {
		return fmt.Errorf("function must be provided.al2023/bootstrap/arm64, got %s/%s/%v", out.Runtime, aws.ToString(out.Handler), out.Architectures)
	}
	if out.Environment == nil {
		return errors.New("function has no environment")
	}
	env := out.Environment.Variables
	endpoint := outs["connections_endpoint"]
	want := tfDevEnvironment(endpoint)
	for k, v := range want {
		if env[k] != v {
			return fmt.Errorf("function env %s = %q, want %q", k, env[k], v)
		}
	}
	for _, k := range []string{"USER_POOL_ID", "CLIENT_ID"} {
		if env[k] == "" {
			return fmt.Errorf("function env %s is empty", k)
		}
	}
	if _, ok := env["AWS_REGION"]; ok {
		return errors.New("AWS_REGION is Lambda's to set")
	}
	return nil
}

func (a *tfAWS) checkRoutes(outs map[string]string) error {
	apiID := outs["api_id"]
	var routes struct {
		Items []struct {
			RouteKey          string `json:"routeKey"`
			Target            string `json:"target"`
			AuthorizationType string `json:"authorizationType"`
		} `json:"items"`
	}
	if err := a.call(http.MethodGet, "apigateway", "/v2/apis/"+apiID+"/routes", nil, nil, &routes); err != nil {
		return err
	}
	var keys []string
	for _, r := range routes.Items {
		keys = append(keys, r.RouteKey)
		if !strings.HasPrefix(r.Target, "integrations/") {
			return fmt.Errorf("route %s targets %q, want the function integration", r.RouteKey, r.Target)
		}
		if r.AuthorizationType != "" && r.AuthorizationType != "NONE" {
			return fmt.Errorf("route %s has authorization %s, want none in dev", r.RouteKey, r.AuthorizationType)
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

func (a *tfAWS) checkInvokePermissions(outs map[string]string) error {
	out, err := a.lambda.GetPolicy(context.Background(), &lambda.GetPolicyInput{FunctionName: aws.String(tfPrefix + "-session-service")})
	if err != nil {
		return fmt.Errorf("get function policy: %w", err)
	}
	var policy struct {
		Statement []struct {
			Sid       string
			Principal any
			Condition map[string]map[string]string
		}
	}
	if err := json.Unmarshal([]byte(aws.ToString(out.Policy)), &policy); err != nil {
		return fmt.Errorf("function policy: %w", err)
	}
	apiID := outs["api_id"]
	sourceArns := map[string]string{}
	for _, st := range policy.Statement {
		sourceArns[st.Sid] = st.Condition["ArnLike"]["AWS:SourceArn"]
	}
	routes := regexp.MustCompile(`^arn:aws:execute-api:` + tfRegion + `:\d{12}:` + apiID + `/dev/\*$`)
	if !routes.MatchString(sourceArns["AllowWebSocketRoutes-dev"]) {
		return fmt.Errorf("API Gateway permission source %q, want this API's dev stage (statements %v)", sourceArns["AllowWebSocketRoutes-dev"], sourceArns)
	}
	sweep := regexp.MustCompile(`^arn:aws:events:` + tfRegion + `:\d{12}:rule/` + tfPrefix + `-session-service-sweep$`)
	if !sweep.MatchString(sourceArns["AllowEventBridgeSweep"]) {
		return fmt.Errorf("EventBridge permission source %q, want the sweep rule", sourceArns["AllowEventBridgeSweep"])
	}
	if len(policy.Statement) != 2 {
		return fmt.Errorf("function policy has %d statements, want 2: %v", len(policy.Statement), sourceArns)
	}
	return nil
}

func (a *tfAWS) checkRolePolicy(map[string]string) error {
	role := tfPrefix + "-session-service-role"
	form := url.Values{"Action": {"GetRolePolicy"}, "Version": {"2010-05-08"}, "RoleName": {role}, "PolicyName": {tfPrefix + "-session-service-policy"}}
	var out struct {
		Document string `xml:"GetRolePolicyResult>PolicyDocument"`
	}
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	if err := a.call(http.MethodPost, "iam", "/", hdr, []byte(form.Encode()), &out); err != nil {
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
	actions := map[string][]string{}
	for _, st := range policy.Statement {
		actions[st.Sid] = st.Action
		for _, r := range st.Resource {
			if r == "*" {
				return fmt.Errorf("statement %s allows every resource", st.Sid)
			}
		}
	}
	want := map[string][]string{
		"TableItems":        {"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"},
		"IndexQuery":        {"dynamodb:Query"},
		"SweepScan":         {"dynamodb:Scan"},
		"ManageConnections": {"execute-api:ManageConnections"},
		"InvokeSelf":        {"lambda:InvokeFunction"},
		"OwnLogs":           {"logs:CreateLogStream", "logs:PutLogEvents"},
	}
	if len(actions) != len(want) {
		return fmt.Errorf("role policy statements %v, want %v", actions, want)
	}
	for sid, acts := range want {
		if !slices.Equal(actions[sid], acts) {
			return fmt.Errorf("role policy %s allows %v, want %v", sid, actions[sid], acts)
		}
	}
	return nil
}

func (a *tfAWS) checkSweepRule(outs map[string]string) error {
	name := tfPrefix + "-session-service-sweep"
	var rule struct{ ScheduleExpression, State string }
	if err := a.callJSON("events", "AWSEvents.DescribeRule", map[string]string{"Name": name}, &rule); err != nil {
		return err
	}
	if rule.ScheduleExpression != "rate(1 minute)" || rule.State != "ENABLED" {
		return fmt.Errorf("sweep rule %+v, want rate(1 minute), ENABLED", rule)
	}
	var targets struct{ Targets []struct{ Arn, Input string } }
	if err := a.callJSON("events", "AWSEvents.ListTargetsByRule", map[string]string{"Rule": name}, &targets); err != nil {
		return err
	}
	fn := outs["function_arn"]
	if len(targets.Targets) != 1 || targets.Targets[0].Arn != fn || targets.Targets[0].Input != "" {
		return fmt.Errorf("sweep targets %+v, want the function with EventBridge's own event", targets.Targets)
	}
	return nil
}

func (a *tfAWS) checkNothingLeft() error {
	out, err := a.dynamo.ListTables(context.Background(), &dynamodb.ListTablesInput{})
	if err != nil {
		return err
	}
	for _, name := range out.TableNames {
		if strings.HasPrefix(name, tfPrefix) {
			return fmt.Errorf("table %s survived destroy", name)
		}
	}
	_, err = a.lambda.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String(tfPrefix + "-session-service")})
	if err == nil {
		return errors.New("the function survived destroy")
	}
	return nil
}

// callJSON calls an AWS JSON 1.1 API operation (X-Amz-Target) on the emulator.
func (a *tfAWS) callJSON(service, target string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	hdr := http.Header{"Content-Type": {"application/x-amz-json-1.1"}, "X-Amz-Target": {target}}
	return a.call(http.MethodPost, service, "/", hdr, body, out)
}

// call sends a SigV4-signed request for service to the emulator (which picks
// the service from the signature's scope) and decodes a JSON or XML answer.
func (a *tfAWS) call(method, service, path string, hdr http.Header, body []byte, out any) error {
	ctx := context.Background()
	req, err := http.NewRequestWithContext(ctx, method, a.endpoint+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	creds := aws.Credentials{AccessKeyID: "test", SecretAccessKey: "test"}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, tfSHA256(body), service, tfRegion, time.Now()); err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", service, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s %s: %s: %s", service, method, path, resp.Status, data)
	}
	if strings.Contains(resp.Header.Get("Content-Type"), "xml") || bytes.HasPrefix(bytes.TrimSpace(data), []byte("<")) {
		return xml.Unmarshal(data, out)
	}
	return json.Unmarshal(data, out)
}

func tfSHA256(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// tfDevEnvironment is the function environment envs/dev.tfvars produces
// (the design's defaults elsewhere), Cognito ids aside: the root creates
// its own user pool, the function module test passes fixed ones.
func tfDevEnvironment(endpoint string) map[string]string {
	return map[string]string{
		"SESSIONS_TABLE":                         tfPrefix + "-sessions",
		"CONNECTIONS_TABLE":                      tfPrefix + "-connections",
		"RATE_LIMITS_TABLE":                      tfPrefix + "-rate-limits",
		"MAX_LISTENERS_PER_SESSION":              "50",
		"SESSION_MAX_DURATION_HOURS":             "2",
		"CONNECTION_MAX_DURATION_HOURS":          "2",
		"CONNECTION_REFRESH_MINUTES":             "100",
		"CONNECTION_WARNING_MINUTES":             "105",
		"HEARTBEAT_INTERVAL_SECONDS":             "30",
		"HEARTBEAT_TIMEOUT_SECONDS":              "90",
		"RATE_LIMIT_SESSIONS_PER_HOUR":           "200",
		"RATE_LIMIT_LISTENER_JOINS_PER_MIN":      "60",
		"RATE_LIMIT_CONNECTION_ATTEMPTS_PER_MIN": "120",
		"RATE_LIMIT_HEARTBEATS_PER_MIN":          "4",
		"LOG_LEVEL":                              "debug",
		"WEBSOCKET_ENDPOINT":                     endpoint,
		"METRICS_NAMESPACE":                      "SessionService",
	}
}
