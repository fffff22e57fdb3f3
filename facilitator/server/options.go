package server

import (
	"strings"
	"time"

	"go.uber.org/zap"
)

// DefaultMaxBodyBytes is the default cap on a /verify or /settle request
// body: 64 KiB. A real payment request is 1–3 KiB.
const DefaultMaxBodyBytes = 64 << 10

// DefaultRetryAfter is the default Retry-After sent with a 503: 2 seconds.
const DefaultRetryAfter = 2 * time.Second

// DefaultSettleTimeout is the default bound on one Settle call: 2 minutes.
const DefaultSettleTimeout = 2 * time.Minute

// Option configures a Server.
type Option func(*Server)

// WithPrefix mounts the API under a path prefix such as "/facilitator", so
// that /facilitator/verify is served and /verify is not found. Leading and
// trailing slashes are normalised; "" or "/" means no prefix (the default).
func WithPrefix(prefix string) Option {
	return func(s *Server) {
		prefix = strings.Trim(prefix, "/")
		if prefix == "" {
			s.prefix = ""
			return
		}
		s.prefix = "/" + prefix
	}
}

// WithMaxBodyBytes caps request bodies at n bytes; larger bodies get 413.
// n <= 0 keeps the default (DefaultMaxBodyBytes, 64 KiB).
func WithMaxBodyBytes(n int64) Option {
	return func(s *Server) {
		if n > 0 {
			s.maxBody = n
		}
	}
}

// WithRetryAfter sets the Retry-After of 503 answers, rounded up to whole
// seconds (minimum 1 s). d <= 0 keeps the default (DefaultRetryAfter, 2 s).
func WithRetryAfter(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.retryAfter = d
		}
	}
}

// WithLogger sets the logger. The server logs one debug line per request
// (route, version, scheme, network, status, x402 code, duration), a warning
// per Facilitator error and an error per recovered panic. It never logs
// payloads, signatures or credentials. Default: no logging.
func WithLogger(l *zap.Logger) Option {
	return func(s *Server) {
		if l != nil {
			s.log = l
		}
	}
}

// WithAuth requires every request except GET /health to carry header with
// exactly value, e.g. WithAuth("Authorization", "Bearer s3cr3t"). The
// comparison takes constant time. Repeat the option to accept several values
// (key rotation); a request passes when any of them matches. Empty header or
// value is ignored. Default: no authentication.
func WithAuth(header, value string) Option {
	return func(s *Server) {
		if header == "" || value == "" {
			return
		}
		s.auth = append(s.auth, newCredential(header, value))
	}
}

// WithSettleTimeout bounds each Settle call. A settlement is not cancelled
// when the HTTP client goes away (a broadcast transaction should be seen
// through and recorded, so that a retry finds it); this bound is what stops
// it instead. Keep it above the facilitator's own receipt timeout.
// d <= 0 keeps the default (DefaultSettleTimeout, 2 min).
func WithSettleTimeout(d time.Duration) Option {
	return func(s *Server) {
		if d > 0 {
			s.settleTimeout = d
		}
	}
}
