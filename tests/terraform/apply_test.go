package terraform

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/go-version"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	"github.com/stretchr/testify/require"
)

const (
	rootModule   = "../../terraform"
	accountStack = "../../terraform/account"
	envsDir      = "../../envs"
	// alarmEmail is the placeholder staging's and prod's tfvars carry.
	alarmEmail = "ops@example.com"
	// sesIdentity is a made-up SES identity: moto does not check it, and
	// applying it once proves the provider and the API accept the pool's
	// email configuration.
	sesIdentity = "arn:aws:ses:" + region + ":" + accountID + ":identity/example.org"
	// devDestroyDeadline bounds how long staging and prod wait for dev's
	// destroy (dev's whole TestCase takes about a minute on 2 cores).
	devDestroyDeadline = 20 * time.Minute
)

// environment is one envs/<name>.tfvars as the apply test deploys it, and
// what moto must then hold.
type environment struct {
	name string
	// extra are module arguments (HCL expressions) beyond the tfvars.
	extra map[string]string

	authorizer, twoWayRoutes, tracing bool
	pointInTimeRecovery               bool
	deletionProtection                bool
	audioRetentionHours               int
	executionLogging                  string
	// alarmEmail is the address the tfvars subscribe; alarmTopic an
	// existing topic the test points the alarms at instead.
	alarmEmail, alarmTopic string
	sesIdentity            string
}

func (e environment) prefix() string { return e.name + "-livecast" }

// tags are the tags the root module puts on every resource.
func (e environment) tags() map[string]string {
	return map[string]string{"Environment": e.name, "Project": "livecast", "ManagedBy": "terraform"}
}

// environments are what the tfvars say, plus switches turned on so that
// every resource and branch the code can create is applied once: staging
// runs the authorizer and two-way routes, and sends its alarms to an
// existing topic; prod sends Cognito's mail through SES and subscribes its
// tfvars' address.
func environments(pagerTopic string) []environment {
	return []environment{
		{name: "dev", audioRetentionHours: 24, executionLogging: "INFO"},
		{
			name: "staging",
			extra: map[string]string{
				"enable_authorizer": "true", "two_way_routes": "true",
				"alarm_email": "null", "alarm_topic_arn": strconv.Quote(pagerTopic),
			},
			authorizer: true, twoWayRoutes: true, tracing: true,
			pointInTimeRecovery: true, audioRetentionHours: 24, executionLogging: "ERROR",
			alarmTopic: pagerTopic,
		},
		{
			name: "prod",
			extra: map[string]string{
				"cognito_email_from_address": strconv.Quote("Livecast <no-reply@example.org>"),
				"cognito_ses_identity_arn":   strconv.Quote(sesIdentity),
			},
			tracing: true, pointInTimeRecovery: true, deletionProtection: true,
			audioRetentionHours: 48, executionLogging: "ERROR", alarmEmail: alarmEmail, sesIdentity: sesIdentity,
		},
	}
}

