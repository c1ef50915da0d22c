package terraform

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	rootModule   = "../../terraform"
	accountStack = "../../terraform/account"
	envsDir      = "../../envs"
	// alarmEmail is the placeholder staging's and prod's tfvars carry.
	alarmEmail = "ops@example.com"
)

// environment is one envs/<name>.tfvars as the apply test deploys it, and
// what moto must then hold.
type environment struct {
	name string
	// extra are -var arguments beyond the tfvars.
	extra []string

	authorizer, twoWayRoutes, tracing bool
	pointInTimeRecovery               bool
	deletionProtection                bool
	audioRetentionHours               int
	// alarmEmail is the address the tfvars subscribe; alarmTopic an
	// existing topic the test points the alarms at instead.
	alarmEmail, alarmTopic string
}

func (e environment) prefix() string { return e.name + "-livecast" }

// tags are the tags the root module puts on every resource.
func (e environment) tags() map[string]string {
	return map[string]string{"Environment": e.name, "Project": "livecast", "ManagedBy": "terraform"}
}

// environments are what the tfvars say, plus the optional switches turned on
// in staging and an on-call address in prod, so that every resource the code
// can create is applied once.
func environments() []environment {
	return []environment{
		{name: "dev", audioRetentionHours: 24},
		{
			name:       "staging",
			extra:      []string{"enable_authorizer=true", "two_way_routes=true"},
			authorizer: true, twoWayRoutes: true, tracing: true,
			pointInTimeRecovery: true, audioRetentionHours: 24, alarmEmail: alarmEmail,
		},
		{
			name:    "prod",
			tracing: true, pointInTimeRecovery: true, deletionProtection: true,
			audioRetentionHours: 48, alarmEmail: alarmEmail,
		},
	}
}

// TestEveryEnvironmentAppliesOnMoto deploys the account stack and then dev,
// staging and prod into one emulated account and region, as teams sharing an
// account would, checks each through the AWS APIs, re-plans each expecting
// no change, and destroys dev first to prove that the other environments'
// logging survives it.
func TestEveryEnvironmentAppliesOnMoto(t *testing.T) {
	moto, tf := startEmulator(t)
	aws := newEmulator(moto.URL)
	pkg := dummyPackage(t)
	work := t.TempDir()

	account := newStack(t, tf, work, "account", accountStack)
	account.apply(t)
	accountRole := account.outputs(t)["cloudwatch_role_arn"]
	require.NoError(t, aws.checkAccountLogging(accountRole), "the account stack registers its role")
	account.requireNoChanges(t)

	// The environments are independent: they deploy side by side.
	envs := environments()
	deployed := make([]deployment, len(envs))
	t.Run("each environment applies, matches its tfvars and re-plans clean", func(t *testing.T) {
		for i, env := range envs {
			t.Run(env.name, func(t *testing.T) {
				t.Parallel()
				deployed[i] = deploy(t, tf, aws, work, env, pkg)
			})
		}
	})
	require.False(t, t.Failed(), "every environment must deploy before the destroy checks")
	dev, others := deployed[0], deployed[1:]

	dev.stack.destroy(t)
	assert.NoError(t, aws.checkGone(dev.env, dev.outputs), "dev after its destroy")
	assert.NoError(t, aws.checkAccountLogging(accountRole), "destroying dev leaves the account's logging role registered")
	for _, d := range others {
		assert.NoError(t, aws.checkAccessLogs(d.env, d.outputs), "%s still logs after dev's destroy", d.env.name)
	}

	t.Run("the other environments destroy after dev", func(t *testing.T) {
		for _, d := range others {
			t.Run(d.env.name, func(t *testing.T) {
				t.Parallel()
				// Protected tables and user pools refuse deletion: lift the
				// protection first, as the README tells operators to.
				unprotect := []string{"-var=deletion_protection=false", "-var=user_pool_deletion_protection=false"}
				if d.env.deletionProtection {
					d.stack.apply(t, unprotect...)
				}
				d.stack.destroy(t, unprotect...)
				assert.NoError(t, aws.checkGone(d.env, d.outputs), "%s after its destroy", d.env.name)
			})
		}
	})

	// The account stack is not destroyed here: moto 5.2.1 answers 500 to the
	// value-less "replace /cloudwatchRoleArn" with which the provider resets
	// the account settings (reset_on_delete), and the provider retries it
	// for minutes. The mocked account test asserts reset_on_delete; moto
	// goes away with the stack when the test ends.
}

// deployment is an environment applied to the emulator.
type deployment struct {
	env     environment
	stack   *stack
	outputs map[string]string
}

// deploy applies one environment, checks what moto holds, and re-plans.
func deploy(t *testing.T, tf *terraformCLI, aws *emulator, work string, env environment, pkg string) deployment {
	varFile, err := filepath.Abs(filepath.Join(envsDir, env.name+".tfvars"))
	require.NoError(t, err)
	vars := []string{
		"-var-file=" + varFile,
		"-var=create_api_deployment=false", // moto has no API Gateway v2 CreateDeployment
		"-var=package_path=" + pkg,
	}
	for _, v := range env.extra {
		vars = append(vars, "-var="+v)
	}
	s := newStack(t, tf, work, env.name, rootModule, vars...)
	s.apply(t)
	outs := s.outputs(t)
	require.NoError(t, aws.tagStream(outs["audio_stream_name"], env.tags()))

	for name, check := range map[string]func(environment, map[string]string) error{
		"outputs":            checkOutputs,
		"tables":             aws.checkTables,
		"function":           aws.checkFunction,
		"routes":             aws.checkRoutes,
		"invoke permissions": aws.checkInvokePermissions,
		"role policy":        aws.checkRolePolicy,
		"sweep rule":         aws.checkSweepRule,
		"audio stream":       aws.checkAudioStream,
		"alarms":             aws.checkAlarms,
		"access logs":        aws.checkAccessLogs,
	} {
		assert.NoError(t, check(env, outs), name)
	}
	s.requireNoChanges(t)
	return deployment{env: env, stack: s, outputs: outs}
}

// checkOutputs checks the names and URLs an environment publishes.
func checkOutputs(env environment, outs map[string]string) error {
	p := env.prefix()
	want := map[string]string{
		"function_name":          p + "-session-service",
		"sessions_table_name":    p + "-sessions",
		"connections_table_name": p + "-connections",
		"rate_limits_table_name": p + "-rate-limits",
		"audio_stream_name":      p + "-audio",
		"stage_name":             env.name,
		"metrics_namespace":      "SessionService/" + env.name,
		"websocket_url":          "wss://" + outs["api_id"] + ".execute-api." + region + ".amazonaws.com/" + env.name,
		"connections_endpoint":   "https://" + outs["api_id"] + ".execute-api." + region + ".amazonaws.com/" + env.name,
		"function_arn":           "arn:aws:lambda:" + region + ":" + accountID + ":function:" + p + "-session-service",
		"audio_stream_arn":       "arn:aws:kinesis:" + region + ":" + accountID + ":stream/" + p + "-audio",
	}
	for name, v := range want {
		if outs[name] != v {
			return fmt.Errorf("output %s = %q, want %q", name, outs[name], v)
		}
	}
	return nil
}
