package remote

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/caddy-x402/x402/facilitator"
)

// parseVerify accepts 200 or 400 with a consistent VerifyResponse.
func parseVerify(status int, body []byte) (facilitator.VerifyResponse, error) {
	var out facilitator.VerifyResponse
	if status != http.StatusOK && status != http.StatusBadRequest {
		return out, fmt.Errorf("%w: %s", ErrStatus, snippet(body))
	}
	var probe struct {
		IsValid *bool `json:"isValid"`
	}
	if err := decode(body, &probe, &out); err != nil {
		return out, err
	}
	switch {
	case probe.IsValid == nil:
		return out, fmt.Errorf("%w: no isValid: %s", ErrBadResponse, snippet(body))
	case !out.IsValid && out.InvalidReason == "":
		return out, fmt.Errorf("%w: isValid false without invalidReason: %s", ErrBadResponse, snippet(body))
	case out.IsValid && status != http.StatusOK:
		return out, fmt.Errorf("%w: isValid true with a 400: %s", ErrBadResponse, snippet(body))
	}
	return out, nil
}

// parseSettle accepts 200, 202 or 400 with a consistent SettleResponse.
func parseSettle(status int, body []byte) (facilitator.SettleResponse, error) {
	var out facilitator.SettleResponse
	if status != http.StatusOK && status != http.StatusAccepted && status != http.StatusBadRequest {
		return out, fmt.Errorf("%w: %s", ErrStatus, snippet(body))
	}
	var probe struct {
		Success *bool `json:"success"`
	}
	if err := decode(body, &probe, &out); err != nil {
		return out, err
	}
	switch {
	case probe.Success == nil:
		return out, fmt.Errorf("%w: no success: %s", ErrBadResponse, snippet(body))
	case out.Success && out.Transaction == "":
		return out, fmt.Errorf("%w: success without transaction: %s", ErrBadResponse, snippet(body))
	case out.Success && status == http.StatusBadRequest:
		return out, fmt.Errorf("%w: success true with a 400: %s", ErrBadResponse, snippet(body))
	case !out.Success && out.ErrorReason == "":
		return out, fmt.Errorf("%w: success false without errorReason: %s", ErrBadResponse, snippet(body))
	}
	return out, nil
}

// parseSupported accepts 200 with a kinds array whose entries each name a
// version, a scheme and a network.
func parseSupported(status int, body []byte) (facilitator.SupportedResponse, error) {
	var out facilitator.SupportedResponse
	if status != http.StatusOK {
		return out, fmt.Errorf("%w: %s", ErrStatus, snippet(body))
	}
	var probe struct {
		Kinds *[]json.RawMessage `json:"kinds"`
	}
	if err := decode(body, &probe, &out); err != nil {
		return out, err
	}
	if probe.Kinds == nil {
		return out, fmt.Errorf("%w: no kinds: %s", ErrBadResponse, snippet(body))
	}
	for i, k := range out.Kinds {
		if k.X402Version == 0 || k.Scheme == "" || k.Network == "" {
			return out, fmt.Errorf("%w: kind %d lacks x402Version, scheme or network", ErrBadResponse, i)
		}
	}
	return out, nil
}

// decode unmarshals a JSON object body into each target.
func decode(body []byte, targets ...any) error {
	for _, t := range targets {
		if err := json.Unmarshal(body, t); err != nil {
			return fmt.Errorf("%w: %v: %s", ErrBadResponse, err, snippet(body))
		}
	}
	return nil
}
