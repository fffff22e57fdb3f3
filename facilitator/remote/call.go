package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"
)

// call runs one request against each URL in turn until parse accepts a
// response. parse gets the status and the body and returns nil for an
// answer.
func (c *Client) call(ctx context.Context, op, method string, body []byte, timeout time.Duration, parse func(int, []byte) error) error {
	var errs []error
	for i, ep := range c.endpoints {
		err := c.attempt(ctx, op, method, ep, body, timeout, parse)
		if err == nil {
			return nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			errs = append(errs, fmt.Errorf("stopped: %w", context.Cause(ctx)))
			break
		}
		if !err.failover() {
			break
		}
		if i+1 < len(c.endpoints) {
			c.cfg.Logger.Warn("remote facilitator failed, trying the next one",
				zap.String("op", op), zap.String("url", err.URL), zap.Int("status", err.StatusCode), zap.String("error", err.Err.Error()))
		}
	}
	return &CallError{Op: op, Errs: errs}
}

// attempt sends one request to one URL within timeout.
func (c *Client) attempt(ctx context.Context, op, method string, ep endpoint, body []byte, timeout time.Duration, parse func(int, []byte) error) *URLError {
	full, printable := ep.route(op)
	fail := func(status int, err error) *URLError {
		return &URLError{Op: op, URL: printable, StatusCode: status, Err: err}
	}
	actx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(actx, method, full, rd)
	if err != nil {
		return fail(0, errors.New("building request failed"))
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "caddy-x402-remote")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for name, value := range c.cfg.Headers {
		if strings.EqualFold(name, "Host") {
			req.Host = value
			continue
		}
		req.Header.Set(name, value)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return fail(0, stripURL(err))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxResponseBytes+1))
	if err != nil {
		return fail(resp.StatusCode, fmt.Errorf("reading response: %w", stripURL(err)))
	}
	if int64(len(raw)) > c.cfg.MaxResponseBytes {
		return fail(resp.StatusCode, fmt.Errorf("%w: over %d bytes", ErrResponseTooLarge, c.cfg.MaxResponseBytes))
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		return fail(resp.StatusCode, fmt.Errorf("%w: %s", ErrUnauthorized, snippet(raw)))
	}
	if err := parse(resp.StatusCode, raw); err != nil {
		return fail(resp.StatusCode, err)
	}
	return nil
}

// stripURL removes the *url.Error layer of a transport error: its text
// holds the full URL (user info, query), which must not reach errors.
func stripURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Err != nil {
		return ue.Err
	}
	return err
}
