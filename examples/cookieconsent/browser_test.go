//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/smartbooqing/steward/consent"
	"github.com/smartbooqing/steward/privacy"
)

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// startChromium starts a headless Chromium with a new empty profile and
// returns a DevTools connection to its page. The browser is killed, with
// every process it started, when the test ends. Without the browser the
// test is skipped, except in CI, where it fails.
func startChromium(ctx context.Context, t *testing.T) *devtools {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing; CI must install Debian's chromium package (apt-get install chromium)", chromiumPath)
		}
		t.Skipf("skipping the browser test: %s is missing; install Debian's chromium package (apt-get install chromium) to run it", chromiumPath)
	}
	dir := t.TempDir()
	profile := filepath.Join(dir, "profile")
	logPath := filepath.Join(dir, "chromium.log")
	logFile, err := os.Create(logPath)
	require.NoError(t, err)
	cmd := exec.Command(chromiumPath,
		"--headless", "--no-sandbox", "--disable-gpu",
		// This machine's network is closed: no background fetches, no
		// QUIC, no updates, no sync, no first-run pages.
		"--disable-background-networking", "--disable-quic", "--no-first-run",
		"--disable-component-update", "--disable-sync",
		"--user-data-dir="+profile,
		"--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"--remote-allow-origins="+devtoolsOrigin,
		"--window-size=1024,768",
		"about:blank",
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	// A group of its own, so that cleanup ends the renderer and the
	// other processes the browser starts, not only the browser.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		// SIGTERM lets the browser end and reap its own processes; what
		// is left after a few seconds is killed.
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				t.Errorf("chromium (pid %d) did not exit when killed", cmd.Process.Pid)
			}
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // any stragglers
		logFile.Close()
		if t.Failed() {
			if b, err := os.ReadFile(logPath); err == nil {
				t.Logf("chromium's output, last part:\n%s", tail(string(b), 40))
			}
		}
	})

	port, err := devtoolsPort(ctx, filepath.Join(profile, "DevToolsActivePort"), exited)
	require.NoError(t, err)
	wsURL, err := pageTarget(ctx, port)
	require.NoError(t, err)
	d, err := dialDevtools(ctx, wsURL)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

// devtoolsPort waits for the port the browser writes to DevToolsActivePort
// in its profile once it listens.
func devtoolsPort(ctx context.Context, path string, exited <-chan error) (int, error) {
	for {
		if b, err := os.ReadFile(path); err == nil {
			first, _, _ := strings.Cut(string(b), "\n")
			if port, err := strconv.Atoi(strings.TrimSpace(first)); err == nil && port > 0 {
				return port, nil
			}
		}
		select {
		case err := <-exited:
			return 0, fmt.Errorf("chromium exited before it listened: %v", err)
		case <-ctx.Done():
			return 0, fmt.Errorf("waiting for chromium's DevToolsActivePort: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// pageTarget returns the DevTools websocket of the browser's first page.
func pageTarget(ctx context.Context, port int) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf("http://127.0.0.1:%d/json/list", port), nil)
	if err != nil {
		return "", err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var targets []struct {
		Type, URL, WebSocketDebuggerURL string
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		return "", err
	}
	for _, tg := range targets {
		if tg.Type == "page" && tg.URL == "about:blank" {
			return tg.WebSocketDebuggerURL, nil
		}
	}
	return "", errors.New("chromium lists no blank page")
}

func tail(s string, lines int) string {
	all := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(all[max(0, len(all)-lines):], "\n")
}

// A visitor in a real browser, who prefers Dutch, ticks analytics in the
// banner and saves: the ledger records consent for analytics only, under
// version 1 of the cookie notice in Dutch, and the browser holds the visitor
// cookie and the analytics cookie and nothing else.
func TestBrowserAcceptsAnalytics(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := newSite(t)
	d := startChromium(ctx, t)

	// The browser weights the languages itself (nl-NL,nl;q=0.9,en;q=0.8).
	var ua string
	require.NoError(t, d.eval(ctx, "navigator.userAgent", &ua))
	require.NoError(t, d.call(ctx, "Emulation.setUserAgentOverride",
		map[string]any{"userAgent": ua, "acceptLanguage": "nl-NL,nl,en"}, nil))

	home := s.srv.URL + "/"
	require.NoError(t, d.navigate(ctx, home))
	var lang string
	require.NoError(t, d.eval(ctx, "document.documentElement.lang", &lang))
	assert.Equal(t, "nl", lang, "the page follows the browser's Dutch")
	var before struct {
		Banner, Analytics bool
	}
	require.NoError(t, d.eval(ctx, `({
		Banner: document.querySelector("#cookie-banner") !== null,
		Analytics: document.querySelector("#accept-analytics").checked,
	})`, &before))
	assert.True(t, before.Banner, "a new visitor sees the banner")
	assert.False(t, before.Analytics, "no box is ticked before the visitor ticks it")
	jar, err := d.cookies(ctx, home)
	require.NoError(t, err)
	assert.Equal(t, []string{visitorCookie}, names(jar), "before consent only the strictly necessary cookie")

	require.NoError(t, d.click(ctx, "#accept-analytics"))
	require.NoError(t, d.waitFor(ctx, `document.querySelector("#accept-analytics").checked`))
	require.NoError(t, d.click(ctx, "#save-choices"))
	require.NoError(t, d.waitFor(ctx, `document.readyState === "complete"
		&& document.querySelector("#cookie-banner") === null
		&& document.querySelector("[data-category=analytics]").dataset.allowed === "true"`))

	jar, err = d.cookies(ctx, home)
	require.NoError(t, err)
	assert.Equal(t, []string{"analytics_id", visitorCookie}, names(jar))
	for _, name := range []string{visitorCookie, "analytics_id"} {
		c := jar[name]
		assert.True(t, c.HTTPOnly, "%s is HttpOnly", name)
		assert.Equal(t, "Lax", c.SameSite, name)
		assert.Equal(t, "/", c.Path, name)
		assert.Equal(t, "127.0.0.1", c.Domain, name)
	}
	left := time.Until(time.Unix(int64(jar["analytics_id"].Expires), 0))
	assert.InDelta(t, (365 * 24 * time.Hour).Hours(), left.Hours(), 1, "the analytics cookie lasts as long as its consent")

	subject := privacy.SubjectID(visitorPrefix + jar[visitorCookie].Value)
	cc, err := s.ledger.Cookies(ctx, subject)
	require.NoError(t, err)
	assert.False(t, cc.Ask)
	for _, c := range consent.CookieCategories() {
		assert.Equal(t, c == consent.CookieAnalytics || c == consent.CookieNecessary, cc.Allows(c), c)
	}
	e, err := s.ledger.Current(ctx, subject, consent.CookieAnalytics.Purpose())
	require.NoError(t, err)
	assert.Equal(t, consent.Given, e.State)
	assert.Equal(t, consent.NoticeID("cookies"), e.Notice)
	assert.Equal(t, 1, e.Version)
	assert.Equal(t, "nl", e.Language)
	assert.Equal(t, consent.MethodWeb, e.Method)
}

func names(jar map[string]browserCookie) []string {
	var out []string
	for n := range jar {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}
