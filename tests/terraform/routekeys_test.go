package terraform

import (
	"os"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/zclconf/go-cty/cty"

	"github.com/livecast/sessions/router"
)

// routeKeysFile declares the API's routes in a local named route_keys.
const routeKeysFile = "../../terraform/modules/websocket_api/main.tf"

func TestRouteKeysMatchRouter(t *testing.T) {
	keys := literalRouteKeys(t, routeKeysFile)

	assert.ElementsMatch(t, router.RouteKeys(), keys,
		"route_keys in %s must be exactly router.RouteKeys(), duplicates included", routeKeysFile)
}

// literalRouteKeys reads the literal list `route_keys` from the locals of a
// .tf file.
func literalRouteKeys(t *testing.T, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	require.NoError(t, err)
	file, diags := hclsyntax.ParseConfig(src, path, hcl.InitialPos)
	require.False(t, diags.HasErrors(), diags.Error())

	for _, block := range file.Body.(*hclsyntax.Body).Blocks {
		attr, ok := block.Body.Attributes["route_keys"]
		if block.Type != "locals" || !ok {
			continue
		}
		v, diags := attr.Expr.Value(nil)
		require.False(t, diags.HasErrors(), "route_keys must be a literal list: %s", diags.Error())
		require.True(t, v.Type().IsTupleType() || v.Type().IsListType(), "route_keys must be a list")
		var keys []string
		for _, k := range v.AsValueSlice() {
			require.Equal(t, cty.String, k.Type(), "route_keys holds only strings")
			keys = append(keys, k.AsString())
		}
		return keys
	}
	t.Fatalf("no route_keys local in %s", path)
	return nil
}
