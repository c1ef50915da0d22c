package terraform

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/require"
)

// wrapper is the configuration a TestCase applies: the root module, copied
// without its S3 backend, called as module "stack" with an environment's
// tfvars as arguments, and every root output passed through, so that state
// checks read the outputs from the state.
type wrapper struct {
	source string
	args   []string // "name = <HCL expression>", in order
	outs   []string
}

// newWrapper reads envs/<env>.tfvars and the root module's outputs. overrides
// are HCL expressions by argument name, replacing or adding to the tfvars.
func newWrapper(t *testing.T, source, varFile string, overrides map[string]string) wrapper {
	t.Helper()
	w := wrapper{source: source}
	seen := map[string]bool{}
	for _, a := range attributes(t, varFile) {
		seen[a.name] = true
		if v, ok := overrides[a.name]; ok {
			w.args = append(w.args, a.name+" = "+v)
			continue
		}
		w.args = append(w.args, a.name+" = "+a.expr)
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range overrides {
			if !yield(k) {
				return
			}
		}
	}) {
		if !seen[name] {
			w.args = append(w.args, name+" = "+overrides[name])
		}
	}
	w.outs = outputNames(t, filepath.Join(source, "outputs.tf"))
	return w
}

// with returns the wrapper with more overrides on top.
func (w wrapper) with(overrides map[string]string) wrapper {
	out := w
	out.args = nil
	seen := map[string]bool{}
	for _, a := range w.args {
		name, _, _ := strings.Cut(a, " = ")
		seen[name] = true
		if v, ok := overrides[name]; ok {
			a = name + " = " + v
		}
		out.args = append(out.args, a)
	}
	for name, v := range overrides {
		if !seen[name] {
			out.args = append(out.args, name+" = "+v)
		}
	}
	return out
}

// config renders the step's Config. It has no terraform or provider block:
// terraform-plugin-testing adds them from the TestCase's ExternalProviders.
func (w wrapper) config() string {
	var b strings.Builder
	fmt.Fprintf(&b, "module \"stack\" {\n  source = %q\n\n", w.source)
	for _, a := range w.args {
		fmt.Fprintf(&b, "  %s\n", a)
	}
	b.WriteString("}\n")
	for _, o := range w.outs {
		fmt.Fprintf(&b, "\noutput %q {\n  value = module.stack.%s\n}\n", o, o)
	}
	return b.String()
}

type attribute struct{ name, expr string }

// attributes returns the top-level attributes of an HCL file with the source
// text of their expressions, in file order: tfvars hold literals, so their
// text is a valid module argument.
func attributes(t *testing.T, path string) []attribute {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	body := file.Body.(*hclsyntax.Body)
	var attrs []attribute
	for _, a := range body.Attributes {
		r := a.Expr.Range()
		attrs = append(attrs, attribute{name: a.Name, expr: string(src[r.Start.Byte:r.End.Byte])})
	}
	slices.SortFunc(attrs, func(x, y attribute) int {
		return body.Attributes[x.name].SrcRange.Start.Byte - body.Attributes[y.name].SrcRange.Start.Byte
	})
	return attrs
}

// outputNames returns the names of the output blocks of a .tf file.
func outputNames(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())
	var names []string
	for _, b := range file.Body.(*hclsyntax.Body).Blocks {
		if b.Type == "output" && len(b.Labels) == 1 {
			names = append(names, b.Labels[0])
		}
	}
	require.NotEmpty(t, names, "no outputs in %s", path)
	return names
}

// installModules runs terraform get in the TestCase's working directory
// with the wrapper's configuration. terraform-plugin-testing runs init once
// per TestCase with only its provider configuration (or per step with
// step-level providers, again without the step's Config), so it never
// installs the module a Config calls, and plan then fails with "Module not
// installed". Called from the first step's PreConfig: the framework has
// created the working directory (the one directory under caseDir, the
// TestCase's WorkingDir) and initialized the provider there; its SetConfig
// replaces the .tf file written here with the same module call.
func installModules(t *testing.T, tf *terraformCLI, caseDir string, w wrapper) {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(caseDir, "work*"))
	require.NoError(t, err)
	require.Len(t, dirs, 1, "one working directory per TestCase under %s", caseDir)
	file := filepath.Join(dirs[0], "stack_module.tf")
	require.NoError(t, os.WriteFile(file, []byte(w.config()), 0o644))
	_, err = tf.run(dirs[0], "get")
	require.NoError(t, err, "terraform get")
	require.NoError(t, os.Remove(file))
}
