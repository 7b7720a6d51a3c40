-- Reservation of one request's worst-case cost against a daily budget, atomically
-- (continuity-server, limits/shared.rs). Every replica runs this same script on the same key,
-- so requests in flight on any replica can never reserve more than the budget together.
-- KEYS[1]: the spend counter for the day (UTC), integer micro-USD
-- ARGV: budget micro-USD, amount micro-USD, counter ttl s
-- Returns {0, spent after} reserved, {1, spent} refused (nothing changed).
local budget = tonumber(ARGV[1])
local amount = tonumber(ARGV[2])
local spent = tonumber(redis.call('GET', KEYS[1]) or '0')
if spent + amount > budget then
  return {1, spent}
end
redis.call('INCRBY', KEYS[1], amount)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return {0, spent + amount}
