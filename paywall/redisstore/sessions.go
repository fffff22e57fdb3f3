package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/redis/go-redis/v9"
)

// Sessions keeps escrow session spending in Redis (escrow.SharedSessions),
// so that every instance of a cluster can serve and close a session and
// none can overdraw it. A session is four keys sharing one hash slot:
//
//	x402:<ns>:escrow:{<id>}:s  hash: record (JSON), deposit, committed, status, tokenhash,
//	                           expireat, recovered, sealed, captured, voidtx
//	x402:<ns>:escrow:{<id>}:a  hash: requestId → reserved amount
//	x402:<ns>:escrow:{<id>}:r  sorted set: requestId by reservation expiry (ms)
//	x402:<ns>:escrow:{<id>}:q  set: committed requestIds
//
// Every change is one Lua script (sessions_lua.go), so a reservation checks
// the token, the status and the balance and takes it atomically over all
// instances, and a close is one step that every instance sees. Amounts are
// token units up to 2^53 − 1 (9 × 10^9 of a 6-decimal token), checked when
// a session is published. Keys expire a week after the session's refund
// expiry.
type Sessions struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	now     func() time.Time
}

var _ escrow.SharedSessions = (*Sessions)(nil)

var maxSafe = big.NewInt(1<<53 - 1)

func (s *Sessions) keys(id [32]byte) []string {
	base := s.prefix + "{" + hex.EncodeToString(id[:]) + "}:"
	return []string{base + "s", base + "a", base + "r", base + "q"}
}

func safe(what string, v *big.Int) error {
	if v == nil || v.Sign() < 0 || v.Cmp(maxSafe) > 0 {
		return fmt.Errorf("redis store: %s %v is outside what the shared store counts exactly (0 to 2^53-1 units)", what, v)
	}
	return nil
}

// Publish implements escrow.SharedSessions.
func (s *Sessions) Publish(ctx context.Context, id [32]byte, rec *escrow.SessionRecord, moved *escrow.MovedSession) error {
	dep := rec.PaymentInfo.MaxAmount
	if err := safe("deposit", dep); err != nil || dep.Sign() == 0 {
		return fmt.Errorf("redis store: deposit %v is outside what the shared store counts exactly (1 to 2^53-1 units)", dep)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	committed, status := new(big.Int), escrow.StatusActive
	var requests []string
	var reserved map[string]*big.Int
	if moved != nil {
		if moved.Committed != nil {
			committed = moved.Committed
		}
		if moved.Status != "" {
			status = moved.Status
		}
		requests, reserved = moved.Requests, moved.Reserved
	}
	if err := safe("committed", committed); err != nil {
		return err
	}
	expireAt := int64(rec.PaymentInfo.RefundExpiry) + 7*24*3600
	args := []any{b, dep.String(), committed.String(), string(status), rec.TokenHash, expireAt,
		s.now().Add(reservationTTL).UnixMilli(), len(requests)}
	for _, r := range requests {
		args = append(args, r)
	}
	args = append(args, len(reserved))
	for r, amt := range reserved {
		if err := safe("reservation", amt); err != nil {
			return err
		}
		args = append(args, r, amt.String())
	}
	_, err = publishScript.Run(ctx, s.rdb, s.keys(id), args...).Text()
	return err
}

// reservationTTL matches the escrow operator's reservations: a moved
// reservation lives as long as a new one.
const reservationTTL = 10 * time.Minute

// Load implements escrow.SharedSessions.
func (s *Sessions) Load(ctx context.Context, id [32]byte) (*escrow.SessionRecord, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys(id)[0], "record", "status", "tokenhash").Result()
	if err != nil {
		return nil, err
	}
	raw, ok := vals[0].(string)
	if !ok {
		return nil, nil
	}
	var rec escrow.SessionRecord
	if err := json.Unmarshal([]byte(raw), &rec); err != nil {
		return nil, fmt.Errorf("redis store: session record: %w", err)
	}
	if st, ok := vals[1].(string); ok {
		rec.Status = escrow.Status(st)
	}
	if th, ok := vals[2].(string); ok && th != "" {
		rec.TokenHash = th
	}
	return &rec, nil
}

