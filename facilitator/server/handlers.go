package server

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
	"go.uber.org/zap"
)

func (s *Server) health(w http.ResponseWriter, _ *http.Request, _ *reqInfo) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) supported(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	resp, err := s.f.Supported(r.Context())
	if err != nil {
		s.warn(info, err)
		setRetryAfter(w, s.retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, errorBody{Error: unavailableMessage(err)})
		return
	}
	if resp.Kinds == nil {
		resp.Kinds = []facilitator.SupportedKind{}
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	req, status, xe := s.readRequest(w, r, info)
	if xe != nil {
		info.code = xe.Code
		body := verifyBody{VerifyResponse: xe.Invalid("")}
		if status != http.StatusBadRequest {
			body.Error = xe.Message
		}
		writeJSON(w, status, body)
		return
	}
	resp, err := s.f.Verify(r.Context(), &req.Payload, &req.Requirements)
	if err != nil {
		info.code = facilitator.CodeUnexpectedVerifyError
		s.warn(info, err)
		msg := unavailableMessage(err)
		setRetryAfter(w, s.retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, verifyBody{
			VerifyResponse: facilitator.VerifyResponse{InvalidReason: info.code, InvalidMessage: msg},
			Error:          msg,
		})
		return
	}
	if !resp.IsValid && resp.InvalidReason == "" {
		s.log.Warn("facilitator rejected a payment without a reason", zap.String("route", info.route))
		resp.InvalidReason = facilitator.CodeUnexpectedVerifyError
		if resp.InvalidMessage == "" {
			resp.InvalidMessage = "payment rejected without a reason"
		}
	}
	info.code = resp.InvalidReason
	writeJSON(w, verifyStatus(&resp), resp)
}

func (s *Server) settle(w http.ResponseWriter, r *http.Request, info *reqInfo) {
	req, status, xe := s.readRequest(w, r, info)
	if xe != nil {
		info.code = xe.Code
		body := settleBody{SettleResponse: facilitator.SettleResponse{ErrorReason: xe.Code, ErrorMessage: xe.Message}}
		if req != nil {
			body.Network = req.Requirements.Network
		}
		if status != http.StatusBadRequest {
			body.Error = xe.Message
		}
		writeJSON(w, status, body)
		return
	}
	// Detached from the client: see WithSettleTimeout.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), s.settleTimeout)
	defer cancel()
	resp, err := s.f.Settle(ctx, &req.Payload, &req.Requirements)
	if err != nil {
		info.code = facilitator.CodeUnexpectedSettleError
		s.warn(info, err)
		msg := unavailableMessage(err)
		setRetryAfter(w, s.retryAfter)
		writeJSON(w, http.StatusServiceUnavailable, settleBody{
			SettleResponse: facilitator.SettleResponse{
				ErrorReason: info.code, ErrorMessage: msg,
				Transaction: resp.Transaction, Network: req.Requirements.Network, Payer: resp.Payer,
			},
			Error: msg,
		})
		return
	}
	if resp.Network == "" {
		resp.Network = req.Requirements.Network
	}
	if !resp.Success && resp.ErrorReason == "" {
		s.log.Warn("facilitator failed a settlement without a reason", zap.String("route", info.route))
		resp.ErrorReason = facilitator.CodeUnexpectedSettleError
		if resp.ErrorMessage == "" {
			resp.ErrorMessage = "settlement failed without a reason"
		}
	}
	if !resp.Success {
		info.code = resp.ErrorReason
	}
	writeJSON(w, settleStatus(&resp), resp)
}

// readRequest reads and decodes a /verify or /settle body. On failure it
// returns the HTTP status (400 or 413) and an x402 error; the request is
// returned too when it decoded but misses an envelope field.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, info *reqInfo) (*facilitator.Request, int, *facilitator.Error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.maxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, http.StatusRequestEntityTooLarge,
				facilitator.Errorf(facilitator.CodeInvalidPayload, "request body exceeds %d bytes", s.maxBody)
		}
		return nil, http.StatusBadRequest, facilitator.Wrap(facilitator.CodeInvalidPayload, "reading request body: "+err.Error(), err)
	}
	req, err := facilitator.DecodeRequest(body)
	if err != nil {
		return nil, http.StatusBadRequest, facilitator.AsError(err, facilitator.CodeInvalidPayload)
	}
	info.version = req.X402Version
	info.scheme, info.network = clip(req.Requirements.Scheme), clip(req.Requirements.Network)
	if xe := checkEnvelope(req); xe != nil {
		return req, http.StatusBadRequest, xe
	}
	return req, 0, nil
}

// checkEnvelope requires what the server needs to route a request: the
// requirements' scheme and network, and a scheme payload that is a JSON
// object. Everything inside the payload is the scheme's business.
func checkEnvelope(req *facilitator.Request) *facilitator.Error {
	switch {
	case req.Requirements.Scheme == "":
		return facilitator.Errorf(facilitator.CodeInvalidPaymentRequirements, "paymentRequirements.scheme is missing")
	case req.Requirements.Network == "":
		return facilitator.Errorf(facilitator.CodeInvalidPaymentRequirements, "paymentRequirements.network is missing")
	case !isObject(req.Payload.Payload):
		return facilitator.Errorf(facilitator.CodeInvalidPayload, "paymentPayload.payload is missing or not an object")
	}
	return nil
}

// isObject reports whether raw JSON starts with '{' after whitespace.
func isObject(raw []byte) bool {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\r', '\n':
		case '{':
			return true
		default:
			return false
		}
	}
	return false
}

// warn logs a Facilitator error with its URLs redacted.
func (s *Server) warn(info *reqInfo, err error) {
	s.log.Warn("facilitator error", zap.String("route", info.route), zap.Int("version", info.version),
		zap.String("scheme", info.scheme), zap.String("network", info.network),
		zap.String("error", redactError(err)))
}
