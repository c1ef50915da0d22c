package console

import (
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// libraryBundle is where the JavaScript library's build writes its browser
// bundle (clients/js: npm run build).
const libraryBundle = "../js/dist/sessions.browser.js"

// TestTheEmbeddedBundleIsTheLibrarysBuild keeps the console on the library
// as it is: the copy it embeds must equal a fresh build. `make
// console-bundle` rebuilds the library and refreshes the copy.
func TestTheEmbeddedBundleIsTheLibrarysBuild(t *testing.T) {
	built, err := os.ReadFile(libraryBundle)
	if errors.Is(err, fs.ErrNotExist) {
		if os.Getenv("CONSOLE_BROWSER_REQUIRED") == "1" {
			t.Fatalf("%s is missing: build the library (make console-bundle) before the console's tests", libraryBundle)
		}
		t.Skipf("%s is not built, so the embedded copy cannot be compared: run make console-bundle", libraryBundle)
	}
	require.NoError(t, err)
	embedded, err := fs.ReadFile(static, "static/sessions.browser.js")
	require.NoError(t, err)
	assert.True(t, string(built) == string(embedded), "static/sessions.browser.js differs from the library's build: run make console-bundle")
}
