package redisstore

import "github.com/redis/go-redis/v9"

// The Lua scripts of the store. Each runs atomically on the node that holds
// its keys, which share one hash tag (one part of the namespace).

// luaGeneration checks a part's generation marker (KEYS[1] in every script
// that uses it). gen_state answers:
//
//   - 'lost': the marker is missing, names another generation, or was not
//     written on this server (its run_id differs: a restart or a failover
//     since, which may have lost the last writes) — the caller must join
//     the current generation (recovery) before deciding anything;
//   - 'recovering': the caller's generation is current but its recovery
//     has not ended;
//   - 'ok': decide.
//
// A recovery ends (the marker's st becomes 'ok') when the join window has
// passed and every member has acknowledged its re-arm, or at the deadline.
const luaGeneration = `
local function server_run()
  return string.match(redis.call('INFO', 'server'), 'run_id:(%x+)')
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function gen_state(gen)
  local m = redis.call('HMGET', KEYS[1], 'id', 'run', 'st', 'join', 'dl')
  if m[1] ~= gen or m[2] ~= server_run() then return 'lost' end
  if m[3] == 'ok' then return 'ok' end
  local now = now_ms()
  if now < tonumber(m[5]) then
    if now < tonumber(m[4]) then return 'recovering' end
    local f = redis.call('HGETALL', KEYS[1])
    for i = 1, #f, 2 do
      if string.sub(f[i], 1, 2) == 'm:' and f[i + 1] ~= '1' then return 'recovering' end
    end
  end
  redis.call('HSET', KEYS[1], 'st', 'ok')
  return 'ok'
end
`

// luaEviction tells whether the server may drop keys before they expire
// (used by the heartbeat and the join only, not by every decision: INFO
// memory and stats cost more than a claim). A claim evicted under memory
// pressure would let its payment buy a second response, and the generation
// marker, which has no TTL, would survive a volatile-* policy's evictions:
//
//   - evicting_policy: the maxmemory-policy when it is not noeviction and
//     maxmemory is set, else false;
//   - evicted_keys: the server's count of evicted keys (INFO stats), which
//     the marker records when its generation starts ('ev'): a change means
//     keys were evicted since, while the policy was briefly another.
const luaEviction = `
local function evicting_policy()
  local mem = redis.call('INFO', 'memory')
  local policy = string.match(mem, 'maxmemory_policy:([%w%-]+)')
  local max = tonumber(string.match(mem, '[\r\n]maxmemory:(%d+)') or '0')
  if policy and policy ~= 'noeviction' and max > 0 then return policy end
  return false
end
local function evicted_keys()
  return string.match(redis.call('INFO', 'stats'), 'evicted_keys:(%d+)') or '0'
end
`

// luaBig is arithmetic on non-negative decimal integers of any size (token
// amounts are uint256; Lua numbers are doubles), in limbs of 7 digits.
const luaBig = `
local LIMB = 10000000
local function big(s)
  local t, i = {}, #s
  while i >= 1 do
    local j = i - 6
    if j < 1 then j = 1 end
    t[#t + 1] = tonumber(string.sub(s, j, i))
    i = j - 1
  end
  if #t == 0 then t[1] = 0 end
  return t
end
local function str(t)
  local n = #t
  while n > 1 and t[n] == 0 do n = n - 1 end
  local out = {string.format('%d', t[n])}
  for i = n - 1, 1, -1 do out[#out + 1] = string.format('%07d', t[i]) end
  return table.concat(out)
end
local function norm(a)
  local s = string.gsub(a, '^0+', '')
  if s == '' then return '0' end
  return s
end
local function cmp(a, b)
  a, b = norm(a), norm(b)
  if #a ~= #b then return #a < #b and -1 or 1 end
  if a == b then return 0 end
  return a < b and -1 or 1
end
local function add(a, b)
  local x, y, r, c = big(a), big(b), {}, 0
  for i = 1, math.max(#x, #y) do
    local v = (x[i] or 0) + (y[i] or 0) + c
    if v >= LIMB then r[i] = v - LIMB; c = 1 else r[i] = v; c = 0 end
  end
  if c > 0 then r[#r + 1] = c end
  return str(r)
end
-- a - b, or '0' when b >= a
local function sub(a, b)
  if cmp(a, b) <= 0 then return '0' end
  local x, y, r, br = big(a), big(b), {}, 0
  for i = 1, #x do
    local v = x[i] - (y[i] or 0) - br
    if v < 0 then r[i] = v + LIMB; br = 1 else r[i] = v; br = 0 end
  end
  return str(r)
end
`

// claimScript: KEYS marker, claim; ARGV gen, until (unix ms).
var claimScript = redis.NewScript(luaGeneration + `
local st = gen_state(ARGV[1])
if st ~= 'ok' then return st end
if redis.call('SET', KEYS[2], '1', 'NX', 'PXAT', ARGV[2]) then return 'ok' end
return 'replay'
`)

