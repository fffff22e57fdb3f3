package caddymodule

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/caddyserver/certmagic"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Payment headers carry secrets: PAYMENT-SIGNATURE (and v1 X-PAYMENT) holds
// a payment signature or an escrow session's bearer token, and the
// PAYMENT-RESPONSE of the request that opened a session (or recovered its
// token) holds the token. Caddy's access log records every request header
// as the client sent it (caddyhttp.Server.ServeHTTP clones the request
// before any handler runs, so no handler can strip it from what is logged)
// and every response header; its error log records the same clone when a
// handler returns an error. Only Cookie, Set-Cookie, Authorization and
// Proxy-Authorization are redacted.
//
// So for a request that carries a payment header, the x402 handler
//   - sets log_skip: Caddy writes no access entry for it;
//   - writes that entry itself, in Caddy's shape ("handled request", the
//     request, status, size, duration, response headers) to the same access
//     loggers (the server's logger names for the host), with the payment
//     headers (and credentials) replaced by REDACTED;
//   - handles an error of the handlers after it as Caddy would (the error's
//     status, an entry on the same error loggers, headers redacted) instead
//     of returning it, since Caddy would log the clone. handle_errors routes
//     therefore do not run for paid requests whose upstream failed; nothing
//     was charged for them.
//
// With the ordinary `log` directive no log line holds a token or a payment
// signature (tests/reliability reads a real log file).

// paymentHeaders are redacted from every log entry the handler writes.
var paymentHeaders = []string{facilitator.HeaderPaymentSignature, facilitator.HeaderXPayment,
	facilitator.HeaderPaymentResponse, facilitator.HeaderXPaymentResponse}

// httpLogName names loggers after the http app, as its servers' are.
type httpLogName struct{}

func (httpLogName) CaddyModule() caddy.ModuleInfo { return caddy.ModuleInfo{ID: "http"} }

// secretLog writes the access and error entries of requests that carry
// payment headers.
type secretLog struct {
	access, errs *zap.Logger // http.log.access, http.log.error
}

func newSecretLog(ctx caddy.Context) *secretLog {
	base := ctx.Logger(httpLogName{})
	return &secretLog{access: base.Named("log.access"), errs: base.Named("log.error")}
}

// carriesPayment reports whether r has a payment header.
func carriesPayment(r *http.Request) bool {
	return r.Header.Get(facilitator.HeaderPaymentSignature) != "" || r.Header.Get(facilitator.HeaderXPayment) != ""
}

// serve runs next for a request with a payment header and logs it.
func (l *secretLog) serve(w http.ResponseWriter, r *http.Request, next func(http.ResponseWriter, *http.Request) error) error {
	ctx := r.Context()
	userSkip, _ := caddyhttp.GetVar(ctx, caddyhttp.LogSkipVar).(bool)
	caddyhttp.SetVar(ctx, caddyhttp.LogSkipVar, true)
	logged := redactedRequest{r: r, headers: redact(r.Header)}
	var body *countingBody
	if r.Body != nil && r.Body != http.NoBody {
		body = &countingBody{ReadCloser: r.Body}
		r.Body = body
	}
	rec := caddyhttp.NewResponseRecorder(w, nil, nil)
	start := time.Now()
	err := next(rec, r)
	if err != nil {
		status, msg := errStatus(err)
		if rec.Status() == 0 {
			w.WriteHeader(status)
		}
		level := zapcore.DebugLevel
		if status >= 500 {
			level = zapcore.ErrorLevel
		}
		for _, lg := range loggersFor(l.errs, r) {
			if c := lg.Check(level, msg); c != nil {
				c.Write(zap.Object("request", logged), zap.Duration("duration", time.Since(start)), zap.Int("status", status))
			}
		}
	}
	srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if userSkip || srv == nil || !shouldLog(srv, r) {
		return nil
	}
	status := rec.Status()
	if err != nil && status == 0 {
		status, _ = errStatus(err)
	}
	level := zapcore.InfoLevel
	if status >= 500 {
		level = zapcore.ErrorLevel
	}
	read := 0
	if body != nil {
		read = body.n
	}
	repl, _ := ctx.Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	userID := ""
	if repl != nil {
		userID, _ = repl.GetString("http.auth.user.id")
	}
	for _, lg := range loggersFor(l.access, r) {
		if c := lg.Check(level, "handled request"); c != nil {
			c.Write(zap.Object("request", logged), zap.Int("bytes_read", read), zap.String("user_id", userID),
				zap.Duration("duration", time.Since(start)), zap.Int("size", rec.Size()), zap.Int("status", status),
				zap.Object("resp_headers", caddyhttp.LoggableHTTPHeader{Header: redact(rec.Header()), ShouldLogCredentials: true}))
		}
	}
	return nil
}

