package remote

import (
	"errors"
	"fmt"
	"strings"
)

// Errors wrapped by URLError.Err, for errors.Is.
var (
	// ErrStatus: the facilitator answered an HTTP status that is not an
	// answer (5xx, 404, 429, …).
	ErrStatus = errors.New("unexpected HTTP status")
	// ErrUnauthorized: the facilitator answered 401 or 403; the call stops.
	ErrUnauthorized = errors.New("credentials refused")
	// ErrBadResponse: the body is not a valid answer for its status.
	ErrBadResponse = errors.New("invalid response body")
	// ErrResponseTooLarge: the body exceeds Config.MaxResponseBytes.
	ErrResponseTooLarge = errors.New("response body too large")
)

// URLError is the failure of one attempt at one facilitator URL.
type URLError struct {
	Op         string // "verify", "settle" or "supported"
	URL        string // the route's URL without user info or query
	StatusCode int    // HTTP status; 0 when no response arrived
	Err        error
}

// Error names the URL, the status when there was one, and the cause.
func (e *URLError) Error() string {
	if e.StatusCode != 0 {
		return fmt.Sprintf("%s (HTTP %d): %v", e.URL, e.StatusCode, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.URL, e.Err)
}

// Unwrap returns the cause, for errors.Is and errors.As.
func (e *URLError) Unwrap() error { return e.Err }

// failover reports whether the next URL may be tried after e.
func (e *URLError) failover() bool { return !errors.Is(e.Err, ErrUnauthorized) }

// CallError is the failure of a whole call: the failures of every URL tried,
// in order, and the caller's context error when it ended the call.
type CallError struct {
	Op   string
	Errs []error
}

// Error lists the failure of every URL tried, in order.
func (e *CallError) Error() string {
	parts := make([]string, len(e.Errs))
	for i, err := range e.Errs {
		parts[i] = err.Error()
	}
	return fmt.Sprintf("remote facilitator %s failed: %s", e.Op, strings.Join(parts, "; "))
}

// Unwrap returns the failures, for errors.Is and errors.As.
func (e *CallError) Unwrap() []error { return e.Errs }

// snippet returns a printable, clipped excerpt of an untrusted body.
func snippet(b []byte) string {
	const max = 200
	s := strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(string(b), "?"))
	s = strings.TrimSpace(s)
	if len(s) > max {
		s = s[:max] + "…"
	}
	if s == "" {
		return "empty body"
	}
	return "body " + s
}