// releaseClaimScript: KEYS claim. Only the claimant releases (its upstream
// failed and nothing was charged).
var releaseClaimScript = redis.NewScript(`return redis.call('DEL', KEYS[1])`)

// heartbeatScript records that this instance is alive and tells it the
// state of its generation and which instances were alive within the lease.
// It also ends the generation (for every instance, at once: the marker's
// run no longer matches) when the server may evict keys, or has evicted
// some since the generation started; the answer's state is then
// 'evicting:<policy>' or 'lost'.
// KEYS marker; ARGV instance, gen (” when none), lease ms.
// Answer: {state, peers…}.
var heartbeatScript = redis.NewScript(luaGeneration + luaEviction + `
if not redis.call('HGET', KEYS[1], 'id') then return {'lost'} end
local now = now_ms()
local lease = tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'h:' .. ARGV[1], now)
local out = {'lost'}
local f = redis.call('HGETALL', KEYS[1])
for i = 1, #f, 2 do
  if string.sub(f[i], 1, 2) == 'h:' then
    local who, t = string.sub(f[i], 3), tonumber(f[i + 1])
    if t < now - 10 * lease then
      redis.call('HDEL', KEYS[1], f[i])
    elseif t >= now - lease and who ~= ARGV[1] then
      out[#out + 1] = who
    end
  end
end
local policy = evicting_policy()
if policy then
  redis.call('HSET', KEYS[1], 'run', 'evicting')
  out[1] = 'evicting:' .. policy
  return out
end
local ev = redis.call('HGET', KEYS[1], 'ev')
if not ev then
  redis.call('HSET', KEYS[1], 'ev', evicted_keys())
elseif ev ~= evicted_keys() then
  redis.call('HSET', KEYS[1], 'run', 'evicted')
end
if ARGV[2] ~= '' then out[1] = gen_state(ARGV[2]) end
return out
`)

// joinScript makes the caller a member of the part's current generation,
// first starting a new one (in recovery) when the marker is missing or was
// written on another server. A member must re-arm and acknowledge before
// the recovery ends; the peers it knew alive are added as members too, so
// that a slow one is waited for (until the deadline).
// Nobody joins while the server may evict keys (answer {”,
// 'evicting:<policy>', 0}).
// KEYS marker; ARGV instance, candidate generation id, join window ms,
// deadline ms, peers…. Answer: {generation id, state, created (0/1)}.
var joinScript = redis.NewScript(luaGeneration + luaEviction + `
local policy = evicting_policy()
if policy then return {'', 'evicting:' .. policy, 0} end
local m = redis.call('HMGET', KEYS[1], 'id', 'run', 'st')
local run = server_run()
local created = 0
if not m[1] or m[2] ~= run then
  redis.call('DEL', KEYS[1])
  local now = now_ms()
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'run', run, 'st', 'r', 'start', now,
    'join', now + tonumber(ARGV[3]), 'dl', now + tonumber(ARGV[4]), 'ev', evicted_keys())
  m[1], m[3], created = ARGV[2], 'r', 1
end
if m[3] ~= 'ok' then
  if redis.call('HGET', KEYS[1], 'm:' .. ARGV[1]) ~= '1' then
    redis.call('HSET', KEYS[1], 'm:' .. ARGV[1], '0')
  end
  for i = 5, #ARGV do redis.call('HSETNX', KEYS[1], 'm:' .. ARGV[i], '0') end
end
return {m[1], m[3], created}
`)

// ackScript: the caller has re-armed its payments into the generation.
// KEYS marker; ARGV instance, gen. Answer: gen_state.
var ackScript = redis.NewScript(luaGeneration + `
local st = gen_state(ARGV[2])
if st == 'lost' then return st end
if st == 'recovering' then
  redis.call('HSET', KEYS[1], 'm:' .. ARGV[1], '1')
  st = gen_state(ARGV[2])
end
return st
`)

// rearmClaimsScript puts claims back. KEYS marker, claim…; ARGV gen,
// until ms…. Answer: how many were missing, or -1 when gen is not the
// part's generation any more.
var rearmClaimsScript = redis.NewScript(luaGeneration + `
if gen_state(ARGV[1]) == 'lost' then return -1 end
local n = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'PXAT', ARGV[i]) then n = n + 1 end
end
return n
`)

