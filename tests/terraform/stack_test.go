package terraform

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// stack is a Terraform root module copied to a temporary directory, where it
// keeps a local state: one deployment of it.
type stack struct {
	name string
	dir  string
	tf   *terraformCLI
	// vars are the -var-file and -var arguments of every plan, apply and
	// destroy of this deployment.
	vars []string
}

// newStack copies the root module at src (with its modules, without its S3
// backend and tests) to work/name and runs terraform init there. work
// outlives the (sub)test deploying the stack, since the stack's state must
// survive until its destroy. The account stack is applied this way, with the
// terraform CLI, not through terraform-plugin-testing: its destroy cannot run
// on moto (see TestEveryEnvironmentAppliesOnMoto), and the framework destroys
// whatever a TestCase leaves in its state.
func newStack(t *testing.T, tf *terraformCLI, work, name, src string, vars ...string) *stack {
	t.Helper()
	dir := filepath.Join(work, name)
	copyModule(t, src, dir)
	s := &stack{name: name, dir: dir, tf: tf, vars: vars}
	s.step(t, "init", "init", "-input=false")
	return s
}

// copyModule copies the .tf files of the root module at src, with its
// modules, to dst: without the S3 backend (tests keep local state), the
// tests and the working directories.
func copyModule(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
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
}

// apply applies the deployment with extra -var arguments on top of its own.
func (s *stack) apply(t *testing.T, extra ...string) {
	t.Helper()
	s.step(t, "apply", append(append([]string{"apply", "-input=false", "-auto-approve"}, s.vars...), extra...)...)
}

func (s *stack) destroy(t *testing.T, extra ...string) {
	t.Helper()
	s.step(t, "destroy", append(append([]string{"destroy", "-input=false", "-auto-approve"}, s.vars...), extra...)...)
}

// requireNoChanges plans again and fails naming every resource Terraform
// would change: after an apply, any change is a disagreement between the
// configuration, the provider and the AWS API.
func (s *stack) requireNoChanges(t *testing.T, extra ...string) {
	t.Helper()
	plan := filepath.Join(s.dir, "replan.tfplan")
	args := append(append([]string{"plan", "-input=false", "-detailed-exitcode", "-out=" + plan}, s.vars...), extra...)
	start := time.Now()
	_, err := s.tf.run(s.dir, args...)
	t.Logf("%s: re-plan: %s", s.name, time.Since(start).Round(100*time.Millisecond))
	if err == nil {
		return
	}
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s: plan", s.name)
	require.Equal(t, 2, exit.ExitCode(), "%s: plan failed: %v", s.name, err)

	out, err := s.tf.run(s.dir, "show", "-json", plan)
	require.NoError(t, err)
	var shown struct {
		ResourceChanges []struct {
			Address string
			Change  struct{ Actions []string }
		} `json:"resource_changes"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &shown))
	var changes []string
	for _, rc := range shown.ResourceChanges {
		if a := strings.Join(rc.Change.Actions, ","); a != "no-op" && a != "read" {
			changes = append(changes, rc.Address+" "+a)
		}
	}
	t.Fatalf("%s: the plan after apply is not empty: %s", s.name, strings.Join(changes, "; "))
}

// outputs returns the deployment's string outputs.
func (s *stack) outputs(t *testing.T) map[string]string {
	t.Helper()
	out, err := s.tf.run(s.dir, "output", "-json")
	require.NoError(t, err)
	var raw map[string]struct{ Value json.RawMessage }
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	outs := make(map[string]string, len(raw))
	for name, o := range raw {
		var v string
		if json.Unmarshal(o.Value, &v) == nil {
			outs[name] = v
		}
	}
	return outs
}

func (s *stack) step(t *testing.T, what string, args ...string) {
	t.Helper()
	start := time.Now()
	_, err := s.tf.run(s.dir, args...)
	require.NoError(t, err, "%s: terraform %s", s.name, what)
	t.Logf("%s: %s: %s", s.name, what, time.Since(start).Round(100*time.Millisecond))
}

// terraformCLI runs one terraform binary with this process's environment,
// the one startAcceptance set (and terraform-plugin-testing uses).
type terraformCLI struct {
	bin string
}

// run runs terraform in dir and returns its standard output; a failure's
// error carries what terraform printed on standard error.
func (c *terraformCLI) run(dir string, args ...string) (string, error) {
	cmd := exec.Command(c.bin, append([]string{"-chdir=" + dir}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("terraform %s: %w\n%s", args[0], err, stderr.String())
	}
	return stdout.String(), nil
}

// dummyPackage writes a deployment zip with a placeholder "bootstrap": the
// emulator stores the code without running it.
func dummyPackage(t *testing.T) string {
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
