package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"
)

// credential is one accepted header value, kept only as a SHA-256 digest so
// that comparisons take the same time whatever the length of the guess and
// the secret never sits in the Server in clear text.
type credential struct {
	header string // canonical header name
	scheme string // first word of the value for WWW-Authenticate, e.g. "Bearer"
	sum    [32]byte
}

func newCredential(header, value string) credential {
	c := credential{header: http.CanonicalHeaderKey(header), sum: sha256.Sum256([]byte(value))}
	if c.header == "Authorization" {
		if i := strings.IndexByte(value, ' '); i > 0 {
			c.scheme = value[:i]
		}
	}
	return c
}

// authorized reports whether r carries one of the accepted credentials. With
// no credentials configured every request is authorized. All credentials are
// compared, whatever the outcome of the first.
func (s *Server) authorized(r *http.Request) bool {
	if len(s.auth) == 0 {
		return true
	}
	ok := 0
	for i := range s.auth {
		c := &s.auth[i]
		got := sha256.Sum256([]byte(r.Header.Get(c.header)))
		ok |= subtle.ConstantTimeCompare(got[:], c.sum[:])
	}
	return ok == 1
}

// challenge sets WWW-Authenticate on a 401 when the credential is an
// Authorization header with a scheme.
func (s *Server) challenge(w http.ResponseWriter) {
	for _, c := range s.auth {
		if c.scheme != "" {
			w.Header().Set("WWW-Authenticate", c.scheme+` realm="x402-facilitator"`)
			return
		}
	}
}