// TestEveryEnvironmentAppliesOnMoto deploys the account stack and then dev,
// staging and prod into one emulated account and region, as teams sharing an
// account would. Each environment is one terraform-plugin-testing TestCase,
// and the three run at once:
//
//  1. apply the wrapper (the root module as module "stack" with the tfvars
//     as arguments); ConfigStateChecks assert outputs and ask moto for every
//     resource of every module and for what the tfvars promise;
//     ConfigPlanChecks require the plans after apply, before and after
//     refresh, to be empty;
//  2. staging and prod only, once dev is destroyed: the same config again,
//     checking that the account's logging role and their own access logs
//     survived dev's destroy;
//  3. prod only: lift deletion protection (tables, user pool), as the README
//     tells operators to;
//  4. Destroy: true, checking that moto holds nothing the apply built.
//
// No Check or CheckDestroy: the framework's legacy state shim refuses child
// modules, so every assertion is a StateCheck on the JSON state, and the
// last step leaves an empty state for the framework's own final destroy.
func TestEveryEnvironmentAppliesOnMoto(t *testing.T) {
	acc := startAcceptance(t)
	pkg := dummyPackage(t)
	work := t.TempDir()

	// The account stack, applied with the terraform CLI: its destroy cannot
	// run here (moto 5.2.1 answers 500 to the value-less "replace
	// /cloudwatchRoleArn" the provider resets the account settings with, and
	// the provider retries it for minutes), and a TestCase always destroys
	// what it applied. The mocked account test asserts reset_on_delete; moto
	// goes away with the stack when the test ends.
	account := newStack(t, acc.tf, work, "account", accountStack)
	account.apply(t)
	accountRole := account.outputs(t)["cloudwatch_role_arn"]
	require.NoError(t, acc.aws.checkAccountLogging(accountRole), "the account stack registers its role")
	account.requireNoChanges(t)

	// The root module, copied once without its S3 backend: every TestCase's
	// module "stack" calls this copy by its absolute path.
	source := filepath.Join(work, "root")
	copyModule(t, rootModule, source)
	pagerTopic, err := acc.aws.createTopic("team-pager")
	require.NoError(t, err)

	devDestroyed := make(chan struct{})
	var closeDev sync.Once
	var wg sync.WaitGroup
	for _, env := range environments(pagerTopic) {
		wg.Add(1)
		// t.Run from goroutines rather than t.Parallel: staging and prod
		// wait for dev's destroy, so all three must run at once whatever
		// -parallel allows (2 on a 2-core machine).
		go func() {
			defer wg.Done()
			if env.name == "dev" {
				// Also when dev fails, or -run leaves it out: nobody waits
				// for a destroy that will not come.
				defer closeDev.Do(func() { close(devDestroyed) })
			}
			t.Run(env.name, func(t *testing.T) {
				resource.Test(t, environmentCase(t, acc, env, source, pkg, accountRole, devDestroyed))
			})
		}()
	}
	wg.Wait()
}

// environmentCase is the TestCase of one environment.
func environmentCase(t *testing.T, acc *acceptance, env environment, source, pkg, accountRole string, devDestroyed <-chan struct{}) resource.TestCase {
	varFile, err := filepath.Abs(filepath.Join(envsDir, env.name+".tfvars"))
	require.NoError(t, err)
	overrides := map[string]string{
		"create_api_deployment": "false", // moto has no API Gateway v2 CreateDeployment
		"package_path":          strconv.Quote(pkg),
	}
	for k, v := range env.extra {
		overrides[k] = v
	}
	applied := newWrapper(t, source, varFile, overrides)
	dep := &deployment{}
	caseDir := t.TempDir()

	applyStep := resource.TestStep{
		PreConfig: func() { installModules(t, acc.tf, caseDir, applied) },
		Config:    applied.config(),
		ConfigStateChecks: append(outputChecks(env),
			builtInMoto{aws: acc.aws, env: env, dep: dep},
		),
		ConfigPlanChecks: emptyPlans(),
	}
	steps := []resource.TestStep{applyStep}
	last := applied
	if env.name != "dev" {
		steps = append(steps, resource.TestStep{
			PreConfig: func() {
				select {
				case <-devDestroyed:
				case <-time.After(devDestroyDeadline):
					t.Errorf("dev was not destroyed within %s", devDestroyDeadline)
				}
			},
			Config:            applied.config(),
			ConfigStateChecks: []statecheck.StateCheck{survivesDevDestroy{aws: acc.aws, env: env, dep: dep, accountRole: accountRole}},
			ConfigPlanChecks:  emptyPlans(),
		})
	}
	if env.deletionProtection {
		// Protected tables and user pools refuse deletion: lift the
		// protection first, as the README tells operators to.
		last = applied.with(map[string]string{"deletion_protection": "false", "user_pool_deletion_protection": "false"})
		steps = append(steps, resource.TestStep{Config: last.config(), ConfigPlanChecks: emptyPlans()})
	}
	destroy := resource.TestStep{
		Config:            last.config(),
		Destroy:           true,
		ConfigStateChecks: []statecheck.StateCheck{goneFromMoto{aws: acc.aws, env: env, dep: dep}},
	}
	steps = append(steps, destroy)

	return resource.TestCase{
		WorkingDir: caseDir,
		// The provider the modules' "~> 5.100" admits, installed from the
		// filesystem mirror startAcceptance configured (no plugin cache).
		ExternalProviders: map[string]resource.ExternalProvider{
			"aws": {Source: "hashicorp/aws", VersionConstraint: awsProviderVersion},
		},
		TerraformVersionChecks: []tfversion.TerraformVersionCheck{
			tfversion.RequireAbove(version.Must(version.NewVersion("1.11.0"))), // versions.tf: the S3 backend's lock file
		},
		Steps: steps,
	}
}

