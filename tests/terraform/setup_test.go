package terraform

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/motoserver"
)

const (
	region = "us-east-1"
	// awsProviderVersion is the provider every apply installs: the one the
	// machine's filesystem mirror holds, within the modules' "~> 5.100".
	awsProviderVersion = "5.100.0"
)

// acceptance is one moto for the whole apply test, and the terraform that
// talks to it.
type acceptance struct {
	aws *emulator
	tf  *terraformCLI
}

// startAcceptance skips unless TF_ACC is set (make tf-acc) and terraform and
// moto_server are installed. It starts moto for this test alone, behind the
// proxy that keeps Kinesis tags, and points every terraform of the test at
// it through the process environment: terraform-plugin-testing runs
// terraform with this process's environment, so the environment is set here,
// by the top-level test, before any TestCase starts (t.Setenv restores it
// when the test ends).
func startAcceptance(t *testing.T) *acceptance {
	t.Helper()
	if os.Getenv("TF_ACC") == "" {
		t.Skip("applies Terraform to moto for minutes: set TF_ACC=1 (make tf-acc)")
	}
	bin := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("terraform"); err != nil {
			t.Skip("terraform is not installed (https://developer.hashicorp.com/terraform/install)")
		}
	}
	moto, err := motoserver.Start()
	if err != nil {
		t.Skip("no AWS emulator:", err)
	}
	t.Cleanup(moto.Stop)
	aws := newEmulator(moto.URL)
	endpoint := startTagKeepingProxy(t, moto.URL, aws)

	// Only what is set here may steer terraform and the provider: AWS
	// settings of the machine (profiles, tokens, service endpoints) must not
	// redirect or authenticate it, and no plugin cache may be shared.
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "AWS_") || k == "TF_PLUGIN_CACHE_DIR" || k == "TF_CLI_CONFIG_FILE" || k == "TF_DATA_DIR" {
			t.Setenv(k, "")
			require.NoError(t, os.Unsetenv(k))
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"TF_ACC_TERRAFORM_PATH":       bin,
		"TF_IN_AUTOMATION":            "1",
		"CHECKPOINT_DISABLE":          "1",
		"AWS_ENDPOINT_URL":            endpoint,
		"AWS_ACCESS_KEY_ID":           "test",
		"AWS_SECRET_ACCESS_KEY":       "test",
		"AWS_REGION":                  region,
		"AWS_DEFAULT_REGION":          region,
		"AWS_CONFIG_FILE":             none,
		"AWS_SHARED_CREDENTIALS_FILE": none,
	} {
		t.Setenv(k, v)
	}
	// After the AWS settings: preparing a mirror may need the registry.
	t.Setenv("TF_CLI_CONFIG_FILE", cliConfig(t, providerMirror(t, bin)))
	return &acceptance{aws: aws, tf: &terraformCLI{bin: bin}}
}

// providerMirror returns a filesystem mirror holding hashicorp/aws: the
// machine's (TF_PLUGIN_MIRROR, default /opt/tf-plugins, as on offline
// machines), or one filled here once from the public registry.
//
// Every terraform init of the test installs the provider from that mirror
// and none uses a plugin cache. Parallel inits sharing one cache race
// ("failed to create directory", "after installing ... it is still not
// detected"); without a cache each working directory gets its own copy (or,
// from an unpacked mirror, a link) and nothing shared is ever written while
// the TestCases run.
func providerMirror(t *testing.T, bin string) string {
	t.Helper()
	mirror := os.Getenv("TF_PLUGIN_MIRROR")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if _, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); err == nil {
		return mirror
	}
	cfg := t.TempDir()
	versions := fmt.Sprintf("terraform {\n  required_providers {\n    aws = { source = \"hashicorp/aws\", version = %q }\n  }\n}\n", awsProviderVersion)
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "versions.tf"), []byte(versions), 0o644))
	mirror = t.TempDir()
	tf := &terraformCLI{bin: bin}
	_, err := tf.run(cfg, "providers", "mirror", "-platform="+runtime.GOOS+"_"+runtime.GOARCH, mirror)
	require.NoError(t, err, "fill a provider mirror from the registry (offline machines need TF_PLUGIN_MIRROR)")
	return mirror
}

// cliConfig writes a Terraform CLI configuration installing hashicorp
// providers from mirror only, with no plugin cache.
func cliConfig(t *testing.T, mirror string) string {
	t.Helper()
	cfg := filepath.Join(t.TempDir(), "cli.tfrc")
	body := fmt.Sprintf(strings.TrimSpace(`
provider_installation {
  filesystem_mirror {
    path    = %q
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}`)+"\n", mirror)
	require.NoError(t, os.WriteFile(cfg, []byte(body), 0o600))
	return cfg
}
