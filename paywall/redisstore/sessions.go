package redisstore

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/caddy-x402/x402/facilitator/escrow"
	"github.com/redis/go-redis/v9"
)

// Sessions keeps escrow session spending in Redis (escrow.SharedSessions),
// so that every instance of a cluster can serve a session and none can
// overdraw it. A session is four keys sharing one hash slot:
//
//	x402:<ns>:escrow:{<id>}:s  hash: record (JSON), deposit, committed, status, expireat
//	x402:<ns>:escrow:{<id>}:a  hash: requestId → reserved amount
//	x402:<ns>:escrow:{<id>}:r  sorted set: requestId by reservation expiry (ms)
//	x402:<ns>:escrow:{<id>}:q  set: committed requestIds
//
// Every change is one Lua script, so a reservation checks the balance and
// takes it atomically over all instances. Amounts are token units up to
// 2^53 − 1 (9 × 10^9 of a 6-decimal token), checked when a session is
// published. Keys expire a week after the session's refund expiry.
type Sessions struct {
	rdb     redis.UniversalClient
	prefix  string
	timeout time.Duration
	now     func() time.Time
}

var _ escrow.SharedSessions = (*Sessions)(nil)

// Sessions returns the escrow session store on the guard's connection and
// namespace.
func (g *Guard) Sessions() *Sessions {
	return &Sessions{rdb: g.rdb, prefix: g.prefix[:len(g.prefix)-len("guard:")] + "escrow:", timeout: g.timeout, now: time.Now}
}

var maxSafe = big.NewInt(1<<53 - 1)

func (s *Sessions) keys(id [32]byte) []string {
	base := s.prefix + "{" + hex.EncodeToString(id[:]) + "}:"
	return []string{base + "s", base + "a", base + "r", base + "q"}
}

// Lua helpers shared by the scripts: the live reserved total, after
// dropping expired reservations.
const luaReserved = `
local function reserved(now)
  if now then
    local old = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', now)
    for i = 1, #old do redis.call('HDEL', KEYS[2], old[i]) end
    if #old > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now) end
  end
  local total = 0
  local vals = redis.call('HVALS', KEYS[2])
  for i = 1, #vals do total = total + tonumber(vals[i]) end
  return total
end
local function touch()
  local ex = redis.call('HGET', KEYS[1], 'expireat')
  if ex then for i = 2, 4 do redis.call('EXPIREAT', KEYS[i], ex) end end
end
`

var reserveScript = redis.NewScript(luaReserved + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'unknown' end
if st ~= 'active' then return 'closed' end
local res = reserved(ARGV[3])
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'dup' end
local avail = tonumber(redis.call('HGET', KEYS[1], 'deposit')) - tonumber(redis.call('HGET', KEYS[1], 'committed')) - res
if avail < tonumber(ARGV[2]) then return 'balance' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
touch()
return 'ok'
`)

var commitScript = redis.NewScript(luaReserved + `
local amt = redis.call('HGET', KEYS[2], ARGV[1])
if amt then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  -- The reservation expired before the commit: commit only what the
  -- balance still covers (never overdraw).
  if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return {'dup', '0'} end
  local avail = tonumber(redis.call('HGET', KEYS[1], 'deposit')) - tonumber(redis.call('HGET', KEYS[1], 'committed')) - reserved(nil)
  if avail < tonumber(ARGV[2]) then return {'balance', '0'} end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('HINCRBY', KEYS[1], 'committed', ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[1])
end
touch()
local bal = tonumber(redis.call('HGET', KEYS[1], 'deposit')) - tonumber(redis.call('HGET', KEYS[1], 'committed')) - reserved(nil)
return {'ok', string.format('%.0f', bal)}
`)

var releaseScript = redis.NewScript(`
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`)

var statusScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1])
return 1
`)

// Publish implements escrow.SharedSessions.
func (s *Sessions) Publish(ctx context.Context, id [32]byte, rec *escrow.SessionRecord) error {
	dep := rec.PaymentInfo.MaxAmount
	if dep == nil || dep.Sign() <= 0 || dep.Cmp(maxSafe) > 0 {
		return fmt.Errorf("redis store: deposit %v is outside what the shared store counts exactly (1 to 2^53-1 units)", dep)
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	k := s.keys(id)
	expireAt := int64(rec.PaymentInfo.RefundExpiry) + 7*24*3600
	pipe := s.rdb.TxPipeline()
	pipe.HSetNX(ctx, k[0], "record", b)
	pipe.HSetNX(ctx, k[0], "deposit", dep.String())
	pipe.HSetNX(ctx, k[0], "committed", "0")
	pipe.HSetNX(ctx, k[0], "status", string(escrow.StatusActive))
	pipe.HSet(ctx, k[0], "expireat", expireAt)
	pipe.ExpireAt(ctx, k[0], time.Unix(expireAt, 0))
	_, err = pipe.Exec(ctx)
	return err
}

// Load implements escrow.SharedSessions.
func (s *Sessions) Load(ctx context.Context, id [32]byte) (*escrow.SessionRecord, error) {
	vals, err := s.rdb.HMGet(ctx, s.keys(id)[0], "record", "status").Result()
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
	return &rec, nil
}

// Reserve implements escrow.SharedSessions.
func (s *Sessions) Reserve(ctx context.Context, id [32]byte, requestID string, amount *big.Int, ttl time.Duration) error {
	if amount.Cmp(maxSafe) > 0 {
		return escrow.ErrSharedBalance
	}
	now := s.now()
	res, err := reserveScript.Run(ctx, s.rdb, s.keys(id), requestID, amount.String(), now.UnixMilli(), now.Add(ttl).UnixMilli()).Text()
	if err != nil {
		return err
	}
	switch res {
	case "ok":
		return nil
	case "unknown":
		return escrow.ErrSharedUnknown
	case "closed":
		return escrow.ErrSharedClosed
	case "dup":
		return escrow.ErrSharedDuplicate
	case "balance":
		return escrow.ErrSharedBalance
	}
	return fmt.Errorf("redis store: unexpected reserve answer %q", res)
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
	switch out[0] {
	case "ok":
		bal, ok := new(big.Int).SetString(out[1], 10)
		if !ok {
			return nil, fmt.Errorf("redis store: balance %q", out[1])
		}
		return bal, nil
	case "dup":
		return nil, escrow.ErrSharedDuplicate
	case "balance":
		return nil, escrow.ErrSharedBalance
	}
	return nil, fmt.Errorf("redis store: unexpected commit answer %v", out)
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

// SetStatus implements escrow.SharedSessions.
func (s *Sessions) SetStatus(ctx context.Context, id [32]byte, st escrow.Status) error {
	return statusScript.Run(ctx, s.rdb, s.keys(id), string(st)).Err()
}

// Status implements escrow.SharedSessions.
func (s *Sessions) Status(ctx context.Context, id [32]byte) (escrow.Status, error) {
	v, err := s.rdb.HGet(ctx, s.keys(id)[0], "status").Result()
	if errors.Is(err, redis.Nil) {
		return "", escrow.ErrSharedUnknown
	}
	return escrow.Status(v), err
}