// luaFunds works on one payer's exposure: KEYS[2] a hash (bal, at, pend,
// sett, and e:<id> = '<amount>|p' pending or '|s' settled), KEYS[3] a
// sorted set of ids by expiry, KEYS[4] a sorted set of settled ids by
// settlement time (ms, server clock).
const luaFunds = `
local function drop(id)
  local v = redis.call('HGET', KEYS[2], 'e:' .. id)
  if v then
    local amt, state = string.match(v, '^(%d+)|(%a)$')
    local field = 'sett'
    if state == 'p' then field = 'pend' end
    redis.call('HSET', KEYS[2], field, sub(redis.call('HGET', KEYS[2], field) or '0', amt))
    redis.call('HDEL', KEYS[2], 'e:' .. id)
  end
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[4], id)
end
-- reservations whose deadline the stored reading covers (taken lag after
-- it: it shows whatever settled before it; nothing settles after). The
-- clock alone expires nothing: decided on an older reading (the chain
-- cannot be read now), a payment settled after that reading would be sold
-- again.
local function expire(covered)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[3], '-inf', covered, 'LIMIT', 0, 1000)
  for i = 1, #ids do drop(ids[i]) end
end
-- settlements older than the reading are in its balance
local function reflect(before)
  local ids = redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. before, 'LIMIT', 0, 1000)
  for i = 1, #ids do drop(ids[i]) end
end
-- the payer's keys (reading included) live as long as their last
-- reservation, plus a minute (paywall.ForgetAfter)
local function touch(untilms, now)
  local want = untilms - now + 60000
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > want then want = ttl end
  for i = 2, 4 do redis.call('PEXPIRE', KEYS[i], want) end
end
local function pend_add(id, amt, untilms)
  redis.call('HSET', KEYS[2], 'e:' .. id, amt .. '|p',
    'pend', add(redis.call('HGET', KEYS[2], 'pend') or '0', amt))
  redis.call('ZADD', KEYS[3], untilms, id)
end
`

// fundsReserveScript decides one "after"-mode payment as policies.DecideFunds
// does and counts it when allowed.
// KEYS marker, hash, expiries, settled; ARGV gen, id, amount, until ms, ttl
// ms, reading balance (” none), reading age ms, lag ms, allow stale
// ('1'/'0'). Answer: {'ok'|'insufficient', available} or {'stale'} (no
// fresh reading) or {generation state}.
var fundsReserveScript = redis.NewScript(luaGeneration + luaBig + luaFunds + `
local st = gen_state(ARGV[1])
if st ~= 'ok' then return {st} end
local now = now_ms()
local lag = tonumber(ARGV[8])
if ARGV[6] ~= '' then
  local at = now - tonumber(ARGV[7])
  if at > tonumber(redis.call('HGET', KEYS[2], 'at') or '-1') then
    redis.call('HSET', KEYS[2], 'bal', ARGV[6], 'at', at)
    reflect(at - lag)
  end
end
local at = redis.call('HGET', KEYS[2], 'at')
if at then expire(tonumber(at) - lag) end
local h = redis.call('HMGET', KEYS[2], 'bal', 'at', 'pend', 'sett')
if not h[1] then return {'stale'} end
if ARGV[6] == '' and ARGV[9] ~= '1' and now - tonumber(h[2]) > tonumber(ARGV[5]) then return {'stale'} end
local avail = sub(h[1], add(h[3] or '0', h[4] or '0'))
if redis.call('HEXISTS', KEYS[2], 'e:' .. ARGV[2]) == 1 then return {'ok', avail} end
if cmp(ARGV[3], avail) > 0 then return {'insufficient', avail} end
pend_add(ARGV[2], ARGV[3], tonumber(ARGV[4]))
touch(tonumber(ARGV[4]), now)
return {'ok', avail}
`)

// fundsFinishScript ends a reservation. KEYS marker, hash, expiries, settled;
// ARGV id, settled ('1'/'0'). A settled amount stays counted until a
// reading dated after the settlement replaces the stored one.
var fundsFinishScript = redis.NewScript(luaGeneration + luaBig + luaFunds + `
local v = redis.call('HGET', KEYS[2], 'e:' .. ARGV[1])
if not v then return 0 end
local amt, state = string.match(v, '^(%d+)|(%a)$')
if state ~= 'p' then return 0 end
redis.call('HSET', KEYS[2], 'pend', sub(redis.call('HGET', KEYS[2], 'pend') or '0', amt))
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[2], 'e:' .. ARGV[1], amt .. '|s',
    'sett', add(redis.call('HGET', KEYS[2], 'sett') or '0', amt))
  redis.call('ZADD', KEYS[4], now_ms(), ARGV[1])
  local ttl = redis.call('PTTL', KEYS[2])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[4], ttl) end
else
  redis.call('HDEL', KEYS[2], 'e:' .. ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return 1
`)

// rearmFundsScript puts back reservations of payments served and not yet
// settled, whatever the balance (they were served). KEYS marker, hash,
// expiries, settled; ARGV gen, then id, amount, until ms for each. Answer:
// how many were missing, or -1 when gen is not current.
var rearmFundsScript = redis.NewScript(luaGeneration + luaBig + luaFunds + `
if gen_state(ARGV[1]) == 'lost' then return -1 end
local now = now_ms()
local n, last = 0, now
for i = 2, #ARGV, 3 do
  local untilms = tonumber(ARGV[i + 2])
  if untilms > now and redis.call('HEXISTS', KEYS[2], 'e:' .. ARGV[i]) == 0 then
    pend_add(ARGV[i], ARGV[i + 1], untilms)
    if untilms > last then last = untilms end
    n = n + 1
  end
end
if n > 0 then touch(last, now) end
return n
`)
