package remote

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/caddy-x402/x402/facilitator"
	"github.com/caddy-x402/x402/facilitator/server"
	"github.com/caddy-x402/x402/facilitator/server/servertest"
)

// TestRoundTrip sends v1 and v2 payments through Client → server.Server →
// Recorder and checks what the Facilitator saw and what the caller got.
func TestRoundTrip(t *testing.T) {
	session := &facilitator.SessionInfo{ID: "s1", Token: "tok", Balance: "5", ExpiresAt: 1700000000}
	for _, tc := range []struct {
		name        string
		payload     *facilitator.PaymentPayload
		wantNetwork string // what the facilitator sees: v1 peers get the v1 name
	}{
		{"v1", v1Payload(), "base-sepolia"},
		{"v2", v2Payload(), "eip155:84532"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := &servertest.Recorder{}
			rec.SettleFunc = func(_ context.Context, _ *facilitator.PaymentPayload, r *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
				return facilitator.SettleResponse{Success: true, Transaction: "0xt", Network: r.Network, Payer: "0xp",
					Amount: "10000", Receiver: "0xr", Session: session, Extensions: []byte(`{"a":1}`)}, nil
			}
			srv := facilitatorServer(t, rec, server.WithPrefix("/facilitator"))
			c := newClient(t, Config{URLs: []string{srv.URL + "/facilitator/"}})

			v, err := c.Verify(context.Background(), tc.payload, testRequirements())
			if err != nil {
				t.Fatal(err)
			}
			if !v.IsValid || v.Payer != servertest.DefaultPayer {
				t.Errorf("verify %+v", v)
			}
			s, err := c.Settle(context.Background(), tc.payload, testRequirements())
			if err != nil {
				t.Fatal(err)
			}
			want := facilitator.SettleResponse{Success: true, Transaction: "0xt", Network: tc.wantNetwork, Payer: "0xp",
				Amount: "10000", Receiver: "0xr", Session: session, Extensions: []byte(`{"a":1}`)}
			if !reflect.DeepEqual(s, want) {
				t.Errorf("settle\n got %+v\nwant %+v", s, want)
			}

			calls := rec.Calls()
			if len(calls) != 2 || calls[0].Method != "Verify" || calls[1].Method != "Settle" {
				t.Fatalf("calls %+v", calls)
			}
			for _, call := range calls {
				wantReq := *testRequirements()
				wantReq.Network = tc.wantNetwork
				if !reflect.DeepEqual(*call.Requirements, wantReq) {
					t.Errorf("%s requirements\n got %+v\nwant %+v", call.Method, *call.Requirements, wantReq)
				}
				if call.Payload.X402Version != tc.payload.X402Version || string(call.Payload.Payload) != testPayload {
					t.Errorf("%s payload %d %s", call.Method, call.Payload.X402Version, call.Payload.Payload)
				}
				if tc.payload.X402Version == 2 && !reflect.DeepEqual(call.Payload.Accepted, testRequirements()) {
					t.Errorf("accepted %+v", call.Payload.Accepted)
				}
			}
		})
	}
}

func TestRoundTripAnswers(t *testing.T) {
	invalid := facilitator.VerifyResponse{InvalidReason: facilitator.CodeExactSignature, InvalidMessage: "bad", Payer: "0xp"}
	failed := facilitator.SettleResponse{ErrorReason: facilitator.CodeExactNonceUsed, ErrorMessage: "used", Network: "eip155:84532", Payer: "0xp"}
	pending := facilitator.SettleResponse{ErrorReason: facilitator.CodeSettlementPending, ErrorMessage: "wait", Transaction: "0xt", Network: "eip155:84532"}

	rec := &servertest.Recorder{
		VerifyFunc: func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
			return invalid, nil
		},
	}
	first, second := facilitatorServer(t, rec), facilitatorServer(t, &servertest.Recorder{})
	c := newClient(t, Config{URLs: []string{first.URL, second.URL}})

	v, err := c.Verify(context.Background(), v2Payload(), testRequirements())
	if err != nil || !reflect.DeepEqual(v, invalid) {
		t.Errorf("verify %+v, %v; want %+v", v, err, invalid)
	}
	for _, want := range []facilitator.SettleResponse{failed, pending} {
		rec.SettleFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.SettleResponse, error) {
			return want, nil
		}
		s, err := c.Settle(context.Background(), v2Payload(), testRequirements())
		if err != nil || !reflect.DeepEqual(s, want) {
			t.Errorf("settle %+v, %v; want %+v", s, err, want)
		}
	}
	if n := second.hits.Load(); n != 0 {
		t.Errorf("second facilitator asked %d times after definitive answers", n)
	}

	// An infrastructure error behind the only URL: 503, an error, no answer.
	rec.VerifyFunc = func(context.Context, *facilitator.PaymentPayload, *facilitator.PaymentRequirements) (facilitator.VerifyResponse, error) {
		return facilitator.VerifyResponse{}, errors.New("rpc down")
	}
	only := newClient(t, Config{URLs: []string{first.URL}})
	_, err = only.Verify(context.Background(), v2Payload(), testRequirements())
	var ue *URLError
	if !errors.As(err, &ue) || ue.StatusCode != http.StatusServiceUnavailable || !errors.Is(err, ErrStatus) {
		t.Errorf("error %v", err)
	}
	// …and with a second URL, that one answers.
	v, err = c.Verify(context.Background(), v2Payload(), testRequirements())
	if err != nil || !v.IsValid || second.hits.Load() != 1 {
		t.Errorf("failover after 503: %+v, %v, second hits %d", v, err, second.hits.Load())
	}
}

func TestRoundTripSupportedAndAuth(t *testing.T) {
	rec := &servertest.Recorder{}
	srv := facilitatorServer(t, rec, server.WithAuth("Authorization", "Bearer tok3n"))
	c := newClient(t, Config{URLs: []string{srv.URL}, Headers: map[string]string{"Authorization": "Bearer tok3n"}})
	s, err := c.Supported(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Kinds) != 2 || s.Kinds[0].Network != "base-sepolia" {
		t.Errorf("supported %+v", s)
	}
	if _, err := c.Settle(context.Background(), v1Payload(), testRequirements()); err != nil {
		t.Fatal(err)
	}

	wrong := newClient(t, Config{URLs: []string{srv.URL}, Headers: map[string]string{"Authorization": "Bearer wr0ng"}})
	_, err = wrong.Verify(context.Background(), v2Payload(), testRequirements())
	if !errors.Is(err, ErrUnauthorized) {
		t.Errorf("error %v, want ErrUnauthorized", err)
	}
}
