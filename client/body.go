package client

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// replayable makes req's body sendable twice (unpaid, then paid). A request
// with GetBody (http.NewRequest sets it for in-memory bodies) is used as is;
// otherwise up to limit bytes are buffered and GetBody is set on a shallow
// copy. A larger body is an error: it could not be re-sent identically.
func replayable(req *http.Request, limit int64) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody || req.GetBody != nil {
		return req, nil
	}
	b, err := io.ReadAll(io.LimitReader(req.Body, limit+1))
	_ = req.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("x402 client: buffering the request body: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("x402 client: request body is larger than %d bytes and has no GetBody, so it cannot be re-sent with the payment", limit)
	}
	r := *req
	r.ContentLength = int64(len(b))
	r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	r.Body, _ = r.GetBody()
	return &r, nil
}

// resend returns a copy of req with a fresh body for the paid retry.
func resend(req *http.Request) (*http.Request, error) {
	r := req.Clone(req.Context())
	if req.Body == nil || req.Body == http.NoBody {
		return r, nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, fmt.Errorf("x402 client: re-reading the request body: %w", err)
	}
	r.Body = body
	return r, nil
}
