package redisstore

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/caddy-x402/x402/paywall"
	"github.com/caddy-x402/x402/policies"
)

// The funds exposure of "after"-mode payers: per (network, asset, payer)
// the last balance reading and the reservations counted against it, in
// the part of the payer's address. The decision is the one of
// policies.DecideFunds, computed by fundsReserveScript on decimal strings (token
// amounts of any size); TestFundsScriptAgreesWithPolicy checks that both
// agree.

// fundsPart is the part of a payer (addresses are uniform enough).
func fundsPart(k paywall.ExposureKey) int { return int(k.Payer[19] & (Partitions - 1)) }

// fundsKeys are the marker, hash, expiry set and settled set of a payer.
func (s *Store) fundsKeys(k paywall.ExposureKey) []string {
	p := fundsPart(k)
	base := s.tag(p) + "f:" + k.Network + ":" + strings.ToLower(k.Asset.Hex()) + ":" + strings.ToLower(k.Payer.Hex()) + ":"
	return []string{s.marker(p), base + "h", base + "e", base + "s"}
}

// Reserve implements paywall.ExposureLedger.
func (s *Store) Reserve(ctx context.Context, x *paywall.Exposure, o paywall.ReserveOptions) (policies.FundsDecision, error) {
	part := &s.parts[fundsPart(x.Key)]
	gen := part.gen.Load()
	if gen == nil {
		return policies.FundsDecision{}, s.noGeneration()
	}
	reading, age := "", int64(0)
	if o.Reading != nil {
		reading, age = o.Reading.Balance.String(), o.Reading.Age.Milliseconds()
	}
	allowStale := "0"
	if o.AllowStale {
		allowStale = "1"
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	res, err := fundsReserveScript.Run(ctx, s.rdb, s.fundsKeys(x.Key), *gen, hex.EncodeToString(x.ID[:]), x.Amount.String(),
		x.Until.UnixMilli(), o.TTL.Milliseconds(), reading, age, o.Lag.Milliseconds(), allowStale).StringSlice()
	if err != nil {
		return policies.FundsDecision{}, fmt.Errorf("redis store: reserving funds: %w", err)
	}
	if len(res) == 0 {
		return policies.FundsDecision{}, errors.New("redis store: empty funds answer")
	}
	if res[0] == "stale" {
		return policies.FundsDecision{}, paywall.ErrBalanceStale
	}
	if err := s.generationAnswer(part, gen, res[0], nil); err != nil {
		return policies.FundsDecision{}, err
	}
	if len(res) != 2 {
		return policies.FundsDecision{}, fmt.Errorf("redis store: unexpected funds answer %q", res)
	}
	avail, ok := new(big.Int).SetString(res[1], 10)
	if !ok {
		return policies.FundsDecision{}, fmt.Errorf("redis store: available amount %q", res[1])
	}
	return policies.FundsDecision{Allowed: res[0] == "ok", Available: avail}, nil
}

// Finish implements paywall.ExposureLedger.
func (s *Store) Finish(ctx context.Context, k paywall.ExposureKey, id [32]byte, settled bool) error {
	flag := "0"
	if settled {
		flag = "1"
	}
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := fundsFinishScript.Run(ctx, s.rdb, s.fundsKeys(k), hex.EncodeToString(id[:]), flag).Err(); err != nil {
		return fmt.Errorf("redis store: finishing a funds reservation: %w", err)
	}
	return nil
}
