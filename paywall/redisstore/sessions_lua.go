package redisstore

import "github.com/redis/go-redis/v9"

// The escrow session scripts. KEYS are a session's four keys (see
// Sessions): 1 the hash, 2 reservations, 3 reservation expiries,
// 4 committed requestIds. Each script is one atomic step over all
// instances.

// luaReserved: the live reserved total after dropping expired
// reservations; touch: refresh the keys' expiry; tokenHash: the session's
// token hash (records published before it had a field of its own keep it
// in the record).
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
local function tokenHash()
  local th = redis.call('HGET', KEYS[1], 'tokenhash')
  if th then return th end
  local rec = redis.call('HGET', KEYS[1], 'record')
  if not rec then return '' end
  return cjson.decode(rec).tokenHash or ''
end
local function avail()
  return tonumber(redis.call('HGET', KEYS[1], 'deposit')) - tonumber(redis.call('HGET', KEYS[1], 'committed')) - reserved(nil)
end
`

// publish: ARGV record, deposit, committed, status, tokenhash, expireat,
// reservation expiry (ms), #requests, requests…, #reservations,
// (requestId, amount)…
var publishScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 'exists' end
redis.call('HSET', KEYS[1], 'record', ARGV[1], 'deposit', ARGV[2], 'committed', ARGV[3], 'status', ARGV[4],
  'tokenhash', ARGV[5], 'expireat', ARGV[6])
local i = 8
local n = tonumber(ARGV[i])
for k = 1, n do redis.call('SADD', KEYS[4], ARGV[i + k]) end
i = i + n + 1
n = tonumber(ARGV[i])
for k = 1, n do
  redis.call('HSET', KEYS[2], ARGV[i + 2*k - 1], ARGV[i + 2*k])
  redis.call('ZADD', KEYS[3], ARGV[7], ARGV[i + 2*k - 1])
end
for k = 1, 4 do redis.call('EXPIREAT', KEYS[k], ARGV[6]) end
return 'ok'
`)

// reserve: ARGV requestId, amount, now (ms), expiry (ms), token hash.
var reserveScript = redis.NewScript(luaReserved + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'unknown' end
if tokenHash() ~= ARGV[5] then return 'token' end
if st ~= 'active' then return 'closed' end
local res = reserved(ARGV[3])
if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then return 'dup' end
if avail() < tonumber(ARGV[2]) then return 'balance' end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], ARGV[4], ARGV[1])
touch()
return 'ok'
`)

// commit: ARGV requestId, actual. Without its reservation (expired, or
// dropped by seal) a commit needs an active session whose balance covers
// it: after seal nothing commits, so the sealed total is final.
var commitScript = redis.NewScript(luaReserved + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'unknown', '0'} end
local amt = redis.call('HGET', KEYS[2], ARGV[1])
if amt then
  redis.call('HDEL', KEYS[2], ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
else
  if redis.call('SISMEMBER', KEYS[4], ARGV[1]) == 1 then return {'dup', '0'} end
  if st ~= 'active' then return {'closed', '0'} end
  if avail() < tonumber(ARGV[2]) then return {'balance', '0'} end
end
if tonumber(ARGV[2]) > 0 then
  redis.call('HINCRBY', KEYS[1], 'committed', ARGV[2])
  redis.call('SADD', KEYS[4], ARGV[1])
end
touch()
return {'ok', string.format('%.0f', avail())}
`)

var releaseScript = redis.NewScript(`
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`)

// beginClose: ARGV token hash (empty for the operator's own close).
var beginCloseScript = redis.NewScript(luaReserved + `
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return 'unknown' end
if ARGV[1] ~= '' and tokenHash() ~= ARGV[1] then return 'token' end
if st == 'active' then
  redis.call('HSET', KEYS[1], 'status', 'closing')
  return 'closing'
end
return st
`)

// inFlight: ARGV now (ms).
var inFlightScript = redis.NewScript(luaReserved + `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
reserved(ARGV[1])
return redis.call('HLEN', KEYS[2])
`)

var sealScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {'unknown', '0'} end
redis.call('DEL', KEYS[2], KEYS[3])
if st == 'active' then redis.call('HSET', KEYS[1], 'status', 'closing') end
redis.call('HSET', KEYS[1], 'sealed', '1')
return {'ok', redis.call('HGET', KEYS[1], 'committed')}
`)

// finish: ARGV captured, void transaction.
var finishScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('DEL', KEYS[2], KEYS[3])
redis.call('HSET', KEYS[1], 'status', 'closed', 'sealed', '1', 'captured', ARGV[1], 'voidtx', ARGV[2])
return 1
`)

// setToken: ARGV token hash, issuedAt (s).
var setTokenScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 'unknown' end
local last = tonumber(redis.call('HGET', KEYS[1], 'recovered') or '0')
if tonumber(ARGV[2]) <= last then return 'stale' end
redis.call('HSET', KEYS[1], 'tokenhash', ARGV[1], 'recovered', ARGV[2])
return 'ok'
`)

// rearm: ARGV record, deposit, token hash, expireat, status, generation
// (used when recreating), #debits, (requestId, amount)… A debit counts
// once: its requestId joins the committed set.
var rearmScript = redis.NewScript(`
local recreated = '0'
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'record', ARGV[1], 'deposit', ARGV[2], 'committed', '0', 'status', ARGV[5],
    'tokenhash', ARGV[3], 'expireat', ARGV[4], 'gen', ARGV[6])
  recreated = '1'
end
local n = tonumber(ARGV[7])
for k = 1, n do
  if redis.call('SADD', KEYS[4], ARGV[6 + 2*k]) == 1 then
    redis.call('HINCRBY', KEYS[1], 'committed', ARGV[7 + 2*k])
  end
end
for k = 1, 4 do redis.call('EXPIREAT', KEYS[k], ARGV[4]) end
return {redis.call('HGET', KEYS[1], 'gen') or '', recreated}
`)
