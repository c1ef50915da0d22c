package terraform

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/livecast/sessions/local/motoserver"
)

const region = "us-east-1"

// startEmulator skips unless TF_ACC is set (make tf-acc) and terraform and
// moto_server are installed; it starts moto for this test alone and returns
// it with a terraform whose AWS provider talks to it.
func startEmulator(t *testing.T) (*motoserver.Server, *terraformCLI) {
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

	// Only this process's PATH and HOME leak in: AWS settings of the machine
	// (profiles, service endpoints) must not redirect or authenticate the
	// provider.
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"TF_IN_AUTOMATION=1",
		"CHECKPOINT_DISABLE=1",
		// One provider download (or mirror copy) for every stack of the test.
		"TF_PLUGIN_CACHE_DIR=" + t.TempDir(),
		"AWS_ENDPOINT_URL=" + moto.URL,
		"AWS_ACCESS_KEY_ID=test",
		"AWS_SECRET_ACCESS_KEY=test",
		"AWS_REGION=" + region,
		"AWS_DEFAULT_REGION=" + region,
		"AWS_CONFIG_FILE=" + filepath.Join(t.TempDir(), "none"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(t.TempDir(), "none"),
	}
	if cfg := cliConfig(t); cfg != "" {
		env = append(env, "TF_CLI_CONFIG_FILE="+cfg)
	}
	return moto, &terraformCLI{bin: bin, env: env}
}

// cliConfig returns the Terraform CLI configuration to use: TF_CLI_CONFIG_FILE
// when it names a file; else, when TF_PLUGIN_MIRROR (default /opt/tf-plugins)
// holds hashicorp/aws, one installing hashicorp providers from that mirror
// (machines without internet access); else none (the public registry).
func cliConfig(t *testing.T) string {
	t.Helper()
	if cfg := os.Getenv("TF_CLI_CONFIG_FILE"); cfg != "" {
		if _, err := os.Stat(cfg); err == nil {
			return cfg
		}
	}
	mirror := os.Getenv("TF_PLUGIN_MIRROR")
	if mirror == "" {
		mirror = "/opt/tf-plugins"
	}
	if _, err := os.Stat(filepath.Join(mirror, "registry.terraform.io", "hashicorp", "aws")); err != nil {
		return ""
	}
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
