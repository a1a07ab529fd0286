//go:build linux

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/net/websocket"
)

// devtools speaks the Chrome DevTools Protocol to one page of a browser: a
// JSON request per call over a websocket, answered by a message with the
// same id. Calls are made one at a time; events, which arrive only for
// domains that were enabled, are skipped.
type devtools struct {
	ws   *websocket.Conn
	next int64
}

// dialDevtools connects to a page's webSocketDebuggerUrl. The websocket
// package always sends an Origin header, which the browser accepts only
// because it was started with --remote-allow-origins for that origin.
func dialDevtools(ctx context.Context, wsURL string) (*devtools, error) {
	cfg, err := websocket.NewConfig(wsURL, devtoolsOrigin)
	if err != nil {
		return nil, err
	}
	ws, err := cfg.DialContext(ctx)
	if err != nil {
		return nil, err
	}
	return &devtools{ws: ws}, nil
}

const devtoolsOrigin = "http://127.0.0.1"

func (d *devtools) Close() error { return d.ws.Close() }

// call sends method with params and decodes the answer's result into
// result, which may be nil. It waits no longer than ctx's deadline.
func (d *devtools) call(ctx context.Context, method string, params, result any) error {
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(10 * time.Second)
	}
	if err := d.ws.SetDeadline(deadline); err != nil {
		return err
	}
	d.next++
	id := d.next
	req := struct {
		ID     int64  `json:"id"`
		Method string `json:"method"`
		Params any    `json:"params,omitempty"`
	}{id, method, params}
	if err := websocket.JSON.Send(d.ws, req); err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	for {
		var msg struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := websocket.JSON.Receive(d.ws, &msg); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		if msg.ID != id {
			continue
		}
		if msg.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, msg.Error.Message, msg.Error.Code)
		}
		if result == nil {
			return nil
		}
		return json.Unmarshal(msg.Result, result)
	}
}

// eval evaluates a JavaScript expression in the page and decodes its value
// into out, which may be nil.
func (d *devtools) eval(ctx context.Context, expr string, out any) error {
	var res struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
	}
	params := map[string]any{"expression": expr, "returnByValue": true}
	if err := d.call(ctx, "Runtime.evaluate", params, &res); err != nil {
		return err
	}
	if res.Exception != nil {
		return fmt.Errorf("evaluating %s: %s", expr, res.Exception.Text)
	}
	if out == nil || res.Result.Value == nil {
		return nil
	}
	return json.Unmarshal(res.Result.Value, out)
}

// waitFor evaluates a boolean expression every 50ms until it is true, or
// fails when ctx ends. The expression is evaluated afresh each time, so it
// holds across a navigation.
func (d *devtools) waitFor(ctx context.Context, expr string) error {
	for {
		var ok bool
		// An evaluation may fail while the page is being replaced;
		// only the deadline ends the wait.
		if err := d.eval(ctx, expr, &ok); err == nil && ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", expr, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// navigate loads url and waits until the page has loaded.
func (d *devtools) navigate(ctx context.Context, url string) error {
	var res struct {
		ErrorText string `json:"errorText"`
	}
	if err := d.call(ctx, "Page.navigate", map[string]any{"url": url}, &res); err != nil {
		return err
	}
	if res.ErrorText != "" {
		return fmt.Errorf("navigating to %s: %s", url, res.ErrorText)
	}
	b, _ := json.Marshal(url)
	return d.waitFor(ctx, fmt.Sprintf("location.href === %s && document.readyState === 'complete'", b))
}

// click clicks the element selector names with the mouse, as a person
// would: it scrolls the element into view and presses and releases the left
// button at its centre. Whatever covers the element there gets the click.
func (d *devtools) click(ctx context.Context, selector string) error {
	sel, _ := json.Marshal(selector)
	var at *struct{ X, Y float64 }
	err := d.eval(ctx, fmt.Sprintf(`(() => {
		const e = document.querySelector(%s);
		if (!e) return null;
		e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
	})()`, sel), &at)
	if err != nil {
		return err
	}
	if at == nil {
		return errors.New("no element " + selector)
	}
	for _, typ := range []string{"mouseMoved", "mousePressed", "mouseReleased"} {
		ev := map[string]any{"type": typ, "x": at.X, "y": at.Y}
		if typ != "mouseMoved" {
			ev["button"], ev["clickCount"] = "left", 1
		}
		if err := d.call(ctx, "Input.dispatchMouseEvent", ev, nil); err != nil {
			return err
		}
	}
	return nil
}

// browserCookie is a cookie as the browser holds it (Network.Cookie).
type browserCookie struct {
	Name     string  `json:"name"`
	Value    string  `json:"value"`
	Domain   string  `json:"domain"`
	Path     string  `json:"path"`
	Expires  float64 `json:"expires"` // seconds since the epoch; -1 for a session cookie
	HTTPOnly bool    `json:"httpOnly"`
	Secure   bool    `json:"secure"`
	SameSite string  `json:"sameSite"`
}

// cookies returns the cookies the browser holds for url.
func (d *devtools) cookies(ctx context.Context, url string) (map[string]browserCookie, error) {
	var res struct {
		Cookies []browserCookie `json:"cookies"`
	}
	if err := d.call(ctx, "Network.getCookies", map[string]any{"urls": []string{url}}, &res); err != nil {
		return nil, err
	}
	out := make(map[string]browserCookie, len(res.Cookies))
	for _, c := range res.Cookies {
		out[c.Name] = c
	}
	return out, nil
}
