package main_test

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunsAsAProcess builds the example and runs it as a user would, in both
// languages, and with a bad flag.
func TestRunsAsAProcess(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bookkeeping")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)

	run := func(args ...string) (string, string, int) {
		cmd := exec.Command(bin, args...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else {
			require.NoError(t, err)
		}
		return stdout.String(), stderr.String(), code
	}

	en, stderr, code := run("-dir", t.TempDir())
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"80 clients register",
		"Does client-retail-00 need to be asked again? yes: The privacy notice has changed materially",
		"AdPartner BV asks for client-retail-00's data: refused: no consent or legal order.",
		"(BD/2021/0417): allowed and logged.",
		"the manifest says complete: yes.",
		"Invoice 2019-0008 kept until 1 January 2027: fiscal retention duty (AWR art. 52 lid 4).",
		"Contact details client-retail-01 deleted.",
		"the held invoice is still there: yes.",
		"retail       withheld: suppressed (threshold)",
		"healthcare   16",
		"hash chain verifies.",
	} {
		assert.Contains(t, en, want)
	}

	nl, stderr, code := run("-lang", "nl", "-dir", t.TempDir())
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"80 klanten melden zich aan",
		"Factuur 2019-0008 bewaard tot 1 januari 2027: fiscale bewaarplicht (AWR art. 52 lid 4).",
		"de geblokkeerde factuur is er nog: ja.",
		"de hashketen klopt.",
	} {
		assert.Contains(t, nl, want)
	}

	_, stderr, code = run("-lang", "fr")
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `-lang "fr": want en or nl`)
}
