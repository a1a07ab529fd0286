package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The program built and run as a user runs it: it serves the page, stops
// cleanly on an interrupt, and exits non-zero with a message on bad input.
func TestProgram(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("skipping: no go command to build the program with")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "cookieconsent")
	build := exec.CommandContext(ctx, gobin, "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	t.Run("serves the page and stops on an interrupt", func(t *testing.T) {
		cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:0")
		stdout, err := cmd.StdoutPipe()
		require.NoError(t, err)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		require.NoError(t, cmd.Start())
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		defer func() { _ = cmd.Process.Kill() }()

		lines := make(chan string, 1)
		go func() {
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			lines <- line
		}()
		var line string
		select {
		case line = <-lines:
		case <-time.After(30 * time.Second):
			require.FailNow(t, "the program did not say where it serves", stderr.String())
		}
		_, addr, ok := strings.Cut(strings.TrimSpace(line), "serving on ")
		require.True(t, ok, "first line: %q", line)

		req, err := http.NewRequestWithContext(ctx, http.MethodGet, addr+"/", nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Language", "nl")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "nl", resp.Header.Get("Content-Language"))
		require.Len(t, resp.Cookies(), 1)
		assert.Equal(t, visitorCookie, resp.Cookies()[0].Name)

		require.NoError(t, cmd.Process.Signal(os.Interrupt))
		select {
		case err := <-exited:
			assert.NoError(t, err, "exit after an interrupt; stderr: %s", stderr.String())
		case <-time.After(15 * time.Second):
			assert.Fail(t, "the program did not stop after an interrupt")
		}
	})

	for _, tc := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"an address it cannot listen on", []string{"-addr", "no-port"}, 1, "cookieconsent: listen tcp"},
		{"an unknown flag", []string{"-port", "8080"}, 2, "flag provided but not defined: -port"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.CommandContext(ctx, bin, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var exit *exec.ExitError
			require.True(t, errors.As(err, &exit), "want an exit error, got %v", err)
			assert.Equal(t, tc.code, exit.ExitCode())
			assert.Contains(t, stderr.String(), tc.stderr)
		})
	}
}
