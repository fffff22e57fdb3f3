package server

import (
	"net/http"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

// Route paths, relative to the prefix.
const (
	PathSupported = "/supported"
	PathVerify    = "/verify"
	PathSettle    = "/settle"
	PathHealth    = "/health"
)

// Server is an http.Handler serving the facilitator API over a
// facilitator.Facilitator. It is safe for concurrent use; the Facilitator
// must be too.
type Server struct {
	f          facilitator.Facilitator
	prefix     string
	maxBody    int64
	retryAfter time.Duration
	log        *zap.Logger
	auth       []credential

	settleTimeout time.Duration
}

var _ http.Handler = (*Server)(nil)

// New returns a Server for f, which must not be nil. Defaults: no prefix,
// 64 KiB bodies, Retry-After 2 s, settle timeout 2 min, no authentication,
// no logging.
func New(f facilitator.Facilitator, opts ...Option) *Server {
	if f == nil {
		panic("server.New: nil facilitator")
	}
	s := &Server{f: f, maxBody: DefaultMaxBodyBytes, retryAfter: DefaultRetryAfter,
		settleTimeout: DefaultSettleTimeout, log: zap.NewNop()}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Prefix returns the normalised path prefix ("" or "/name").
func (s *Server) Prefix() string { return s.prefix }

// reqInfo collects what the per-request log line reports. Scheme and network
// come from the client and are clipped.
type reqInfo struct {
	route   string
	version int
	scheme  string
	network string
	code    string
}

type route struct {
	methods []string // accepted methods, listed in Allow
	open    bool     // no authentication
	handler func(s *Server, w http.ResponseWriter, r *http.Request, info *reqInfo)
}

var routes = map[string]route{
	PathHealth:    {methods: []string{http.MethodGet, http.MethodHead}, open: true, handler: (*Server).health},
	PathSupported: {methods: []string{http.MethodGet, http.MethodHead}, handler: (*Server).supported},
	PathVerify:    {methods: []string{http.MethodPost}, handler: (*Server).verify},
	PathSettle:    {methods: []string{http.MethodPost}, handler: (*Server).settle},
}

// ServeHTTP routes the request, checks credentials and method, and recovers
// from panics (500, logged with the stack).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &recorder{ResponseWriter: w}
	info := &reqInfo{}
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.Error("facilitator handler panicked", zap.String("route", info.route),
				zap.Any("panic", v), zap.ByteString("stack", debug.Stack()))
			if !rec.wrote {
				writeJSON(rec, http.StatusInternalServerError, errorBody{Error: "internal error"})
			}
		}
		if ce := s.log.Check(zap.DebugLevel, "facilitator request"); ce != nil {
			ce.Write(zap.String("route", info.route), zap.String("method", r.Method),
				zap.Int("version", info.version), zap.String("scheme", info.scheme),
				zap.String("network", info.network), zap.Int("status", rec.status),
				zap.String("code", info.code), zap.Duration("duration", time.Since(start)))
		}
	}()

	path, ok := s.strip(r.URL.Path)
	rt, known := routes[path]
	if !ok || !known {
		info.route = "unknown"
		writeJSON(rec, http.StatusNotFound, errorBody{Error: "not found"})
		return
	}
	info.route = path
	if !rt.open && !s.authorized(r) {
		info.code = "unauthorized"
		s.challenge(rec)
		writeJSON(rec, http.StatusUnauthorized, errorBody{Error: "unauthorized"})
		return
	}
	if !slices.Contains(rt.methods, r.Method) {
		allow := strings.Join(rt.methods, ", ")
		info.code = "method_not_allowed"
		rec.Header().Set("Allow", allow)
		writeJSON(rec, http.StatusMethodNotAllowed, errorBody{Error: "method " + clip(r.Method) + " not allowed; use " + allow})
		return
	}
	rt.handler(s, rec, r, info)
}

// strip removes the prefix from path; ok is false when path is not under it.
func (s *Server) strip(path string) (string, bool) {
	if s.prefix == "" {
		return path, true
	}
	rest, ok := strings.CutPrefix(path, s.prefix)
	if !ok || !strings.HasPrefix(rest, "/") {
		return "", false
	}
	return rest, true
}

// clip shortens client-supplied strings before they reach logs or messages.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// recorder remembers whether and with which status a response was started.
type recorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