// Reserve implements escrow.SharedSessions.
func (s *Sessions) Reserve(ctx context.Context, id [32]byte, tokenHash [32]byte, requestID string, amount *big.Int, ttl time.Duration) error {
	if amount.Cmp(maxSafe) > 0 {
		return escrow.ErrSharedBalance
	}
	now := s.now()
	res, err := reserveScript.Run(ctx, s.rdb, s.keys(id), requestID, amount.String(), now.UnixMilli(), now.Add(ttl).UnixMilli(),
		hex.EncodeToString(tokenHash[:])).Text()
	if err != nil {
		return err
	}
	if res == "ok" {
		return nil
	}
	return answerErr("reserve", res)
}

// answerErr maps a script's refusal to the escrow package's errors.
func answerErr(op, res string) error {
	switch res {
	case "unknown":
		return escrow.ErrSharedUnknown
	case "token":
		return escrow.ErrSharedToken
	case "closed":
		return escrow.ErrSharedClosed
	case "dup":
		return escrow.ErrSharedDuplicate
	case "balance":
		return escrow.ErrSharedBalance
	case "stale":
		return escrow.ErrSharedStale
	}
	return fmt.Errorf("redis store: unexpected %s answer %q", op, res)
}

// Commit implements escrow.SharedSessions.
func (s *Sessions) Commit(ctx context.Context, id [32]byte, requestID string, actual *big.Int) (*big.Int, error) {
	out, err := commitScript.Run(ctx, s.rdb, s.keys(id), requestID, actual.String()).StringSlice()
	if err != nil {
		return nil, err
	}
	if len(out) != 2 {
		return nil, fmt.Errorf("redis store: unexpected commit answer %v", out)
	}
	if out[0] != "ok" {
		return nil, answerErr("commit", out[0])
	}
	bal, ok := new(big.Int).SetString(out[1], 10)
	if !ok {
		return nil, fmt.Errorf("redis store: balance %q", out[1])
	}
	return bal, nil
}

// Release implements escrow.SharedSessions.
func (s *Sessions) Release(ctx context.Context, id [32]byte, requestID string) error {
	return releaseScript.Run(ctx, s.rdb, s.keys(id), requestID).Err()
}

// Committed implements escrow.SharedSessions.
func (s *Sessions) Committed(ctx context.Context, id [32]byte) (*big.Int, error) {
	v, err := s.rdb.HGet(ctx, s.keys(id)[0], "committed").Result()
	if errors.Is(err, redis.Nil) {
		return nil, escrow.ErrSharedUnknown
	}
	if err != nil {
		return nil, err
	}
	c, ok := new(big.Int).SetString(v, 10)
	if !ok {
		return nil, fmt.Errorf("redis store: committed %q", v)
	}
	return c, nil
}

// BeginClose implements escrow.SharedSessions.
func (s *Sessions) BeginClose(ctx context.Context, id [32]byte, tokenHash *[32]byte) (escrow.Status, error) {
	th := ""
	if tokenHash != nil {
		th = hex.EncodeToString(tokenHash[:])
	}
	res, err := beginCloseScript.Run(ctx, s.rdb, s.keys(id), th).Text()
	if err != nil {
		return "", err
	}
	switch res {
	case "unknown", "token":
		return "", answerErr("close", res)
	}
	return escrow.Status(res), nil
}

// InFlight implements escrow.SharedSessions.
func (s *Sessions) InFlight(ctx context.Context, id [32]byte) (int, error) {
	n, err := inFlightScript.Run(ctx, s.rdb, s.keys(id), s.now().UnixMilli()).Int()
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, escrow.ErrSharedUnknown
	}
	return n, nil
}