// errStatus is the status and message Caddy gives a handler error.
func errStatus(err error) (int, string) {
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		if he.Err != nil {
			return he.StatusCode, he.Err.Error()
		}
		return he.StatusCode, err.Error()
	}
	return http.StatusInternalServerError, err.Error()
}

// redact copies h with payment headers and credentials replaced.
func redact(h http.Header) http.Header {
	out := h.Clone()
	for k := range out {
		switch strings.ToLower(k) {
		case "cookie", "set-cookie", "authorization", "proxy-authorization":
			out[k] = []string{"REDACTED"}
		}
	}
	for _, k := range paymentHeaders {
		if _, ok := out[http.CanonicalHeaderKey(k)]; ok {
			out[http.CanonicalHeaderKey(k)] = []string{"REDACTED"}
		}
	}
	return out
}

// shouldLog follows caddyhttp.Server's rule for access logging a host.
func shouldLog(srv *caddyhttp.Server, r *http.Request) bool {
	if srv.Logs == nil {
		return false
	}
	host := hostOnly(r.Host)
	for name := range srv.Logs.LoggerNames {
		if certmagic.MatchWildcard(host, name) {
			return true
		}
	}
	for _, h := range srv.Logs.SkipHosts {
		if certmagic.MatchWildcard(host, h) {
			return false
		}
	}
	return !srv.Logs.SkipUnmappedHosts
}

// loggersFor names base after the server's logger names for the request's
// host (or the log_name override), as Caddy's access and error logs are.
func loggersFor(base *zap.Logger, r *http.Request) []*zap.Logger {
	named := func(names []string) []*zap.Logger {
		out := make([]*zap.Logger, 0, len(names))
		for _, n := range names {
			if n == "" {
				out = append(out, base)
			} else {
				out = append(out, base.Named(n))
			}
		}
		return out
	}
	if v, ok := caddyhttp.GetVar(r.Context(), caddyhttp.AccessLoggerNameVarKey).([]any); ok {
		names := make([]string, 0, len(v))
		for _, n := range v {
			s, _ := n.(string)
			names = append(names, s)
		}
		return named(names)
	}
	srv, _ := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if srv == nil || srv.Logs == nil {
		return []*zap.Logger{base}
	}
	host := strings.ToLower(hostOnly(r.Host))
	if names, ok := srv.Logs.LoggerNames[host]; ok {
		return named(names)
	}
	labels := strings.Split(host, ".")
	for i := range labels {
		if labels[i] == "" {
			continue
		}
		labels[i] = "*"
		if names, ok := srv.Logs.LoggerNames[strings.Join(labels, ".")]; ok {
			return named(names)
		}
	}
	return named([]string{srv.Logs.DefaultLoggerName})
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

// redactedRequest logs a request as caddyhttp.LoggableHTTPRequest does,
// with the given (redacted) headers and the URI the client sent.
type redactedRequest struct {
	r       *http.Request
	headers http.Header
}

func (q redactedRequest) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	r := q.r
	ip, port, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip, port = r.RemoteAddr, ""
	}
	enc.AddString("remote_ip", ip)
	enc.AddString("remote_port", port)
	if cip, ok := caddyhttp.GetVar(r.Context(), caddyhttp.ClientIPVarKey).(string); ok {
		enc.AddString("client_ip", cip)
	}
	method, uri := r.Method, r.RequestURI
	if orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request); ok {
		method, uri = orig.Method, orig.RequestURI
	}
	enc.AddString("proto", r.Proto)
	enc.AddString("method", method)
	enc.AddString("host", r.Host)
	enc.AddString("uri", uri)
	return enc.AddObject("headers", caddyhttp.LoggableHTTPHeader{Header: q.headers, ShouldLogCredentials: true})
}

// countingBody counts the request body bytes read (bytes_read).
type countingBody struct {
	io.ReadCloser
	n int
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += n
	return n, err
}
