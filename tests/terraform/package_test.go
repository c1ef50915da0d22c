package terraform

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPackageIsReproducible runs make package twice and requires the same
// zip: the function's source_code_hash must change only when the code does.
// The second build comes from Go's build cache with a fresh file time, which
// is exactly what used to change the hash. Gated with the applies (TF_ACC):
// a cold arm64 build takes a minute.
func TestPackageIsReproducible(t *testing.T) {
	if os.Getenv("TF_ACC") == "" {
		t.Skip("builds the linux/arm64 package twice: set TF_ACC=1 (make tf-acc)")
	}
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	dir := t.TempDir()
	build := func(name string) string {
		t.Helper()
		zipPath := filepath.Join(dir, name+".zip")
		cmd := exec.Command("make", "--no-print-directory", "-C", "../..", "package",
			"TF_BINARY="+filepath.Join(dir, name), "TF_PACKAGE="+zipPath)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "make package: %s", out)
		b, err := os.ReadFile(zipPath)
		require.NoError(t, err)
		sum := sha256.Sum256(b)
		return hex.EncodeToString(sum[:])
	}
	first := build("first")
	// A different file time on the binary, as any rebuild gives it.
	require.NoError(t, os.Chtimes(filepath.Join(dir, "first"), time.Now().Add(time.Hour), time.Now().Add(time.Hour)))
	second := build("second")
	assert.Equal(t, first, second, "the same code must give the same package")

	zr, err := zip.OpenReader(filepath.Join(dir, "second.zip"))
	require.NoError(t, err)
	defer zr.Close()
	require.Len(t, zr.File, 1, "one entry")
	f := zr.File[0]
	assert.Equal(t, "bootstrap", f.Name, "Lambda runs the file named bootstrap at the root")
	assert.Equal(t, os.FileMode(0o755), f.Mode().Perm(), "executable")
	assert.Equal(t, 1980, f.Modified.Year(), "a fixed time, not the file's")
}
