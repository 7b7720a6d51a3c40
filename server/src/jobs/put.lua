-- Stores one finished job and keeps the store within its bound (jobs/shared.rs).
-- KEYS[1] index (sorted set: key -> finished ms), KEYS[2] sizes (hash: key -> bytes),
-- KEYS[3] total bytes, KEYS[4] the job's record, KEYS[5] the job's running mark.
-- ARGV[1] the job's key, ARGV[2] now ms, ARGV[3] time to live ms, ARGV[4] bound in bytes,
-- ARGV[5] the record, ARGV[6] the prefix of record keys (evicted records are deleted by it;
-- every key shares one hash tag, so they live on one shard).
-- Returns 1 when stored, 0 when the record alone is larger than the bound.
local now = tonumber(ARGV[2])
local ttl = tonumber(ARGV[3])
local limit = tonumber(ARGV[4])
local size = string.len(ARGV[5])

local function drop(member)
  local s = tonumber(redis.call('HGET', KEYS[2], member) or '0')
  redis.call('HDEL', KEYS[2], member)
  redis.call('ZREM', KEYS[1], member)
  redis.call('DEL', ARGV[6] .. member)
  return tonumber(redis.call('DECRBY', KEYS[3], s))
end

-- Expired records have gone by their own TTL; their index entries and bytes go now.
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - ttl)) do
  drop(member)
end
redis.call('DEL', KEYS[5])
if size > limit then
  return 0
end
-- The same key again (never, ids are used once; but keep the bytes right).
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then
  drop(ARGV[1])
end
local total = tonumber(redis.call('GET', KEYS[3]) or '0')
while total + size > limit do
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0)
  if #oldest == 0 then
    break
  end
  total = drop(oldest[1])
end
redis.call('SET', KEYS[4], ARGV[5], 'PX', ttl)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], size)
redis.call('INCRBY', KEYS[3], size)
return 1
