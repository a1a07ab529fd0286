package main_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunsOnPostgres(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "postgres")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	cmd := exec.Command(bin, "-dsn", "")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	ee, ok := err.(*exec.ExitError)
	require.True(t, ok, "no DSN is an error")
	assert.Equal(t, 2, ee.ExitCode())
	assert.Contains(t, stderr.String(), "no DSN")

	dsn := os.Getenv("STEWARD_POSTGRES_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("STEWARD_POSTGRES_DSN is not set in CI")
		}
		t.Skip("STEWARD_POSTGRES_DSN is not set: skipping the run on PostgreSQL")
	}
	cmd = exec.Command(bin, "-dsn", dsn, "-lang", "nl")
	var stdout bytes.Buffer
	stderr.Reset()
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Run(), stderr.String())
	assert.Contains(t, stdout.String(), "Factuur 2019-0008 bewaard tot 1 januari 2027: fiscale bewaarplicht (AWR art. 52 lid 4).")
	assert.Contains(t, stdout.String(), "de geblokkeerde factuur is er nog: ja.")
	assert.Contains(t, stdout.String(), "de hashketen klopt.")
}
