-- Marks a job running unless it is running or stored already (jobs/shared.rs).
-- KEYS[1] the job's record, KEYS[2] its running mark; ARGV[1] the mark's lifetime ms.
-- Returns 1 when started, 0 when the id is in use.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return 0
end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[1]) then
  return 1
end
return 0
