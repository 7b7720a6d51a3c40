-- Charges a request's estimated cost against an access token's daily budget, atomically
-- (continuity-server, limits/shared.rs).
-- KEYS[1]: the token's spend counter for one UTC day (integer micro-USD)
-- ARGV: budget micro-USD, estimate micro-USD, counter ttl s
-- Returns {0, spent after} charged, or {1, spent so far} when the estimate does not fit.
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
local estimate = tonumber(ARGV[2])
if spent + estimate > tonumber(ARGV[1]) then
  return {1, spent}
end
redis.call('INCRBY', KEYS[1], estimate)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {0, spent + estimate}
