-- Admission of one request of one access token, atomically (continuity-server, limits/shared.rs).
-- KEYS[1]: the token's GCRA key (theoretical arrival time, ms as a decimal string)
-- KEYS[2]: the token's in-flight sorted set (member = lease id, score = lease expiry in ms)
-- KEYS[3]: the token's spend counter for today (UTC), integer micro-USD
-- ARGV: rate count (0 = no rate limit), rate period ms, concurrency (0 = none), lease id,
--       lease ttl ms, budget micro-USD (0 = none)
-- Returns {0, 0} admitted, {1, ms until a request fits} rate limited, {2, limit} busy,
-- {3, micro-USD spent today} budget used up. Nothing is changed unless the request is admitted.
-- The budget itself is reserved later, by reserve.lua, once the body has been priced.
-- Time comes from Redis, so replicas with skewed clocks still share one bucket.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

-- Budget first: a request that cannot be afforded today is not worth a retry.
local budget = tonumber(ARGV[6])
if budget > 0 then
  local spent = tonumber(redis.call('GET', KEYS[3]) or '0')
  if spent >= budget then
    return {3, spent}
  end
end

local count = tonumber(ARGV[1])
local new_tat = nil
if count > 0 then
  local interval = tonumber(ARGV[2]) / count
  local tolerance = interval * (count - 1)
  local tat = tonumber(redis.call('GET', KEYS[1]) or now)
  if tat < now then tat = now end
  if tat - now > tolerance then
    return {1, math.max(1, math.ceil(tat - now - tolerance))}
  end
  new_tat = tat + interval
end

local limit = tonumber(ARGV[3])
if limit > 0 then
  -- Leases of replicas that died with requests in flight expire instead of leaking.
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  if redis.call('ZCARD', KEYS[2]) >= limit then
    return {2, limit}
  end
end

-- Admitted: commit every counter.
if limit > 0 then
  local ttl = tonumber(ARGV[5])
  redis.call('ZADD', KEYS[2], now + ttl, ARGV[4])
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if new_tat then
  redis.call('SET', KEYS[1], string.format('%.3f', new_tat), 'PX', math.max(1, math.ceil(new_tat - now)))
end
return {0, 0}