// emptyPlans requires the plans after an apply, without and with refresh,
// to change nothing: any change is a disagreement between the
// configuration, the provider and the AWS API.
func emptyPlans() resource.ConfigPlanChecks {
	return resource.ConfigPlanChecks{
		PostApplyPreRefresh:  []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), changedAttributes{}},
		PostApplyPostRefresh: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan(), changedAttributes{}},
	}
}

// changedAttributes fails like plancheck.ExpectEmptyPlan, naming what would
// change: ExpectEmptyPlan says which resource, this says which attributes,
// which is what one needs to tell a provider or emulator quirk from a
// configuration bug.
type changedAttributes struct{}

func (changedAttributes) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	var errs []error
	for _, rc := range req.Plan.ResourceChanges {
		if rc.Change == nil || rc.Change.Actions.NoOp() || rc.Change.Actions.Read() {
			continue
		}
		before, _ := rc.Change.Before.(map[string]any)
		after, _ := rc.Change.After.(map[string]any)
		var changed []string
		for _, k := range sortedKeys(after) {
			if !reflect.DeepEqual(before[k], after[k]) {
				changed = append(changed, fmt.Sprintf("%s: %v -> %v", k, before[k], after[k]))
			}
		}
		errs = append(errs, fmt.Errorf("%s %v: %s", rc.Address, rc.Change.Actions, strings.Join(changed, "; ")))
	}
	resp.Error = errors.Join(errs...)
}

// outputChecks are the names and URLs an environment publishes.
func outputChecks(env environment) []statecheck.StateCheck {
	p := env.prefix()
	exact := map[string]string{
		"function_name":          p + "-session-service",
		"sessions_table_name":    p + "-sessions",
		"connections_table_name": p + "-connections",
		"rate_limits_table_name": p + "-rate-limits",
		"audio_stream_name":      p + "-audio",
		"stage_name":             env.name,
		"metrics_namespace":      "SessionService/" + env.name,
		"dashboard_name":         p + "-sessions",
		"function_arn":           "arn:aws:lambda:" + region + ":" + accountID + ":function:" + p + "-session-service",
		"audio_stream_arn":       "arn:aws:kinesis:" + region + ":" + accountID + ":stream/" + p + "-audio",
	}
	topic := "arn:aws:sns:" + region + ":" + accountID + ":" + p + "-alarms"
	if env.alarmTopic != "" {
		topic = env.alarmTopic
	}
	exact["alarm_topic_arn"] = topic
	var checks []statecheck.StateCheck
	for _, name := range sortedKeys(exact) {
		checks = append(checks, statecheck.ExpectKnownOutputValue(name, knownvalue.StringExact(exact[name])))
	}
	host := `^%s[a-z0-9]+\.execute-api\.` + regexp.QuoteMeta(region) + `\.amazonaws\.com/` + env.name + `$`
	checks = append(checks,
		statecheck.ExpectKnownOutputValue("websocket_url", knownvalue.StringRegexp(regexp.MustCompile(fmt.Sprintf(host, "wss://")))),
		statecheck.ExpectKnownOutputValue("connections_endpoint", knownvalue.StringRegexp(regexp.MustCompile(fmt.Sprintf(host, "https://")))),
		statecheck.ExpectKnownOutputValue("async_failures_queue_url", knownvalue.StringRegexp(regexp.MustCompile(p+`-session-service-async-failures$`))),
	)
	return checks
}

// checkOutputs checks what the outputs say against each other: the URLs
// carry the API's id.
func checkOutputs(env environment, outs map[string]string) error {
	for _, name := range []string{"websocket_url", "connections_endpoint"} {
		if want := regexp.MustCompile(`//` + regexp.QuoteMeta(outs["api_id"]) + `\.`); outs["api_id"] == "" || !want.MatchString(outs[name]) {
			return fmt.Errorf("output %s = %q does not name the API %q", name, outs[name], outs["api_id"])
		}
	}
	return nil
}