// Seal implements escrow.SharedSessions.
func (s *Sessions) Seal(ctx context.Context, id [32]byte) (*big.Int, error) {
	out, err := sealScript.Run(ctx, s.rdb, s.keys(id)).StringSlice()
	if err != nil {
		return nil, err
	}
	if len(out) != 2 || out[0] != "ok" {
		return nil, escrow.ErrSharedUnknown
	}
	c, ok := new(big.Int).SetString(out[1], 10)
	if !ok {
		return nil, fmt.Errorf("redis store: committed %q", out[1])
	}
	return c, nil
}

// Finish implements escrow.SharedSessions.
func (s *Sessions) Finish(ctx context.Context, id [32]byte, captured *big.Int, voidTx string) error {
	n, err := finishScript.Run(ctx, s.rdb, s.keys(id), captured.String(), voidTx).Int()
	if err == nil && n == 0 {
		err = escrow.ErrSharedUnknown
	}
	return err
}

// Closed implements escrow.SharedSessions.
func (s *Sessions) Closed(ctx context.Context, id [32]byte) (*big.Int, string, bool, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys(id)[0], "status", "captured", "voidtx").Result()
	if err != nil {
		return nil, "", false, err
	}
	if st, _ := vals[0].(string); st != string(escrow.StatusClosed) {
		return nil, "", false, nil
	}
	c, _ := vals[1].(string)
	captured, ok := new(big.Int).SetString(c, 10)
	if !ok {
		return nil, "", false, fmt.Errorf("redis store: captured %q", c)
	}
	tx, _ := vals[2].(string)
	return captured, tx, true, nil
}

// States implements escrow.SharedSessions.
func (s *Sessions) States(ctx context.Context, ids [][32]byte) ([]escrow.SharedState, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, s.keys(id)[0], "status", "committed", "gen")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, err
	}
	out := make([]escrow.SharedState, len(ids))
	for i, c := range cmds {
		vals := c.Val()
		st, _ := vals[0].(string)
		out[i].Status = escrow.Status(st)
		out[i].Generation, _ = vals[2].(string)
		cs, _ := vals[1].(string)
		if v, ok := new(big.Int).SetString(cs, 10); ok {
			out[i].Committed = v
		} else {
			out[i].Committed = new(big.Int)
		}
	}
	return out, nil
}

// Rearm implements escrow.SharedSessions.
func (s *Sessions) Rearm(ctx context.Context, id [32]byte, rec *escrow.SessionRecord, status escrow.Status, debits map[string]*big.Int) (string, bool, error) {
	dep := rec.PaymentInfo.MaxAmount
	if err := safe("deposit", dep); err != nil {
		return "", false, err
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", false, err
	}
	var g [8]byte
	if _, err := rand.Read(g[:]); err != nil {
		return "", false, err
	}
	expireAt := int64(rec.PaymentInfo.RefundExpiry) + 7*24*3600
	args := []any{b, dep.String(), rec.TokenHash, expireAt, string(status), hex.EncodeToString(g[:]), len(debits)}
	for r, amt := range debits {
		if err := safe("debit", amt); err != nil {
			return "", false, err
		}
		args = append(args, r, amt.String())
	}
	out, err := rearmScript.Run(ctx, s.rdb, s.keys(id), args...).StringSlice()
	if err != nil || len(out) != 2 {
		return "", false, fmt.Errorf("redis store: rearm: %v %v", out, err)
	}
	return out[0], out[1] == "1", nil
}

// SetToken implements escrow.SharedSessions.
func (s *Sessions) SetToken(ctx context.Context, id [32]byte, tokenHash [32]byte, issuedAt uint64) error {
	res, err := setTokenScript.Run(ctx, s.rdb, s.keys(id), hex.EncodeToString(tokenHash[:]), strconv.FormatUint(issuedAt, 10)).Text()
	if err != nil {
		return err
	}
	if res == "ok" {
		return nil
	}
	return answerErr("set token", res)
}
